import { graphql } from "./graphql";

// Boundary matters, paginated with Relay's @connection and a refetchable fragment on Query
// (usePaginationFragment's shape); each division rendered by a component of its own.
export const matterListQuery = graphql`
  query MatterListQuery {
    ...MatterList_matters
  }
`;

export const matterListMatters = graphql`
  fragment MatterList_matters on Query
  @argumentDefinitions(
    count: { type: "Int", defaultValue: 10 }
    cursor: { type: "String" }
  )
  @refetchable(queryName: "MatterListPaginationQuery") {
    boundaryMatters(first: $count, after: $cursor)
      @connection(key: "MatterList_boundaryMatters") {
      totalCount
      edges {
        node {
          title
          disputed
          divisions {
            ...MatterList_division
          }
        }
      }
    }
  }
`;

export const matterListDivision = graphql`
  fragment MatterList_division on Division {
    seq
    role
    text
    department {
      name
    }
  }
`;
