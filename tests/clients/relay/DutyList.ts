import { graphql } from "./graphql";

// The duties connection, paged forwards.
export const dutyListQuery = graphql`
  query DutyListQuery($count: Int!, $cursor: String) {
    ...DutyList_duties @arguments(count: $count, cursor: $cursor)
  }
`;

export const dutyListDuties = graphql`
  fragment DutyList_duties on Query
  @argumentDefinitions(count: { type: "Int!" }, cursor: { type: "String" })
  @refetchable(queryName: "DutyListPaginationQuery") {
    duties(first: $count, after: $cursor) @connection(key: "DutyList_duties") {
      totalCount
      edges {
        node {
          seq
          text
          department {
            name
          }
        }
      }
    }
  }
`;
