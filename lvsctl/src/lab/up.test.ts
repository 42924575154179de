import { test } from "node:test";
import assert from "node:assert/strict";
import { parseLabOptions, type LabOptions } from "./topology.ts";
import { labProblems, resolveDirectorKind, type MachineFacts } from "./up.ts";

function options(raw: object): LabOptions {
  const o = parseLabOptions(raw);
  assert.ok(o.ok);
  return o.options;
}

const ready: MachineFacts = {
  labExists: false,
  umlKernel: true,
  hostIpvs: false,
  missingCommands: [],
  root: true,
  reachFromExists: true,
};

test("a lab this machine cannot make is refused with what to do: name in use, no IPVS anywhere, missing tools", () => {
  assert.deepEqual(labProblems(options({ name: "lab" }), ready), []);
  assert.deepEqual(
    labProblems(options({ name: "lab", reachFrom: "other" }), {
      labExists: true,
      umlKernel: false,
      hostIpvs: false,
      missingCommands: ["nginx", "cc"],
      root: false,
      reachFromExists: false,
    }),
    [
      "a lab named lab exists: lvsctl lab down --name lab, or pick another --name",
      "directors need IPVS: this kernel has none (modprobe ip_vs failed) and user-mode Linux is not installed: apt-get install user-mode-linux (or run on a kernel with IPVS)",
      "nginx, cc not installed: bash scripts/setup.sh installs what the lab needs",
      "the lab makes network namespaces: run it as root",
      "--reach-from other: no lab of that name; lvsctl lab up --name other first",
    ],
  );
});

test("directors are namespaces where this kernel has IPVS, user-mode Linux guests where it has not; a kind asked for must be possible", () => {
  assert.equal(resolveDirectorKind(options({}), { hostIpvs: true }), "netns");
  assert.equal(resolveDirectorKind(options({}), { hostIpvs: false }), "uml");
  assert.equal(resolveDirectorKind(options({ directorKind: "uml" }), { hostIpvs: true }), "uml");
  // IPVS here but no user-mode Linux: fine by default, refused when guests are asked for.
  const noUml = { ...ready, umlKernel: false, hostIpvs: true };
  assert.deepEqual(labProblems(options({}), noUml), []);
  assert.deepEqual(labProblems(options({ directorKind: "uml" }), noUml), [
    "user-mode Linux is not installed: --director-kind uml makes directors user-mode Linux guests; apt-get install user-mode-linux",
  ]);
  assert.deepEqual(labProblems(options({ directorKind: "netns" }), ready), [
    "--director-kind netns: this kernel has no IPVS (modprobe ip_vs failed): use --director-kind uml, or a kernel with IPVS",
  ]);
});
