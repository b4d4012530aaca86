// Runs a tool of node_modules/.bin from this directory and keeps what it printed.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { root } from "./harness.mjs";

export function tool(name, args, cwd = root) {
  const started = Date.now();
  const out = spawnSync(path.join(root, "node_modules/.bin", name), args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  return {
    status: out.status,
    output: `${out.stdout}${out.stderr}`,
    seconds: (Date.now() - started) / 1000,
  };
}
