import { test } from "node:test";
import assert from "node:assert/strict";
import type { RunResult } from "../track/runas.ts";
import { MAX_DYNAMIC_WEIGHT, scriptVerdict } from "./script.ts";

const exit = (code: number | null, over: Partial<RunResult> = {}): RunResult => ({
  ok: code === 0,
  code,
  signal: null,
  timedOut: false,
  stderr: "",
  ...over,
});

test("plain: only exit 0 is up", () => {
  assert.deepEqual(scriptVerdict(exit(0), false, 1000), { ok: true, detail: "exit 0" });
  for (const code of [1, 2, 127, 255]) assert.equal(scriptVerdict(exit(code), false, 1000).ok, false, String(code));
  assert.deepEqual(scriptVerdict(exit(3, { stderr: "db lagging\nmore\n" }), false, 1000), {
    ok: false,
    detail: "exit 3: db lagging",
  });
});

test("dynamic weight: 0 up unchanged, 1 down, 2-255 up with weight code - 2", () => {
  assert.deepEqual(scriptVerdict(exit(0), true, 1000), { ok: true, detail: "exit 0" });
  assert.deepEqual(scriptVerdict(exit(1), true, 1000), { ok: false, detail: "exit 1" });
  assert.deepEqual(scriptVerdict(exit(2), true, 1000), { ok: true, detail: "exit 2: weight 0", weight: 0 });
  assert.deepEqual(scriptVerdict(exit(52), true, 1000), { ok: true, detail: "exit 52: weight 50", weight: 50 });
  assert.equal(scriptVerdict(exit(255), true, 1000).weight, MAX_DYNAMIC_WEIGHT);
});

test("timeouts, signals and start failures are down whatever the mode", () => {
  for (const dyn of [false, true]) {
    assert.deepEqual(scriptVerdict(exit(null, { timedOut: true, signal: "SIGKILL" }), dyn, 1500), {
      ok: false,
      detail: "timed out after 1500 ms",
    });
    assert.deepEqual(scriptVerdict(exit(null, { signal: "SIGSEGV" }), dyn, 1000), {
      ok: false,
      detail: "killed by SIGSEGV",
    });
    assert.deepEqual(scriptVerdict(exit(null, { error: "spawn EACCES" }), dyn, 1000), {
      ok: false,
      detail: "could not start: spawn EACCES",
    });
  }
});
