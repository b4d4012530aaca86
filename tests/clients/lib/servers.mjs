// Qingdan servers for the live checks: each on a fresh SQLite database in a temporary
// directory, on a free port, stopped when the runner exits however it exits.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { repo, root } from "./harness.mjs";

export const binary = process.env.QINGDAN_BIN ?? path.join(repo, "target/debug/qingdan");

const running = [];
const scratch = mkdtempSync(path.join(tmpdir(), "qingdan-clients-"));
const pidFile = path.join(root, "generated/servers.pid");

function stopAll() {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  }
  rmSync(scratch, { recursive: true, force: true });
}
process.on("exit", stopAll);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    stopAll();
    process.exit(1);
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Starts one server with `env` added and waits until /readyz answers 200. */
export async function startServer(name, env = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const databaseUrl = `sqlite://${path.join(scratch, `${name}.db`)}?mode=rwc`;
  const log = path.join(root, `generated/server-${name}.log`);
  const child = spawn(binary, ["serve"], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      LISTEN_ADDR: `127.0.0.1:${port}`,
      QINGDAN_ENV: "development",
      RUST_LOG: "warn",
      ...env,
    },
    stdio: ["ignore", openSync(log, "w"), openSync(log, "a")],
  });
  running.push(child);
  writeFileSync(pidFile, running.map((c) => c.pid).join("\n") + "\n");
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server ${name} exited (${child.exitCode}); see ${log}`);
    try {
      const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) });
      if (ready.status === 200) return { url, databaseUrl };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server ${name} not ready within 60 s; see ${log}`);
}

/** A development token, signed by the binary with the secret the servers use; the
 * department it names is looked up in the server's database. */
export function token(databaseUrl, ...claims) {
  const out = spawnSync(binary, ["token", ...claims], {
    encoding: "utf8",
    env: { ...process.env, DATABASE_URL: databaseUrl },
    timeout: 60_000,
  });
  if (out.status !== 0) throw new Error(`qingdan token ${claims.join(" ")}: ${out.stderr}`);
  return out.stdout.trim();
}
