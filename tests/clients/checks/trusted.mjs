// The server in trusted-documents mode (QINGDAN_TRUSTED_DOCUMENTS), given the manifests the
// Relay compiler and GraphQL Code Generator wrote: the front ends' documents run by id as
// each tool's runtime sends them (Relay's `doc_id`, the GraphQL-over-HTTP `documentId`);
// anything else is refused.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "graphql";
import { anhua, check, errorCodes, finish, post, root, server } from "../lib/harness.mjs";

const base = server("QINGDAN_TRUSTED_URL");
const list = anhua();
const BUREAU = list.owner;

/** Manifest id of the document defining `operation`. */
function idOf(file, operation) {
  const manifest = JSON.parse(readFileSync(path.join(root, "generated", file), "utf8"));
  for (const [id, text] of Object.entries(manifest)) {
    const names = parse(text).definitions.map((d) => d.name?.value);
    if (names[0] === operation || names.includes(operation)) return id;
  }
  throw new Error(`${operation} is not in ${file}`);
}
const relay = (operation) => idOf("relay-persisted.json", operation);
const codegen = (operation) => idOf("codegen/persisted-documents.json", operation);

/** A request as Relay's network layer sends a persisted query. */
async function relayFetch(operation, variables, headers = {}) {
  const { status, body } = await post(base, { doc_id: relay(operation), variables }, headers);
  assert.equal(status, 200);
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

let bureauId = null;

await check("trusted: Relay's BureauPageQuery runs by doc_id and answers the bureau's duties", async () => {
  const data = await relayFetch("BureauPageQuery", { name: "县人口计生局" });
  assert.equal(data.department.name, BUREAU);
  const duties = list.duties.filter((d) => d.department === BUREAU);
  assert.deepEqual(
    data.department.duties.map((d) => [d.seq, d.text, d.workItems.length]),
    duties.map((d) => [d.seq, d.text, d.workItems.length]),
  );
  assert.deepEqual(
    data.department.publicServices.map((s) => [s.name, s.phone]),
    list.publicServices.map((s) => [s.name, s.phone]),
  );
  bureauId = data.department.id;
  assert.ok(bureauId);
});

await check("trusted: Relay's refetch query finds the bureau again by node(id:)", async () => {
  const data = await relayFetch("BureauPageDepartmentRefetchQuery", { id: bureauId });
  assert.equal(data.node.__typename, "Department");
  assert.equal(data.node.id, bureauId);
  assert.equal(data.node.name, BUREAU);
  assert.equal(data.node.duties.length, list.duties.filter((d) => d.department === BUREAU).length);
});

await check("trusted: Relay's pagination query walks the duties connection, each duty once", async () => {
  const seen = [];
  let cursor = null;
  for (let page = 0; page < 20; page += 1) {
    const data = await relayFetch("DutyListPaginationQuery", { count: 4, cursor });
    seen.push(...data.duties.edges.map((e) => [e.node.id, e.node.text]));
    assert.ok(data.duties.edges.every((e) => typeof e.cursor === "string"));
    if (!data.duties.pageInfo.hasNextPage) break;
    cursor = data.duties.pageInfo.endCursor;
  }
  assert.equal(new Set(seen.map(([id]) => id)).size, seen.length);
  assert.deepEqual(seen.map(([, text]) => text), list.duties.map((d) => d.text));
});

await check("trusted: Relay's mutation runs by doc_id and reports a rule as a userError", async () => {
  const departmentId = bureauId;
  const data = await relayFetch(
    "CreateDutyMutation",
    { input: { departmentId, text: "\u0000" } },
    { authorization: `Bearer ${process.env.EDITOR_TOKEN}` },
  );
  assert.equal(data.createDuty.duty, null);
  assert.deepEqual(data.createDuty.userErrors.map((e) => [e.code, e.field]), [["TEXT_INVALID", ["text"]]]);
});

await check("trusted: Relay's ListVersion fragment is refetched by node(id:), the version as listed", async () => {
  const data = await relayFetch("VersionHistoryQuery", {});
  const own = data.responsibilityLists.find((l) => l.owner.name === BUREAU);
  assert.equal(own.title, list.title);
  const [first] = own.versions;
  assert.equal(first.number, 1);
  assert.equal(first.status, "PUBLISHED");
  const again = await relayFetch("VersionHistoryVersionRefetchQuery", { id: first.id });
  assert.equal(again.node.__typename, "ListVersion");
  assert.equal(again.node.id, first.id);
  assert.deepEqual(
    again.node.duties.map((d) => [d.seq, d.text]),
    list.duties.map((d) => [d.seq, d.text]),
  );
});

await check("trusted: Code Generator's documents run by documentId (sha256:…)", async () => {
  const { body } = await post(base, { documentId: codegen("BoundaryMatters"), variables: { first: 10 } });
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  assert.deepEqual(
    body.data.boundaryMatters.nodes.map((m) => m.title),
    list.boundaryMatters.map((m) => m.title),
  );
  const lookup = await post(base, {
    documentId: codegen("ResponsibilityLookup"),
    variables: { text: "我在桥洞下面捡到孩子了，该找哪个部门", first: 3 },
  });
  assert.equal(lookup.body.errors, undefined, JSON.stringify(lookup.body.errors));
  assert.equal(lookup.body.data.responsibilityLookup.candidates[0].department.name, "安化县公安局");
});

await check("trusted: a document outside the manifests is PERSISTED_QUERY_NOT_IN_LIST", async () => {
  const adHoc = await post(base, { query: "{ departments(first: 100) { totalCount } }" });
  assert.deepEqual(errorCodes(adHoc.body), ["PERSISTED_QUERY_NOT_IN_LIST"]);
  assert.equal(adHoc.body.data ?? null, null);
  const unknownId = await post(base, { doc_id: "0".repeat(64), variables: {} });
  assert.deepEqual(errorCodes(unknownId.body), ["PERSISTED_QUERY_NOT_FOUND"]);
});

finish();
