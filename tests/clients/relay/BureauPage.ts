import { graphql } from "./graphql";

// A department's page: a query, a fragment per component, and a refetchable fragment on a
// Node (Relay refetches it with `node(id:)`).
export const bureauPageQuery = graphql`
  query BureauPageQuery($name: String!) {
    department(name: $name) {
      name
      ...BureauPage_department
      ...BureauPage_services
    }
  }
`;

export const bureauDepartment = graphql`
  fragment BureauPage_department on Department
  @refetchable(queryName: "BureauPageDepartmentRefetchQuery") {
    name
    kind
    units {
      name
    }
    duties {
      seq
      text
      workItems {
        seq
        text
      }
    }
  }
`;

export const bureauServices = graphql`
  fragment BureauPage_services on Department {
    publicServices(includeUnits: true) {
      name
      phone
      unit {
        name
      }
    }
  }
`;
