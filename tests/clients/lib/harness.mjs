// What every check script shares: named checks that print `ok` / `not ok` lines the runner
// counts, the operations under operations/, the list the server was seeded from, and plain
// HTTP requests to the server under test.
import { readFileSync, readdirSync } from "node:fs";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { parse, print } from "graphql";

export const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const repo = path.resolve(root, "../..");

const results = [];

/** Runs one named check; a thrown error (an assertion) fails it, and the script goes on. */
export async function check(name, body) {
  try {
    await body();
    results.push(true);
    console.log(`ok - ${name}`);
  } catch (error) {
    results.push(false);
    console.log(`not ok - ${name}`);
    const detail = error?.stack ?? String(error);
    for (const line of detail.split("\n").slice(0, 12)) console.log(`    ${line}`);
  }
}

/** Ends the script: non-zero when any check failed or none ran. */
export function finish() {
  const failed = results.filter((ok) => !ok).length;
  if (results.length === 0) {
    console.log("not ok - the script ran no check");
    process.exitCode = 1;
  } else if (failed > 0) {
    process.exitCode = 1;
  }
}

/** The server under test, as the runner started it. */
export function server(name = "QINGDAN_URL") {
  const url = process.env[name];
  if (!url) throw new Error(`${name} is not set: run the checks with run.mjs`);
  return url.replace(/\/$/, "");
}

/** Every operation of operations/*.graphql by name, each as a document of its own. */
export function operations() {
  const byName = {};
  const dir = path.join(root, "operations");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".graphql")).sort()) {
    const document = parse(readFileSync(path.join(dir, file), "utf8"));
    for (const definition of document.definitions) {
      byName[definition.name.value] = { kind: "Document", definitions: [definition] };
    }
  }
  return byName;
}

/** The text a client sends for a document, and the SHA-256 APQ names it by. */
export function textAndHash(document) {
  const text = print(document);
  return { text, hash: sha256(text) };
}

export function sha256(text) {
  return createHash("sha256").update(text).digest("hex");
}

/** The list the server loaded at first start: the answers are checked against it. */
export function anhua() {
  return JSON.parse(readFileSync(path.join(repo, "data/anhua.json"), "utf8"));
}

/** A POST to /graphql with a JSON body, answered as parsed JSON. */
export async function post(base, body, headers = {}) {
  const response = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** `qingdan_requests_total` from /metrics, as { "operation outcome": count }. */
export async function requestCounts(base) {
  const text = await (await fetch(`${base}/metrics`)).text();
  const counts = {};
  const line = /^qingdan_requests_total\{operation="([^"]*)",outcome="([^"]*)"\} (\d+)/;
  for (const row of text.split("\n")) {
    const match = line.exec(row);
    if (match) counts[`${match[1]} ${match[2]}`] = Number(match[3]);
  }
  return counts;
}

/** The codes of a GraphQL answer's errors. */
export function errorCodes(body) {
  return (body.errors ?? []).map((error) => error.extensions?.code);
}
