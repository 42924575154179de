import { test } from "node:test";
import assert from "node:assert/strict";
import { countByServer, timeline } from "./timeline.ts";

test("a failover seen by the client: answered, a failed run, answered again; the longest gap between answers", () => {
  const answers = [
    { t: 0, who: "rs1" },
    { t: 20, who: "rs2" },
    { t: 40, error: "timeout" },
    { t: 260, error: "timeout" },
    { t: 480, error: "ECONNREFUSED" },
    { t: 500, who: "rs2" },
    { t: 520, who: "rs1" },
  ];
  const tl = timeline(answers);
  assert.deepEqual(tl.runs, [
    { from: 0, to: 20, ok: true, requests: 2, by: { rs1: 1, rs2: 1 } },
    { from: 40, to: 480, ok: false, requests: 3, by: { timeout: 2, ECONNREFUSED: 1 } },
    { from: 500, to: 520, ok: true, requests: 2, by: { rs2: 1, rs1: 1 } },
  ]);
  assert.equal(tl.longestGapMs, 480);
  assert.equal(tl.failed, 3);
  assert.equal(tl.answered, 4);
  assert.deepEqual(countByServer(answers), { rs1: 2, rs2: 2 });
});

test("no answers at all: one failed run and no gap between answers", () => {
  const tl = timeline([
    { t: 0, error: "timeout" },
    { t: 10, error: "timeout" },
  ]);
  assert.equal(tl.runs.length, 1);
  assert.equal(tl.longestGapMs, 0);
  assert.equal(tl.answered, 0);
});
