// GraphQL Code Generator's client preset over schema.graphql and operations/*.graphql:
// typed documents, a persisted-documents manifest, and `tsc` over a front end's use of
// them with Apollo Client's types. Then writes generated/trusted-documents.json, the Relay
// and Code Generator manifests together, for the trusted-documents server.
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { buildSchema, parse, validate } from "graphql";
import { check, finish, operations, repo, root, sha256 } from "../lib/harness.mjs";
import { tool } from "../lib/tools.mjs";

const out = path.join(root, "generated/codegen");
const names = Object.keys(operations()).sort();
const schema = buildSchema(readFileSync(path.join(repo, "schema.graphql"), "utf8"));

await check("codegen: the client preset generates from schema.graphql and every operation", async () => {
  rmSync(out, { recursive: true, force: true });
  const run = tool("graphql-codegen", ["--config", "codegen.yml"]);
  assert.equal(run.status, 0, run.output);
  console.log(`    graphql-codegen: ${run.seconds.toFixed(1)} s`);
  const generated = readFileSync(path.join(out, "graphql.ts"), "utf8");
  for (const name of names) {
    assert.match(generated, new RegExp(`export const ${name}Document = `), name);
  }
});

await check("codegen: persisted-documents.json holds each operation under sha256:<its hash>", async () => {
  const documents = JSON.parse(readFileSync(path.join(out, "persisted-documents.json"), "utf8"));
  const seen = [];
  for (const [id, text] of Object.entries(documents)) {
    assert.equal(id, `sha256:${sha256(text)}`);
    const document = parse(text);
    assert.deepEqual(validate(schema, document), []);
    seen.push(document.definitions[0].name.value);
  }
  assert.deepEqual(seen.sort(), names);
});

await check("codegen: tsc accepts a front end's typed use of the documents and refuses its mistakes", async () => {
  const run = tool("tsc", ["-p", "tsconfig.json"]);
  assert.equal(run.status, 0, run.output);
  console.log(`    tsc: ${run.seconds.toFixed(1)} s`);
});

await check("codegen: the trusted-documents manifest joins the Relay and Code Generator documents", async () => {
  const relay = path.join(root, "generated/relay-persisted.json");
  assert.ok(existsSync(relay), "the Relay step wrote its manifest");
  const joined = {
    ...JSON.parse(readFileSync(relay, "utf8")),
    ...JSON.parse(readFileSync(path.join(out, "persisted-documents.json"), "utf8")),
  };
  assert.ok(Object.keys(joined).length >= names.length + 8);
  writeFileSync(path.join(root, "generated/trusted-documents.json"), JSON.stringify(joined, null, 2) + "\n");
});

finish();
