import { test } from "node:test";
import assert from "node:assert/strict";
import { INITIAL_HYSTERESIS, observe, type Hysteresis, type Thresholds } from "./hysteresis.ts";

/** Feeds results in order; returns the `up` state after each one. */
function run(results: boolean[], t: Thresholds, start: Hysteresis = INITIAL_HYSTERESIS): Array<boolean | undefined> {
  let s = start;
  return results.map((ok) => (s = observe(s, ok, t)).up);
}

test("the first result decides immediately", () => {
  assert.deepEqual(run([true], { rise: 3, fall: 3 }), [true]);
  assert.deepEqual(run([false], { rise: 3, fall: 3 }), [false]);
});

test("up goes down only after `fall` failures in a row", () => {
  assert.deepEqual(run([true, false, false, false], { rise: 1, fall: 3 }), [true, true, true, false]);
});

test("down comes up only after `rise` successes in a row", () => {
  assert.deepEqual(run([false, true, true], { rise: 2, fall: 1 }), [false, false, true]);
});

test("an agreeing result resets the count", () => {
  const t = { rise: 1, fall: 2 };
  assert.deepEqual(run([true, false, true, false, true, false, false], t), [true, true, true, true, true, true, false]);
  assert.deepEqual(run([false, true, false, true, true], { rise: 2, fall: 1 }), [false, false, false, false, true]);
});

test("rise=fall=1 follows every result", () => {
  assert.deepEqual(run([true, false, true, false], { rise: 1, fall: 1 }), [true, false, true, false]);
});

test("the state is not mutated", () => {
  const s: Hysteresis = { up: true, against: 0 };
  observe(s, false, { rise: 1, fall: 5 });
  assert.deepEqual(s, { up: true, against: 0 });
});
