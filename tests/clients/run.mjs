// Runs every client-tool check: the Relay compiler and GraphQL Code Generator over
// schema.graphql, then Apollo Client, urql and the compilers' persisted documents against
// live servers. Prints each check, then `N passed, N failed`; exits non-zero on a failure.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { root } from "./lib/harness.mjs";
import { binary, startServer, token } from "./lib/servers.mjs";

let passed = 0;
let failed = 0;

/** Runs one check script, echoing its lines and counting its `ok` / `not ok` ones. */
function runScript(script, env = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    console.log(`# ${script}`);
    const child = spawn(process.execPath, [path.join(root, script)], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    // A script that hangs (a request never answered) fails instead of stalling CI.
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    let buffered = "";
    let failures = 0;
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop();
      for (const line of lines) {
        console.log(line);
        if (line.startsWith("ok - ")) passed += 1;
        if (line.startsWith("not ok - ")) {
          failed += 1;
          failures += 1;
        }
      }
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (buffered) console.log(buffered);
      if (code !== 0 && failures === 0) {
        failed += 1;
        console.log(`not ok - ${script} exited with ${code}`);
      }
      console.log(`# ${script}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
      resolve();
    });
  });
}

mkdirSync(path.join(root, "generated"), { recursive: true });
try {
  await runScript("checks/relay-compile.mjs");
  await runScript("checks/codegen.mjs");

  console.log(`# starting ${binary}`);
  const [apq, trusted] = await Promise.all([
    startServer("apq"),
    startServer("trusted", { QINGDAN_TRUSTED_DOCUMENTS: path.join(root, "generated/trusted-documents.json") }),
  ]);
  const env = {
    QINGDAN_URL: apq.url,
    QINGDAN_TRUSTED_URL: trusted.url,
    EDITOR_TOKEN: token(apq.databaseUrl, "清单编辑", "EDITOR", "安化县人口和计划生育局"),
  };
  await runScript("checks/apollo.mjs", env);
  await runScript("checks/urql.mjs", env);
  await runScript("checks/trusted.mjs", env);
} catch (error) {
  failed += 1;
  console.log(`not ok - the runner: ${error.message}`);
}
console.log(`${passed} passed, ${failed} failed`);
// Exits now: the servers are children that would keep the runner alive (they are stopped
// on exit).
process.exit(failed > 0 ? 1 : 0);
