// keepalived.conf fuzz cases: slices of real files (a few top-level blocks, or a window of lines, never
// a whole big file) spliced between files and damaged: bytes replaced, words deleted, repeated or
// swapped, cut short, braces lost or added, huge numbers, long words, includes, `$VAR`/`@id` lines and
// hostile strings. A case's files live in memory (memIo): an include reaches only the files the case
// names, never the disk. The target runs lexFile + keepalivedToAgentConfig, which must never throw and
// must name file:line (or the agent path) in every problem. Pure; readSeeds reads the seed files.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import { lexFile } from "../../../agent/src/keepalived/lexer.ts";
import { keepalivedToAgentConfig } from "../../../agent/src/keepalived/convert.ts";
import { memIo } from "../../../agent/src/keepalived/test-helpers.ts";
import { HOSTILE_STRINGS, int, pick, type Rng } from "./gen.ts";
import { ACCEPTED, PropertyFailure, refused, type FuzzTarget } from "./harness.ts";

export interface SeedFile {
  /** its path below the seed directory, e.g. "37-include-inside-instance/keepalived.conf" */
  name: string;
  text: string;
  lines: string[];
  /** [first, end) line ranges of its top-level blocks and lines */
  blocks: [number, number][];
}

/** Every *.conf below `dir` (read now, in place), with its top-level blocks. */
export function readSeeds(dir: string, under = ""): SeedFile[] {
  return readdirSync(join(dir, under))
    .sort()
    .flatMap((n) => {
      const rel = under ? `${under}/${n}` : n;
      if (statSync(join(dir, rel)).isDirectory()) return readSeeds(dir, rel);
      return n.endsWith(".conf") ? [seedFile(rel, readFileSync(join(dir, rel), "utf8"))] : [];
    });
}

function seedFile(name: string, text: string): SeedFile {
  const lines = text.split("\n");
  const blocks: [number, number][] = [];
  let depth = 0;
  let start = 0;
  lines.forEach((line, i) => {
    const code = line.replace(/[#!].*$/, "");
    depth = Math.max(0, depth + (code.match(/\{/g)?.length ?? 0) - (code.match(/\}/g)?.length ?? 0));
    if (depth === 0) {
      if (code.trim() !== "") blocks.push([start, i + 1]);
      start = i + 1;
    }
  });
  return { name, text, lines, blocks: blocks.length > 0 ? blocks : [[0, lines.length]] };
}

/**
 * One top-level block, sometimes two (at most 40 lines), or a window of up to 25 lines: whole files
 * cost ten times as much a case, and the blocks are where the parser's and converter's paths differ.
 */
function slice(rng: Rng, f: SeedFile): string {
  const lines = f.lines;
  if (rng() < 0.25) {
    const from = int(rng, 0, lines.length - 1);
    return lines.slice(from, from + int(rng, 1, 25)).join("\n");
  }
  const first = int(rng, 0, f.blocks.length - 1);
  const last = Math.min(f.blocks.length - 1, first + (rng() < 0.2 ? 1 : 0));
  return lines.slice(f.blocks[first]![0], Math.min(f.blocks[last]![1], f.blocks[first]![0] + 40)).join("\n");
}

const DIR = "/etc/keepalived";
const ENTRY = `${DIR}/keepalived.conf`;
const PART = `${DIR}/conf.d/part.conf`;
const INCLUDES = [
  "conf.d/part.conf",
  "conf.d/*.conf",
  "keepalived.conf",
  "/dev/zero",
  "missing.conf",
  "[",
  "../../../../etc/shadow",
  "/etc/keepalived/conf.d/[a-z]*",
];
const NUMBERS = ["99999999999999999999999", "-1", "4294967296", "1e309", "0x7fffffff", "1.5", "NaN", "-0", "256", "0"];

const words = (t: string) => t.split(/(\s+)/);
const wordAt = (rng: Rng, w: string[]) => 2 * int(rng, 0, (w.length - 1) >> 1);
const atLine = (rng: Rng, t: string, insert: string) => {
  const lines = t.split("\n");
  lines.splice(int(rng, 0, lines.length), 0, insert);
  return lines.join("\n");
};
const at = (rng: Rng, t: string, insert: string, cut = 0) => {
  const i = int(rng, 0, t.length);
  return t.slice(0, i) + insert + t.slice(i + cut);
};

const MUTATIONS: ((rng: Rng, t: string, seeds: readonly SeedFile[]) => string)[] = [
  (rng, t) => at(rng, t, pick(rng, ["{", "}", '"', "#", "!", "$", "@", "\\", "\0", "\n", "\t", "x", "9", "é"]), 1), // a byte replaced
  (rng, t) => {
    const w = words(t);
    w.splice(wordAt(rng, w), 1);
    return w.join("");
  }, // a word deleted
  (rng, t) => {
    const w = words(t);
    const i = wordAt(rng, w);
    w.splice(i, 0, w[i]!, " ");
    return w.join("");
  }, // a word repeated
  (rng, t) => {
    const w = words(t);
    const [i, j] = [wordAt(rng, w), wordAt(rng, w)];
    [w[i], w[j]] = [w[j]!, w[i]!];
    return w.join("");
  }, // two words swapped
  (rng, t) => t.slice(0, int(rng, 0, t.length)), // cut short
  (rng, t) => {
    const braces = [...t.matchAll(/[{}]/g)].map((m) => m.index);
    if (braces.length === 0 || rng() < 0.4) return at(rng, t, pick(rng, ["{", "}", " { ", "\n}\n"]));
    const i = pick(rng, braces);
    return t.slice(0, i) + t.slice(i + 1);
  }, // brace lost or added
  (rng, t) => t.replace(/\b\d+\b/, pick(rng, NUMBERS)).replace(new RegExp(`(?<=\\s)\\d+(?=\\s)`), pick(rng, NUMBERS)), // huge numbers
  (rng, t) => at(rng, t, ` ${pick(rng, ['"', ""])}${"a".repeat(int(rng, 1_000, 10_000))} `), // a long word
  (rng, t, seeds) => atLine(rng, t, slice(rng, pick(rng, seeds))), // a block from another file
  (rng, t) => atLine(rng, t, `${pick(rng, ["include", "includer", "includea", "include"])} ${pick(rng, INCLUDES)}`),
  (rng, t) => atLine(rng, t, pick(rng, ["$IF=eth0", "$X={", "$A=$A$A$A$A", "interface $IF", "${_PWD}", "$UNDEFINED"])),
  (rng, t) => t.replace(/^(\s*)/m, `$1${pick(rng, ["@lb1 ", "@^lb1 ", "@lb2 ", "@ ", "@^"])}`), // a conditional line
  (rng, t) => at(rng, t, ` ${pick(rng, HOSTILE_STRINGS).slice(0, 5_000)} `),
];

export interface KeepalivedCase {
  /** path -> text; the first is the entry */
  files: Record<string, string>;
}

function mutated(rng: Rng, text: string, seeds: readonly SeedFile[]): string {
  let t = text;
  for (let n = int(rng, 0, 4); n > 0; n--) t = pick(rng, MUTATIONS)(rng, t, seeds);
  return t;
}

/** An entry file (a damaged slice), sometimes an included part, and the seed's own siblings (its include tree). */
export function randomKeepalivedCase(rng: Rng, seeds: readonly SeedFile[]): KeepalivedCase {
  const seed = pick(rng, seeds);
  const files: Record<string, string> = { [ENTRY]: mutated(rng, slice(rng, seed), seeds) };
  if (rng() < 0.3) files[PART] = mutated(rng, slice(rng, pick(rng, seeds)), seeds);
  const dir = posix.dirname(seed.name);
  if (dir !== ".")
    for (const s of seeds)
      if (s !== seed && posix.dirname(s.name) === dir) files[`${DIR}/${posix.basename(s.name)}`] = s.text;
  return { files };
}

const COMMANDS: Record<string, string> = {
  killall: "/usr/bin/killall",
  pidof: "/usr/bin/pidof",
  true: "/usr/bin/true",
};
/** file:line first, or the agent path at the end. */
const placed = (m: string) => /^[^\s:]+:\d+: /.test(m) || /\(lvs-agent \S[^)]*\)$/.test(m);

export function keepalivedTarget(seeds: readonly SeedFile[]): FuzzTarget<KeepalivedCase> {
  if (seeds.length === 0) throw new Error("no keepalived.conf seeds");
  return {
    name: "keepalived",
    generate: (rng) => randomKeepalivedCase(rng, seeds),
    run(c) {
      const source = lexFile(ENTRY, memIo(c.files), { configId: "lb1" });
      const r = keepalivedToAgentConfig(source, { resolveCommand: (n) => COMMANDS[n] });
      if (r.ok) {
        if (typeof r.config !== "object") throw new PropertyFailure("accepted without a config");
        return ACCEPTED;
      }
      return refused(r.problems, placed);
    },
    describe: (c) => JSON.stringify(c.files),
  };
}
