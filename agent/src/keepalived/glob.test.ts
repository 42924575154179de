import { test } from "node:test";
import assert from "node:assert/strict";
import { globPart, isGlob } from "./glob.ts";

const matches = (pattern: string, names: string[]) => {
  const g = globPart(pattern);
  assert.ok(g.ok, pattern);
  return names.filter((n) => g.re.test(n));
};

test("*, ? and classes match as glob(3) does, everything else literally", () => {
  const names = ["a.conf", "b.conf", "ab.conf", "a.confx", "c.cnf", "x+y.conf", "]x"];
  assert.deepEqual(matches("*.conf", names), ["a.conf", "b.conf", "ab.conf", "x+y.conf"]);
  assert.deepEqual(matches("?.conf", names), ["a.conf", "b.conf"]);
  assert.deepEqual(matches("[ab].conf", names), ["a.conf", "b.conf"]);
  assert.deepEqual(matches("[!a].conf", names), ["b.conf"]);
  assert.deepEqual(matches("[^a-b].c?f", names), ["c.cnf"]);
  assert.deepEqual(matches("x+y.conf", names), ["x+y.conf"]);
  assert.deepEqual(matches("[]]x", names), ["]x"]);
  assert.ok(isGlob("a*") && isGlob("[x") && !isGlob("a.conf"));
});

test("a pattern that is not valid is an answer with the reason, never a throw", () => {
  for (const bad of ["[x", "a[", "[!", "[]", "[z-a]"]) {
    const g = globPart(bad);
    assert.equal(g.ok, false, bad);
    assert.ok(!g.ok && g.why.length > 0);
  }
});
