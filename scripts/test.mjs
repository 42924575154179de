#!/usr/bin/env node
// Runs every *.test.ts under agent/, provider/, lvsctl/, examples/ and test/ with node's test runner (via tsx),
// one layer after another, and prints each layer's wall time and counts, so a slow layer is visible:
//   unit        pure tests beside the code (agent/, provider/, lvsctl/, examples/): no root, no namespaces
//   namespaces  agents, keepalived, tshark, health checks in network namespaces on the host kernel
//   uml         IPVS inside user-mode Linux (test/ipvs/uml.test.ts, test/uml/)
//   provider    the plugin over gRPC against sshd hosts, the SDK, the bundle and the npm package
//   engine      the real Pulumi CLI against the lab (test/engine/)
// `--unit` keeps the unit layer only; `--only=STR` keeps files whose path contains STR; `--layer=NAME`
// keeps one layer; other arguments go to node --test. Node 20's --test takes no globs: files are listed.
// Files run one at a time: namespace tests share one kernel and time-sensitive VRRP timers.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawn } from "node:child_process";

const args = process.argv.slice(2);
const value = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const only = value("only");
const layerWanted = args.includes("--unit") ? "unit" : value("layer");
const passthrough = args.filter((a) => a !== "--unit" && !/^--(only|layer)=/.test(a));

const LAYERS = [
  ["unit", (f) => !f.startsWith("test/")],
  ["uml", (f) => f === "test/ipvs/uml.test.ts" || f.startsWith("test/uml/")],
  ["provider", (f) => /^test\/(provider|examples|bundle|package)\//.test(f)],
  ["engine", (f) => f.startsWith("test/engine/")],
  ["namespaces", () => true],
];

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

const files = ["agent", "provider", "lvsctl", "examples", "test"]
  .flatMap((d) => {
    try {
      return walk(d, []);
    } catch {
      return [];
    }
  })
  .filter((f) => !only || f.includes(only))
  .sort();
const layerOf = (f) => LAYERS.find(([, member]) => member(f))[0];
const ORDER = ["unit", "namespaces", "uml", "provider", "engine"];

/** One `node --test` run of a layer's files; its output passes through, its counts are read from it. */
function runLayer(name, layerFiles) {
  const reporter = process.stdout.isTTY ? ["--test-reporter=spec"] : [];
  const argv = ["--import", "tsx", "--test", "--test-concurrency=1", ...reporter, ...passthrough, ...layerFiles];
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { stdio: ["inherit", "pipe", "inherit"] });
    let tail = "";
    child.stdout.on("data", (chunk) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString("utf8")).slice(-4000);
    });
    child.on("close", (code, signal) => {
      const count = (word) => Number(new RegExp(`^(?:#|ℹ) ${word} (\\d+)`, "m").exec(tail)?.[1] ?? 0);
      resolve({
        name,
        files: layerFiles.length,
        code: code ?? (signal ? 1 : 0),
        ms: Date.now() - started,
        pass: count("pass"),
        fail: count("fail"),
        skipped: count("skipped"),
      });
    });
  });
}

const results = [];
for (const name of ORDER) {
  if (layerWanted && name !== layerWanted) continue;
  const layerFiles = files.filter((f) => layerOf(f) === name);
  if (layerFiles.length === 0) continue;
  process.stdout.write(`\n## layer ${name}: ${layerFiles.length} file(s)\n`);
  results.push(await runLayer(name, layerFiles));
}

const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
process.stdout.write("\n## layers\n");
for (const r of results) {
  process.stdout.write(
    `${r.name.padEnd(11)} ${secs(r.ms).padStart(8)}  ${r.files} files, ${r.pass} passed, ${r.fail} failed, ${r.skipped} skipped${r.code ? ` (exit ${r.code})` : ""}\n`,
  );
}
const total = (k) => results.reduce((a, r) => a + r[k], 0);
process.stdout.write(`total       ${secs(total("ms")).padStart(8)}\n`);
const failed = results.some((r) => r.code !== 0);
// The plain closing line that CI reads: a layer that died without counting still fails the run.
process.stdout.write(`${total("pass")} passed, ${total("fail") + (failed && total("fail") === 0 ? 1 : 0)} failed\n`);
process.exit(failed || results.length === 0 ? 1 : 0);
