import { test } from "node:test";
import assert from "node:assert/strict";
import { effectivePriority } from "./priority.ts";

test("no tracks: the configured priority", () => {
  assert.deepEqual(effectivePriority(100, []), { priority: 100, fault: false });
});

test("positive weight adds while up, nothing while down", () => {
  assert.deepEqual(effectivePriority(100, [{ up: true, weight: 20 }]), { priority: 120, fault: false });
  assert.deepEqual(effectivePriority(100, [{ up: false, weight: 20 }]), { priority: 100, fault: false });
});

test("negative weight subtracts while down, nothing while up", () => {
  assert.deepEqual(effectivePriority(100, [{ up: false, weight: -30 }]), { priority: 70, fault: false });
  assert.deepEqual(effectivePriority(100, [{ up: true, weight: -30 }]), { priority: 100, fault: false });
});

test("weights sum across tracks", () => {
  const tracks = [
    { up: true, weight: 10 },
    { up: false, weight: -25 },
    { up: true, weight: -5 },
    { up: false, weight: 7 },
  ];
  assert.deepEqual(effectivePriority(100, tracks), { priority: 85, fault: false });
});

test("a down track without weight (absent or 0) is a fault; up it changes nothing", () => {
  assert.deepEqual(effectivePriority(100, [{ up: false }]), { priority: 100, fault: true });
  assert.deepEqual(effectivePriority(100, [{ up: false, weight: 0 }]), { priority: 100, fault: true });
  assert.deepEqual(effectivePriority(100, [{ up: true }]), { priority: 100, fault: false });
});

test("clamped to 1..254", () => {
  assert.equal(effectivePriority(250, [{ up: true, weight: 50 }]).priority, 254);
  assert.equal(effectivePriority(10, [{ up: false, weight: -50 }]).priority, 1);
  assert.equal(effectivePriority(254, [{ up: true, weight: 1 }]).priority, 254);
});

test("an owner keeps 255 whatever the weights, but not through a fault", () => {
  assert.deepEqual(effectivePriority(255, [{ up: false, weight: -100 }]), { priority: 255, fault: false });
  assert.deepEqual(effectivePriority(255, [{ up: true, weight: 10 }]), { priority: 255, fault: false });
  assert.deepEqual(effectivePriority(255, [{ up: false }]), { priority: 255, fault: true });
});
