#!/usr/bin/env node
// Runs every *.test.ts under agent/, provider/, test/ and examples/ with node's test runner (via tsx).
// Node 20's --test takes no globs, so the files are listed here. `--unit` keeps only the pure unit
// tests that sit beside the code (no root, no namespaces); extra arguments are passed to node --test.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const args = process.argv.slice(2);
const unitOnly = args.includes("--unit");
const passthrough = args.filter((a) => a !== "--unit" && !a.startsWith("--only="));
const only = args.find((a) => a.startsWith("--only="))?.slice("--only=".length);

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

let files = ["agent", "provider", "examples", "test"].flatMap((d) => {
  try { return walk(d, []); } catch { return []; }
});
if (unitOnly) files = files.filter((f) => !f.startsWith("test/"));
if (only) files = files.filter((f) => f.includes(only));
files.sort();

// Namespace tests share one kernel and time-sensitive VRRP timers: run files one at a time.
const res = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=1", ...passthrough, ...files], {
  stdio: "inherit",
});
process.exit(res.status ?? 1);
