import { graphql } from "./graphql";

// The hotline's lookup: the query, and a fragment for the component showing one candidate.
export const lookupQuery = graphql`
  query LookupQuery($text: String!) {
    responsibilityLookup(text: $text, first: 5) {
      outcome
      candidates {
        ...Lookup_candidate
      }
    }
  }
`;

export const lookupCandidate = graphql`
  fragment Lookup_candidate on LookupCandidate {
    role
    department {
      name
      parent {
        name
      }
    }
    coordinator {
      name
    }
    evidence {
      kind
      title
      text
    }
  }
`;
