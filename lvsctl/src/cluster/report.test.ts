import { test } from "node:test";
import assert from "node:assert/strict";
import { summaryLine } from "./report.ts";

const report = (op: "up" | "preview", changes: Record<string, number>) => ({
  op,
  stack: "s",
  changes,
  changed: 0,
  ms: 3800,
});

test("the closing line names the changes first, what stayed last, and leaves out the refresh's reads", () => {
  assert.equal(summaryLine(report("up", { same: 7, update: 1 })), "up: 1 updated, 7 unchanged (3.8 s)");
  assert.equal(
    summaryLine(report("preview", { same: 2, create: 3, refresh: 5 })),
    "preview: 3 to create, 2 unchanged (3.8 s)",
  );
  assert.equal(summaryLine(report("up", {})), "up: nothing (3.8 s)");
});
