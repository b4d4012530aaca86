import { graphql } from "./graphql";

// A list's version history; each version a refetchable fragment (ListVersion is a Node).
export const versionHistoryQuery = graphql`
  query VersionHistoryQuery {
    responsibilityLists {
      title
      owner {
        name
      }
      versions {
        ...VersionHistory_version
      }
    }
  }
`;

export const versionHistoryVersion = graphql`
  fragment VersionHistory_version on ListVersion
  @refetchable(queryName: "VersionHistoryVersionRefetchQuery") {
    number
    status
    effectiveFrom
    duties {
      seq
      text
    }
  }
`;
