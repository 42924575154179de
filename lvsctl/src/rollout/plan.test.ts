import { test } from "node:test";
import assert from "node:assert/strict";
import { parseRolloutPlan } from "./plan.ts";

const sites = ["a", "b", "c", "d"].map((n) => ({ name: n, file: `${n}.yaml` }));
const order = (input: unknown) => {
  const r = parseRolloutPlan(input);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  return r.waves.map((w) => w.map((s) => s.name));
};

test("the canary first (the first site unless named), then one wave per site or the waves given", () => {
  assert.deepEqual(order({ sites }), [["a"], ["b"], ["c"], ["d"]]);
  assert.deepEqual(order({ sites, canary: "c", waves: [["a", "b"], ["d"]] }), [["c"], ["a", "b"], ["d"]]);
});

test("gates and rollback have defaults: no real server down, drift and probe on, 60 s to pass", () => {
  const r = parseRolloutPlan({ sites });
  assert.ok(r.ok);
  assert.deepEqual(r.plan.gates, { unhealthyAllowed: 0, drift: true, probe: true, waitSeconds: 60 });
  assert.equal(r.plan.rollback, false);
});

test("every problem at once, each with its path: unknown names, a site twice or in no wave, unknown fields", () => {
  const r = parseRolloutPlan({
    sites: [...sites, { name: "a", file: "x.yaml" }],
    canary: "z",
    waves: [["b", "b"], ["q"]],
  });
  assert.ok(!r.ok);
  assert.deepEqual(
    r.problems.map((p) => `${p.path.join(".")}: ${p.message}`),
    [
      'sites.4.name: "a" is used twice',
      'canary: no site named "z"',
      'waves.0.1: "b" is already deployed earlier in the rollout',
      'waves.1.0: no site named "q"',
      "waves: a, c, d in no wave: add them, or remove them from sites",
    ],
  );
  const typo = parseRolloutPlan({ sites, gate: {} });
  assert.ok(!typo.ok);
  assert.deepEqual(typo.problems[0], { path: ["gate"], message: 'unknown field "gate"' });
});
