// What every *.fuzz.test.ts asserts of a run of its target (pure): no case broke a property, none hung
// (over SLOW_MS: generous, as test machines are shared; the bench holds its cases to a second), and the
// run reached both outcomes and many kinds of refusal, or it proves little.
import assert from "node:assert/strict";
import { runFuzz, type FuzzTarget } from "./harness.ts";

const SLOW_MS = 5_000;

export function assertFuzz<I>(target: FuzzTarget<I>, o: { cases: number; seed: number; kinds: number }): void {
  const s = runFuzz(target, { cases: o.cases, seed: o.seed });
  const failures = s.failures.map((f) => `case ${f.index}: ${f.message}\n  input: ${f.input.slice(0, 500)}`);
  assert.deepEqual(failures, [], `${s.failureCount} of ${s.cases} cases broke a property`);
  assert.ok(s.slowestMs < SLOW_MS, `case ${s.slowestIndex} took ${s.slowestMs.toFixed(0)} ms`);
  assert.ok(s.accepted >= o.cases / 100, `only ${s.accepted} of ${s.cases} cases accepted`);
  assert.ok(s.refused >= o.cases / 10, `only ${s.refused} of ${s.cases} cases refused`);
  assert.ok(s.kinds.size >= o.kinds, `${s.kinds.size} kinds of refusal: ${[...s.kinds.keys()].join(" | ")}`);
}
