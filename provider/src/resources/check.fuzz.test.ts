// Fuzz of every resource's Check (pure, deterministic): random JSON and mutated valid inputs of Director,
// Vip, VirtualServer and RealServer (test/helpers/fuzz/validation.ts, the generators of `npm run bench --
// fuzz`) through the check their handler's spec defines, as provider.ts calls it. Nothing throws; every
// problem has a message and names its input field. Below, a finding of the fuzz: it failed before its fix.
import { test } from "node:test";
import assert from "node:assert/strict";
import { assertFuzz } from "../../../test/helpers/fuzz/check.ts";
import { resourceCheckTarget } from "../../../test/helpers/fuzz/validation.ts";
import { virtualServerSpec } from "./virtual-server/spec.ts";

const conn = { host: "10.0.0.2", user: "root", privateKey: "K", hostKey: `SHA256:${"A".repeat(43)}` };
const vs = { name: "http", address: "10.0.0.100", port: 80, directors: [conn] };

test("a VirtualServer's inputs pass Check: the base of the findings below", () => {
  assert.deepEqual(virtualServerSpec.check(vs).problems, []);
});

test("fuzz: 4,000 random and mutated resource inputs pass Check or are refused naming each field", () => {
  assertFuzz(resourceCheckTarget(), { cases: 4_000, seed: 0xc4ec, kinds: 40 });
});

test("finding: a VirtualServer whose name is an object without toString is refused at name (Check threw a TypeError)", () => {
  const r = virtualServerSpec.check({ ...vs, name: [{ toString: null }] });
  assert.deepEqual(
    r.problems.map((p) => [p.path, p.message]),
    [[["name"], "must be a string"]],
  );
});

test("finding: a VirtualServer with an address and no port is refused at a field (was at no field: property '')", () => {
  const r = virtualServerSpec.check({ ...vs, port: undefined });
  assert.deepEqual(
    r.problems.map((p) => [p.path, p.message]),
    [[["address"], "needs address and port (or a fwmark)"]],
  );
});
