// The types GraphQL Code Generator writes, used as a front end uses them with Apollo
// Client: `tsc` fails if a field's type is wrong, missing or `any` (each `@ts-expect-error`
// must meet an error, so a type that accepts everything fails too).
import type { ApolloClient } from "@apollo/client";
import {
  BoundaryMattersDocument,
  BureauDutiesDocument,
  CreateDutyDocument,
  DutiesPageDocument,
  ListDraftsDocument,
  ResponsibilityLookupDocument,
} from "./generated/codegen/graphql.ts";
import type { DivisionRole, LookupOutcome, UserErrorCode } from "./generated/codegen/graphql.ts";

export async function typed(client: ApolloClient): Promise<void> {
  const bureau = await client.query({ query: BureauDutiesDocument, variables: { name: "县人口计生局" } });
  const duty = bureau.data?.department?.duties[0];
  const seq: number | undefined = duty?.seq;
  const text: string | undefined = duty?.workItems[0]?.text;
  // @ts-expect-error a duty's seq is a number
  const seqAsText: string | undefined = duty?.seq;
  // @ts-expect-error the name variable is required
  await client.query({ query: BureauDutiesDocument, variables: {} });

  const matters = await client.query({ query: BoundaryMattersDocument, variables: { first: 10 } });
  const role: DivisionRole | undefined = matters.data?.boundaryMatters.nodes[0]?.divisions[0]?.role;
  const lead: string | undefined = matters.data?.boundaryMatters.nodes[0]?.lead?.department.name;
  // @ts-expect-error the lead may be null (a disputed matter)
  const leadAlways: string | undefined = matters.data?.boundaryMatters.nodes[0]?.lead.department.name;

  const lookup = await client.query({
    query: ResponsibilityLookupDocument,
    variables: { text: "有诊所给孕妇照B超鉴定胎儿性别", first: 3 },
  });
  const outcome: LookupOutcome | undefined = lookup.data?.responsibilityLookup.outcome;
  const score: number | undefined = lookup.data?.responsibilityLookup.candidates[0]?.score;

  const page = await client.query({ query: DutiesPageDocument, variables: { first: 3, after: null } });
  const cursor: string | null | undefined = page.data?.duties.pageInfo.endCursor;
  // @ts-expect-error the end cursor is null on an empty page
  const cursorAlways: string | undefined = page.data?.duties.pageInfo.endCursor;

  const lists = await client.query({ query: ListDraftsDocument });
  // Date is mapped to string (strictScalars: an unmapped scalar fails the generation).
  const effective: string | null | undefined = lists.data?.responsibilityLists[0]?.versions[0]?.effectiveFrom;
  // @ts-expect-error Date is not a number
  const effectiveAsNumber: number | null | undefined = lists.data?.responsibilityLists[0]?.versions[0]?.effectiveFrom;

  const created = await client.mutate({
    mutation: CreateDutyDocument,
    variables: { input: { departmentId: "x", text: "组织开展专项检查" } },
  });
  // A rule code is the schema's enum, so a front end can switch on it exhaustively.
  const codes: UserErrorCode[] | undefined = created.data?.createDuty.userErrors.map((e) => e.code);
  const path: string[] | null | undefined = created.data?.createDuty.userErrors[0]?.field;
  // @ts-expect-error the field is a path, not one string
  const pathAsText: string | null | undefined = created.data?.createDuty.userErrors[0]?.field;
  // @ts-expect-error a duty needs its text
  await client.mutate({ mutation: CreateDutyDocument, variables: { input: { departmentId: "x" } } });

  void [seq, text, seqAsText, role, lead, leadAlways, outcome, score, cursor, cursorAlways];
  void [effective, effectiveAsNumber, codes, path, pathAsText];
}

const roles: DivisionRole[] = ["LEAD", "ASSIST"];
// @ts-expect-error not a role of the schema
const notARole: DivisionRole = "OWNER";
const code: UserErrorCode = "TEXT_INVALID";
// @ts-expect-error not a rule code of the schema
const notACode: UserErrorCode = "TEXT_WRONG";
void [roles, notARole, code, notACode];
