import { test } from "node:test";
import assert from "node:assert/strict";
import { groupFaults, resignations } from "./sync-group.ts";
import type { VrrpState } from "./fsm.ts";

const groups = { G: { instances: ["VI_1", "VI_2", "VI_3"] }, H: { instances: ["VI_4"] } };

test("a member's own fault puts its siblings in FAULT, not itself twice and not other groups", () => {
  const f = groupFaults(groups, new Set(["VI_2"]));
  assert.deepEqual(f.get("VI_1"), ["sync group G: VI_2 in FAULT"]);
  assert.deepEqual(f.get("VI_2"), []);
  assert.deepEqual(f.get("VI_3"), ["sync group G: VI_2 in FAULT"]);
  assert.deepEqual(f.get("VI_4"), []);
  assert.deepEqual(
    groupFaults(groups, new Set()).get("VI_1"),
    [],
    "recovered: the imposed faults are gone, so siblings leave FAULT",
  );
});

test("a member going MASTER -> BACKUP makes its MASTER siblings resign; other transitions do nothing", () => {
  const states: Record<string, VrrpState> = { VI_1: "BACKUP", VI_2: "MASTER", VI_3: "FAULT", VI_4: "MASTER" };
  const stateOf = (n: string) => states[n];
  assert.deepEqual(resignations(groups, "VI_1", "MASTER", "BACKUP", stateOf), [
    { instance: "VI_2", reason: "sync group G: VI_1 went BACKUP" },
  ]);
  assert.deepEqual(resignations(groups, "VI_1", "BACKUP", "MASTER", stateOf), []);
  assert.deepEqual(resignations(groups, "VI_1", "MASTER", "FAULT", stateOf), [], "FAULT follows through faults");
  assert.deepEqual(resignations(groups, "VI_4", "MASTER", "BACKUP", stateOf), []);
});
