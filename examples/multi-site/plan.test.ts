// The example's plan and site files as lvsctl reads them (pure: files in, problems out): the plan is
// valid as written; each site file's only problems are the pins a user must fill in.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileSpec } from "../../lvsctl/src/cluster/file-spec.ts";
import { parseYamlSource } from "../../lvsctl/src/cluster/source.ts";
import { parseRolloutPlan } from "../../lvsctl/src/rollout/plan.ts";

const read = (f: string) => {
  const src = parseYamlSource(readFileSync(new URL(f, import.meta.url), "utf8"));
  assert.ok(src.ok, f);
  return src.source;
};

test("the plan: fra first, then ams and lon in one wave, with rollback", () => {
  const r = parseRolloutPlan(read("sites.yaml").value);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  assert.deepEqual(
    r.waves.map((w) => w.map((s) => s.name)),
    [["fra"], ["ams", "lon"]],
  );
  assert.equal(r.plan.rollback, true);
});

test("each site file is complete but for the host key pins", () => {
  for (const site of ["fra", "ams", "lon"]) {
    const src = read(`${site}.yaml`);
    const r = fileSpec(src.value, src.positionOf, () => ({ text: "a key" }));
    assert.ok(!r.ok);
    assert.deepEqual(
      [...new Set(r.problems.map((p) => p.path.replace(/\["[^"]+"\]|\.[\d.]+$/, "")))],
      ["ssh.hostKeys"],
    );
  }
});
