// Apollo Client against the live server: automatic persisted queries with
// PersistedQueryLink (over POST and GET), a connection paged with relayStylePagination, and
// an editor's mutation with its userErrors.
import assert from "node:assert/strict";
import { ApolloClient, HttpLink, InMemoryCache } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { relayStylePagination } from "@apollo/client/utilities";
import { filter, firstValueFrom } from "rxjs";
import {
  anhua,
  check,
  finish,
  operations,
  post,
  requestCounts,
  server,
  sha256,
} from "../lib/harness.mjs";
import { recordingFetch } from "../lib/recorder.mjs";

const base = server();
const ops = operations();
const list = anhua();
const BUREAU = list.owner;

/** A client as a front end builds one: APQ in front of HTTP, a normalised cache. */
function apollo({ getForHashed = false, token = null, typePolicies = {} } = {}) {
  const recorder = recordingFetch();
  const http = new HttpLink({
    uri: `${base}/graphql`,
    fetch: recorder.fetch,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const link = new PersistedQueryLink({ sha256, useGETForHashedQueries: getForHashed }).concat(http);
  const client = new ApolloClient({ link, cache: new InMemoryCache({ typePolicies }) });
  return { client, exchanges: recorder.exchanges };
}

const bureauDepartments = list.departments.filter((d) => d.parent === BUREAU).map((d) => d.name);
const bureauDuties = list.duties.filter((d) => d.department === BUREAU);
const alias = list.departments.find((d) => d.name === BUREAU).aliases[0];

let registeredHash = null;
const countsBefore = await requestCounts(base);

await check("apollo: a new query goes by hash alone, is PERSISTED_QUERY_NOT_FOUND, then goes with its text", async () => {
  const { client, exchanges } = apollo();
  const { data } = await client.query({ query: ops.BureauDuties, variables: { name: alias } });
  assert.equal(data.department.name, BUREAU);
  assert.equal(exchanges.length, 2, JSON.stringify(exchanges));
  const [miss, register] = exchanges;
  assert.equal(miss.method, "POST");
  assert.ok(miss.hash && !miss.hasText, "the first request carries the hash only");
  assert.deepEqual(miss.errorCodes, ["PERSISTED_QUERY_NOT_FOUND"]);
  assert.equal(register.hash, miss.hash);
  assert.ok(register.hasText, "the retry carries the text");
  assert.equal(sha256(register.text), register.hash, "the hash is the text's SHA-256");
  assert.ok(register.hasData && register.errorCodes.length === 0);
  registeredHash = register.hash;
});

await check(`apollo: ${alias} answers ${BUREAU} with the list's units, duties, work items and services`, async () => {
  const { client } = apollo();
  const { data } = await client.query({ query: ops.BureauDuties, variables: { name: alias } });
  const department = data.department;
  assert.equal(department.name, BUREAU);
  assert.equal(department.kind, "DEPARTMENT");
  assert.deepEqual(department.aliases, list.departments.find((d) => d.name === BUREAU).aliases);
  assert.deepEqual(department.units.map((u) => u.name), bureauDepartments);
  assert.deepEqual(
    department.duties.map((d) => ({
      seq: d.seq,
      text: d.text,
      remark: d.remark,
      workItems: d.workItems.map((w) => ({ seq: w.seq, text: w.text })),
    })),
    bureauDuties.map((d) => ({
      seq: d.seq,
      text: d.text,
      remark: d.remark,
      workItems: d.workItems.map((w) => ({ seq: w.seq, text: w.text })),
    })),
  );
  assert.deepEqual(
    department.publicServices.map((s) => [s.name, s.phone, s.unit.name]),
    list.publicServices.map((s) => [s.name, s.phone, s.unit]),
  );
});

await check("apollo: a second client's first GET by hash alone is answered from the registered text", async () => {
  const { client, exchanges } = apollo({ getForHashed: true });
  const { data } = await client.query({ query: ops.BureauDuties, variables: { name: BUREAU } });
  assert.equal(data.department.duties.length, bureauDuties.length);
  assert.equal(exchanges.length, 1, JSON.stringify(exchanges));
  assert.equal(exchanges[0].method, "GET");
  assert.equal(exchanges[0].hash, registeredHash);
  assert.equal(exchanges[0].hasText, false);
});

await check("apollo: the hash alone, sent by plain fetch, runs the text Apollo registered", async () => {
  const { status, body } = await post(base, {
    operationName: "BureauDuties",
    variables: { name: "县人口计生局" },
    extensions: { persistedQuery: { version: 1, sha256Hash: registeredHash } },
  });
  assert.equal(status, 200);
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  assert.equal(body.data.department.name, BUREAU);
  const unknown = await post(base, {
    extensions: { persistedQuery: { version: 1, sha256Hash: sha256("{ never { sent } }") } },
  });
  assert.equal(unknown.body.errors?.[0]?.extensions?.code, "PERSISTED_QUERY_NOT_FOUND");
});

await check("apollo: /metrics counted the miss as refused and the four requests answered by hash as ok", async () => {
  const after = await requestCounts(base);
  const delta = (key) => (after[key] ?? 0) - (countsBefore[key] ?? 0);
  // Refused once (the first hash alone); answered four times: the registration, the next
  // client's hash alone, the GET by hash and the plain hash-only POST. The GET is counted
  // as `anonymous` while the server reads no `operationName` from a query string.
  assert.equal(delta("BureauDuties refused"), 1, JSON.stringify(after));
  assert.equal(delta("BureauDuties ok") + delta("anonymous ok"), 4, JSON.stringify(after));
  assert.equal(delta("BureauDuties error"), 0);
});

await check("apollo: relayStylePagination pages the duties 3 at a time, reaching each exactly once", async () => {
  const { client, exchanges } = apollo({
    getForHashed: true,
    typePolicies: { Query: { fields: { duties: relayStylePagination(["filter", "asOf"]) } } },
  });
  // The whole connection in one page, from a client of its own: in the paging client's
  // cache it would be one more page of the same field.
  const all = await apollo().client.query({ query: ops.AllDuties });
  const expected = all.data.duties.nodes.map((n) => n.id);
  assert.equal(all.data.duties.totalCount, list.duties.length);
  const before = exchanges.length;

  const watch = client.watchQuery({ query: ops.DutiesPage, variables: { first: 3 } });
  // Watched as a component would, for the whole walk.
  const subscription = watch.subscribe({ next: () => {}, error: () => {} });
  await firstValueFrom(watch.pipe(filter((value) => value.dataState === "complete")));
  // What the component renders: the pages merged by relayStylePagination in the cache.
  const merged = () => client.readQuery({ query: ops.DutiesPage, variables: { first: 3 } }).duties;
  let pages = 1;
  while (merged().pageInfo.hasNextPage) {
    assert.ok(pages < 20, "pagination does not end");
    await watch.fetchMore({ variables: { after: merged().pageInfo.endCursor } });
    pages += 1;
  }
  subscription.unsubscribe();
  const { edges, totalCount } = merged();
  const ids = edges.map((e) => e.node.id);
  assert.equal(new Set(ids).size, ids.length, "no node twice");
  assert.deepEqual(ids, expected, "every node, in the server's order");
  assert.equal(totalCount, expected.length);
  assert.equal(pages, Math.ceil(expected.length / 3));
  assert.deepEqual(
    edges.map((e) => [e.node.department.name, e.node.text]),
    list.duties.map((d) => [d.department, d.text]),
  );
  // One request carried the page query's text; every later page went by hash alone.
  const paging = exchanges.slice(before).filter((e) => e.operationName === "DutiesPage");
  assert.equal(paging.filter((e) => e.hasText).length, 1, JSON.stringify(paging));
  assert.equal(paging.filter((e) => e.hasData).length, pages);
  assert.ok(paging.every((e) => e.method === "GET" || e.hasText));
});

await check("apollo: an editor's createDuty reports userErrors, adds to the draft only, and removeDuty undoes it", async () => {
  const token = process.env.EDITOR_TOKEN;
  assert.ok(token, "EDITOR_TOKEN is set by the runner");
  const { client, exchanges } = apollo({ token });
  const { data: bureau } = await client.query({ query: ops.BureauDuties, variables: { name: BUREAU } });
  const departmentId = bureau.department.id;

  const refused = await client.mutate({
    mutation: ops.CreateDuty,
    variables: { input: { departmentId, text: "组织\u0007检查" } },
  });
  assert.equal(refused.data.createDuty.duty, null);
  assert.deepEqual(
    refused.data.createDuty.userErrors.map((e) => [e.code, e.field]),
    [["TEXT_INVALID", ["text"]]],
  );
  assert.ok(refused.data.createDuty.userErrors[0].message.length > 0);

  const text = "组织开展全县流动人口计划生育服务管理专项检查";
  const created = await client.mutate({ mutation: ops.CreateDuty, variables: { input: { departmentId, text } } });
  assert.deepEqual(created.data.createDuty.userErrors, []);
  const duty = created.data.createDuty.duty;
  assert.equal(duty.text, text);
  assert.equal(duty.seq, bureauDuties.length + 1);
  assert.equal(duty.department.name, BUREAU);
  // The mutation's text went once; its second use went by hash alone.
  const creates = exchanges.filter((e) => e.operationName === "CreateDuty");
  assert.deepEqual(
    creates.map((e) => [e.hasText, e.errorCodes.join()]),
    [[false, "PERSISTED_QUERY_NOT_FOUND"], [true, ""], [false, ""]],
  );

  const drafts = await client.query({ query: ops.ListDrafts, fetchPolicy: "network-only" });
  const own = drafts.data.responsibilityLists.find((l) => l.owner.name === BUREAU);
  assert.equal(own.draft.status, "DRAFT");
  assert.ok(own.draft.duties.some((d) => d.id === duty.id && d.text === text));
  const published = await post(base, { query: "query { department(name: \"县人口计生局\") { duties { text } } }" });
  assert.equal(published.body.data.department.duties.length, bureauDuties.length, "readers see the published list");

  const removed = await client.mutate({ mutation: ops.RemoveDuty, variables: { input: { id: duty.id } } });
  assert.deepEqual(removed.data.removeDuty.userErrors, []);
  const after = await client.query({ query: ops.ListDrafts, fetchPolicy: "network-only" });
  const draft = after.data.responsibilityLists.find((l) => l.owner.name === BUREAU).draft;
  assert.ok(!draft.duties.some((d) => d.text === text));
});

finish();
