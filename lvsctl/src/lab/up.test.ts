import { test } from "node:test";
import assert from "node:assert/strict";
import { parseLabOptions } from "./topology.ts";
import { labProblems } from "./up.ts";

test("a lab this machine cannot make is refused with what to do: name in use, no user-mode Linux, missing tools", () => {
  const o = parseLabOptions({ name: "lab" });
  assert.ok(o.ok);
  const ready = { labExists: false, umlKernel: true, missingCommands: [], root: true };
  assert.deepEqual(labProblems(o.options, ready), []);
  assert.deepEqual(labProblems(o.options, { labExists: true, umlKernel: false, missingCommands: ["nginx", "cc"], root: false }), [
    "a lab named lab exists: lvsctl lab down --name lab, or pick another --name",
    "user-mode Linux is not installed: the lab's directors are user-mode Linux guests (this kernel has no IPVS); apt-get install user-mode-linux",
    "nginx, cc not installed: bash scripts/setup.sh installs what the lab needs",
    "the lab makes network namespaces: run it as root",
  ]);
});
