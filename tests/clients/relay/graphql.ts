// The `graphql` tag the Relay compiler reads; at run time react-relay's babel plugin would
// replace each tagged document by its generated artifact.
export function graphql(strings: TemplateStringsArray): never {
  throw new Error(`graphql tag not compiled: ${strings.join("")}`);
}
