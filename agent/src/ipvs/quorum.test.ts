import { test } from "node:test";
import assert from "node:assert/strict";
import { initialQuorum, nextQuorum, quorumRule, stepQuorums } from "./quorum.ts";

test("a rule exists with a quorum or quorum scripts; keepalived's default quorum is 1", () => {
  assert.equal(quorumRule({}), undefined);
  assert.deepEqual(quorumRule({ quorumUp: "/bin/true" }), { quorum: 1, hysteresis: 0 });
  assert.deepEqual(quorumRule({ quorum: 5, hysteresis: 2 }), { quorum: 5, hysteresis: 2 });
  // keepalived: "hysteresis 1 >= quorum 1; setting hysteresis to 0"
  assert.deepEqual(quorumRule({ quorum: 1, hysteresis: 1 }), { quorum: 1, hysteresis: 0 });
});

test("gained at quorum + hysteresis, lost below quorum - hysteresis or at 0", () => {
  const r = { quorum: 5, hysteresis: 2 };
  assert.equal(initialQuorum(6, r), false);
  assert.equal(initialQuorum(7, r), true);
  assert.equal(nextQuorum(false, 6, r), false);
  assert.equal(nextQuorum(false, 7, r), true);
  assert.equal(nextQuorum(true, 3, r), true);
  assert.equal(nextQuorum(true, 2, r), false);
  const one = { quorum: 1, hysteresis: 0 };
  assert.equal(nextQuorum(true, 0, one), false);
  assert.equal(nextQuorum(false, 1, one), true);
});

test("steps: a new virtual server starts without a transition; crossings are transitions", () => {
  const rule = { quorum: 1, hysteresis: 0 };
  // alpha: every real server starts down, so the quorum starts lost and nothing runs
  const start = stepQuorums(new Map(), new Map([["web", { rule, liveWeight: 0 }]]));
  assert.deepEqual([...start.states], [["web", false]]);
  assert.deepEqual(start.changes, []);
  const up = stepQuorums(start.states, new Map([["web", { rule, liveWeight: 1 }]]));
  assert.deepEqual(up.changes, [{ name: "web", up: true, liveWeight: 1 }]);
  const same = stepQuorums(up.states, new Map([["web", { rule, liveWeight: 2 }]]));
  assert.deepEqual(same.changes, []);
  const down = stepQuorums(same.states, new Map([["web", { rule, liveWeight: 0 }]]));
  assert.deepEqual(down.changes, [{ name: "web", up: false, liveWeight: 0 }]);
  // a virtual server gone from the config (or its rule) is forgotten
  assert.equal(stepQuorums(down.states, new Map()).states.size, 0);
});
