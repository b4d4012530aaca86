// urql against the live server: persistedExchange (APQ over GET), Graphcache's
// relayPagination over the departments connection, the lookup and the boundary matters.
import assert from "node:assert/strict";
import { Client, fetchExchange } from "@urql/core";
import { cacheExchange } from "@urql/exchange-graphcache";
import { relayPagination } from "@urql/exchange-graphcache/extras";
import { persistedExchange } from "@urql/exchange-persisted";
import { anhua, check, finish, operations, server } from "../lib/harness.mjs";
import { recordingFetch } from "../lib/recorder.mjs";

const base = server();
const ops = operations();
const list = anhua();
const BUREAU = list.owner;

function urql() {
  const recorder = recordingFetch();
  const cache = cacheExchange({
    // Objects without an id are embedded in their parent (Graphcache asks to be told).
    keys: Object.fromEntries(
      ["LookupResult", "LookupCandidate", "LookupEvidence", "PageInfo", "DepartmentConnection",
        "DepartmentEdge", "BoundaryMatterConnection"].map((type) => [type, () => null]),
    ),
    resolvers: { Query: { departments: relayPagination() } },
  });
  const client = new Client({
    url: `${base}/graphql`,
    fetch: recorder.fetch,
    exchanges: [cache, persistedExchange({ preferGetForPersistedQueries: true }), fetchExchange],
  });
  return { client, exchanges: recorder.exchanges };
}

async function run(client, document, variables) {
  const result = await client.query(document, variables, { requestPolicy: "network-only" }).toPromise();
  assert.equal(result.error, undefined, result.error?.message);
  return result.data;
}

/** The division of `department` in the list, with the matter it belongs to. */
function division(department, words) {
  for (const matter of list.boundaryMatters) {
    for (const row of matter.divisions) {
      if (row.department === department && row.text.includes(words)) return { matter, row };
    }
  }
  throw new Error(`no division of ${department} says ${words}`);
}

await check("urql: the lookup names the bureau, lead of its own 两非 division, with the row as published", async () => {
  const { client, exchanges } = urql();
  const data = await run(client, ops.ResponsibilityLookup, { text: "有诊所给孕妇照B超鉴定胎儿性别", first: 3 });
  const result = data.responsibilityLookup;
  assert.equal(result.outcome, "MATCHED");
  const [first] = result.candidates;
  assert.equal(first.department.name, BUREAU);
  assert.equal(first.role, "LEAD");
  assert.equal(first.coordinator, null);
  const { matter, row } = division(BUREAU, "两非");
  assert.equal(first.evidence[0].title, matter.title);
  assert.equal(first.evidence[0].text, row.text);
  // persistedExchange: the hash alone by GET, not found, then the text once.
  assert.deepEqual(
    exchanges.map((e) => [e.method, e.hasText, e.errorCodes.join()]),
    [["GET", false, "PERSISTED_QUERY_NOT_FOUND"], ["GET", true, ""]],
  );
});

await check("urql: a complaint about a school names 教育局 (ASSIST), coordinated by the bureau", async () => {
  const { client, exchanges } = urql();
  const data = await run(client, ops.ResponsibilityLookup, { text: "外地打工的，孩子在安化上小学学校不收", first: 3 });
  const [first] = data.responsibilityLookup.candidates;
  assert.equal(first.department.name, "安化县教育局");
  assert.equal(first.role, "ASSIST");
  assert.equal(first.coordinator.name, BUREAU);
  const { row } = division("安化县教育局", "义务教育");
  assert.equal(first.evidence[0].text, row.text);
  // Registered by the check before: one GET by hash alone.
  assert.deepEqual(exchanges.map((e) => [e.method, e.hasText]), [["GET", false]]);
});

await check("urql: the boundary matters come with every division as the list has them", async () => {
  const { client } = urql();
  const data = await run(client, ops.BoundaryMatters, { first: 10 });
  const matters = data.boundaryMatters;
  assert.equal(matters.totalCount, list.boundaryMatters.length);
  assert.deepEqual(
    matters.nodes.map((m) => ({
      title: m.title,
      disputed: m.disputed,
      lead: m.lead?.department.name ?? null,
      divisions: m.divisions.map((d) => [d.seq, d.department.name, d.role, d.publishedDepartmentName, d.text]),
    })),
    list.boundaryMatters.map((m) => ({
      title: m.title,
      disputed: m.disputed,
      lead: m.divisions.find((d) => d.role === "LEAD")?.department ?? null,
      divisions: m.divisions.map((d) => [d.seq, d.department, d.role, d.publishedDepartment, d.text]),
    })),
  );
});

await check("urql: relayPagination pages the departments 4 at a time, reaching each exactly once", async () => {
  const { client, exchanges } = urql();
  let variables = { first: 4 };
  let data = await run(client, ops.DepartmentsPage, variables);
  let pages = 1;
  while (data.departments.pageInfo.hasNextPage) {
    assert.ok(pages < 20, "pagination does not end");
    variables = { first: 4, after: data.departments.pageInfo.endCursor };
    data = await run(client, ops.DepartmentsPage, variables);
    pages += 1;
  }
  // relayPagination answers the last page's query with every page merged.
  const nodes = data.departments.edges.map((e) => e.node);
  const ids = nodes.map((n) => n.id);
  assert.equal(new Set(ids).size, ids.length, "no node twice");
  assert.equal(data.departments.totalCount, list.departments.length);
  assert.equal(pages, Math.ceil(list.departments.length / 4));
  assert.deepEqual(
    nodes.map((n) => [n.name, n.kind, n.parent?.name ?? null]),
    list.departments.map((d) => [d.name, d.kind, d.parent ?? null]),
  );
  assert.equal(exchanges.filter((e) => e.hasText).length, 1, "the page query's text went once");
});

finish();
