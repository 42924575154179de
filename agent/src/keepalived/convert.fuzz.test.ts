// Fuzz of the keepalived.conf importer (pure, deterministic): slices of keepalived.conf files, spliced
// and damaged (test/helpers/fuzz/keepalived.ts, the generators of `npm run bench -- fuzz`), through
// lexFile (includes from memory only) and keepalivedToAgentConfig. Nothing throws; every problem names
// its file:line or the agent path. Seeds: this directory's fixtures, and the real-world corpus in
// ../shared/keepalived-corpus when it is there (read in place). Below, a finding of the fuzz: it failed
// before its fix.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { assertFuzz } from "../../../test/helpers/fuzz/check.ts";
import { keepalivedTarget, readSeeds } from "../../../test/helpers/fuzz/keepalived.ts";
import { problemsOf } from "./test-helpers.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures", import.meta.url));
const CORPUS = fileURLToPath(new URL("../../../../shared/keepalived-corpus", import.meta.url));

test("fuzz: 1,500 damaged slices of the fixtures convert or are refused naming file:line", () => {
  assertFuzz(keepalivedTarget(readSeeds(FIXTURES)), { cases: 1_500, seed: 0xc0f, kinds: 40 });
});

test("fuzz: 1,500 damaged slices of the real-world corpus", { skip: !existsSync(CORPUS) && "no corpus" }, () => {
  assertFuzz(keepalivedTarget(readSeeds(CORPUS)), { cases: 1_500, seed: 0xc0f, kinds: 60 });
});

test("finding: lvs_timeouts with a word like 'constructor' is refused naming the word (was a path through Object)", () => {
  assert.deepEqual(problemsOf("global_defs {\n  lvs_timeouts udp 1 constructor 5\n}\n"), [
    "k.conf:2: lvs_timeouts: 'constructor' is not one of tcp, tcpfin, udp",
  ]);
});
