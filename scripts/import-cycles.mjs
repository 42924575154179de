#!/usr/bin/env node
// Part of `npm run lint`: no import cycles among the repository's own TypeScript files, counting
// `import type` and `export ... from` too (eslint's import-x/no-cycle skips type-only edges, and a cycle
// closed by types still means two files that each need the other: a contract belongs in a file of its
// own below both). Prints every cycle found, as a chain of files, and exits 1 if there is one.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

const ROOT = join(dirname(new URL(import.meta.url).pathname), "..");
const DIRS = ["agent", "provider", "lvsctl", "sdk", "test", "bench", "examples", "scripts"];
const SPEC = /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*["'](\.\.?\/[^"']+\.ts)["']/g;

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(relative(ROOT, p));
  }
  return out;
}

const files = DIRS.flatMap((d) => walk(join(ROOT, d), []));
const edges = new Map(
  files.map((f) => [
    f,
    [...readFileSync(join(ROOT, f), "utf8").matchAll(SPEC)].map((m) => normalize(join(dirname(f), m[1]))),
  ]),
);

// Tarjan's strongly connected components: every component of more than one file is a cycle.
let index = 0;
const idx = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const cycles = [];
function connect(v) {
  idx.set(v, index);
  low.set(v, index++);
  stack.push(v);
  onStack.add(v);
  for (const w of edges.get(v) ?? []) {
    if (!edges.has(w)) continue;
    if (!idx.has(w)) {
      connect(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) !== idx.get(v)) return;
  const component = [];
  let w;
  do {
    w = stack.pop();
    onStack.delete(w);
    component.push(w);
  } while (w !== v);
  if (component.length > 1 || (edges.get(v) ?? []).includes(v)) cycles.push(component.sort());
}
for (const f of files) if (!idx.has(f)) connect(f);

for (const c of cycles) console.error(`import cycle: ${c.join(" <-> ")}`);
if (cycles.length > 0) {
  console.error(`${cycles.length} import cycle(s): move what the files share into a file of its own below them`);
  process.exit(1);
}
console.log(`import-cycles: ${files.length} files, no cycle`);
