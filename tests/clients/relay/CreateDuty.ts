import { graphql } from "./graphql";

// An editor's mutation, with the payload's rule errors.
export const createDutyMutation = graphql`
  mutation CreateDutyMutation($input: CreateDutyInput!) {
    createDuty(input: $input) {
      duty {
        seq
        text
      }
      userErrors {
        code
        field
        message
      }
    }
  }
`;
