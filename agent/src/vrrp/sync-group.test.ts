import { test } from "node:test";
import assert from "node:assert/strict";
import { groupFaults, holdouts, inSyncGroup, resignations, takeovers } from "./sync-group.ts";
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

test("a group goes MASTER together: only when every member is MASTER or wants it", () => {
  const states: Record<string, VrrpState> = { VI_1: "BACKUP", VI_2: "BACKUP", VI_3: "BACKUP", VI_4: "BACKUP" };
  const stateOf = (n: string) => states[n];
  // VI_1 and VI_2 want MASTER; VI_3 still hears a master: nobody moves, and VI_3 is the one waited for.
  assert.deepEqual(takeovers(groups, ["VI_1", "VI_2"], stateOf), []);
  assert.deepEqual(holdouts(groups, "VI_1", ["VI_1", "VI_2"], stateOf), ["VI_3"]);
  // VI_3 wants it too: all three go, each with the group named.
  assert.deepEqual(
    takeovers(groups, ["VI_1", "VI_2", "VI_3"], stateOf).map((t) => `${t.instance}: ${t.reason}`),
    ["VI_1", "VI_2", "VI_3"].map((n) => `${n}: sync group G: every member wants MASTER`),
  );
  // A member that is MASTER already holds no one back; one in FAULT does, and so does one that is
  // configured but not running (restarted by a reload, or failed to start), as keepalived's would be in FAULT.
  states.VI_3 = "MASTER";
  assert.deepEqual(takeovers(groups, ["VI_1"], stateOf).length, 0, "VI_2 neither MASTER nor wanting");
  assert.deepEqual(
    takeovers(groups, ["VI_1", "VI_2"], stateOf).map((t) => t.instance),
    ["VI_1", "VI_2"],
  );
  delete states.VI_3;
  assert.deepEqual(takeovers(groups, ["VI_1", "VI_2"], stateOf), []);
  assert.deepEqual(holdouts(groups, "VI_1", ["VI_1", "VI_2"], stateOf), ["VI_3"]);
  states.VI_3 = "FAULT";
  assert.deepEqual(takeovers(groups, ["VI_1", "VI_2"], stateOf), []);
  // A single-member group, and an instance in no group (never asks: its machine goes MASTER itself).
  assert.deepEqual(
    takeovers(groups, ["VI_4"], stateOf).map((t) => t.instance),
    ["VI_4"],
  );
  assert.deepEqual(takeovers(groups, ["VI_9"], stateOf), []);
});

test("in a sync group or not: what an instance's machine needs to know", () => {
  assert.ok(inSyncGroup(groups, "VI_1"));
  assert.ok(!inSyncGroup(groups, "VI_9"));
});
