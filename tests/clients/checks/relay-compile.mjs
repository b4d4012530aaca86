// The Relay compiler over schema.graphql and the operations under relay/: fragments per
// component, @refetchable fragments (on a Node, refetched by `node(id:)`, and on Query),
// @connection pagination, a mutation; persisted as SHA-256 → text.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildSchema, parse, validate } from "graphql";
import { check, finish, repo, root, sha256 } from "../lib/harness.mjs";
import { tool } from "../lib/tools.mjs";

const artifacts = path.join(root, "relay/__generated__");
const manifest = path.join(root, "generated/relay-persisted.json");
const schema = buildSchema(readFileSync(path.join(repo, "schema.graphql"), "utf8"));

// The operations the sources declare, named as Relay requires (module name + kind).
const operations = [
  "BureauPageQuery",
  "BureauPageDepartmentRefetchQuery",
  "MatterListQuery",
  "MatterListPaginationQuery",
  "DutyListQuery",
  "DutyListPaginationQuery",
  "LookupQuery",
  "CreateDutyMutation",
  "VersionHistoryQuery",
  "VersionHistoryVersionRefetchQuery",
];
const fragments = [
  "BureauPage_department",
  "BureauPage_services",
  "MatterList_matters",
  "MatterList_division",
  "DutyList_duties",
  "Lookup_candidate",
  "VersionHistory_version",
];

await check("relay: the compiler compiles every document against schema.graphql", async () => {
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  writeFileSync(manifest, "{}\n"); // the compiler requires the file to exist
  const run = tool("relay-compiler", []);
  assert.equal(run.status, 0, run.output);
  console.log(`    relay-compiler: ${run.seconds.toFixed(1)} s`);
  const written = readdirSync(artifacts).map((file) => file.replace(/\.graphql\.ts$/, ""));
  assert.deepEqual(written.sort(), [...operations, ...fragments].sort());
});

await check("relay: the persisted documents are keyed by their SHA-256 and valid against the schema", async () => {
  const documents = JSON.parse(readFileSync(manifest, "utf8"));
  const names = [];
  for (const [id, text] of Object.entries(documents)) {
    assert.equal(id, sha256(text), "the id is the text's SHA-256, as APQ names it");
    const document = parse(text);
    assert.deepEqual(validate(schema, document), []);
    names.push(document.definitions.find((d) => d.kind === "OperationDefinition").name.value);
  }
  assert.deepEqual(names.sort(), [...operations].sort());
});

await check("relay: @refetchable on Department and on ListVersion refetches through node(id:)", async () => {
  const documents = Object.values(JSON.parse(readFileSync(manifest, "utf8")));
  for (const [query, fragment] of [
    ["BureauPageDepartmentRefetchQuery", "BureauPage_department on Department"],
    ["VersionHistoryVersionRefetchQuery", "VersionHistory_version on ListVersion"],
  ]) {
    const refetch = documents.find((text) => text.startsWith(`query ${query}`));
    assert.ok(refetch, query);
    assert.match(refetch, /node\(id: \$id\)/);
    assert.match(refetch, new RegExp(`fragment ${fragment}`));
  }
});

await check("relay: a selection the schema lacks fails the compiler", async () => {
  const scratch = mkdtempSync(path.join(tmpdir(), "relay-broken-"));
  try {
    mkdirSync(path.join(scratch, "src/__generated__"), { recursive: true });
    writeFileSync(
      path.join(scratch, "src/Broken.ts"),
      "export const q = graphql`query BrokenQuery { department(name: \"x\") { budget } }`;\n",
    );
    writeFileSync(
      path.join(scratch, "relay.config.json"),
      JSON.stringify({
        src: "./src",
        schema: path.join(repo, "schema.graphql"),
        language: "typescript",
        artifactDirectory: "./src/__generated__",
        noSourceControl: true,
      }),
    );
    const run = tool("relay-compiler", [], scratch);
    assert.notEqual(run.status, 0, run.output);
    assert.match(run.output, /budget/);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

finish();
