import { test } from "node:test";
import assert from "node:assert/strict";
import type { BundleManifest, ManifestFile } from "../../../bundle/manifest.ts";
import { agentOutput, fileProblems, planApply, pruneNames, type Desired, type Found } from "./plan.ts";

const SHA_A = "aaaaaaaa".padEnd(64, "1");
const SHA_B = "bbbbbbbb".padEnd(64, "2");
const file: ManifestFile = { sha256: "c".repeat(64), size: 3, mode: "0755" };
const manifest = { agentVersion: "0.1.0", files: { "bin/node": file } } as unknown as BundleManifest;
const want: Desired = { name: "0.1.0-aaaaaaaa", sha256: SHA_A, manifest, manifestSha256: "m".repeat(64) };
const wanted = { fragment: '{"global":{"statusSocket":"/s"}}\n', serviceText: "#!/bin/sh\n" };
const record = {
  agentVersion: "0.1.0",
  bundleSha256: SHA_A,
  manifestSha256: "m".repeat(64),
  installedAt: "2026-01-01T00:00:00Z",
};

/** A director with the wanted bundle installed, verified and running, and the wanted files. */
function inSync(over: Partial<Found> = {}): Found {
  return {
    installed: { marker: true, current: want.name, record, versions: [{ name: want.name, mtime: 2 }] },
    files: [],
    fragment: '{ "global": { "statusSocket": "/s" } }',
    serviceText: wanted.serviceText,
    service: { running: true, pid: 42 },
    ...over,
  };
}

test("apply plan: in sync -> nothing at all (no upload, no restart)", () => {
  assert.deepEqual(planApply(want, inSync(), wanted), {
    install: false,
    reason: "installed",
    writeService: false,
    writeFragment: false,
    agent: "none",
    previous: want.name,
  });
});

test("apply plan: a fresh host -> install, write both files, start", () => {
  const p = planApply(
    want,
    {
      installed: { marker: false, current: undefined, record: undefined, versions: [] },
      files: undefined,
      fragment: undefined,
      serviceText: undefined,
      service: { running: false, pid: undefined },
    },
    wanted,
  );
  assert.deepEqual(p, {
    install: true,
    reason: "not installed",
    writeService: true,
    writeFragment: true,
    agent: "start",
    previous: undefined,
  });
});

test("apply plan: another bundle -> install beside it and restart; the old one is `previous`", () => {
  const found = inSync({
    installed: { marker: true, current: "0.0.9-bbbbbbbb", record: { ...record, bundleSha256: SHA_B }, versions: [] },
  });
  const p = planApply(want, found, wanted);
  assert.equal(p.install, true);
  assert.equal(p.reason, "0.0.9-bbbbbbbb -> 0.1.0-aaaaaaaa");
  assert.equal(p.agent, "restart");
  assert.equal(p.previous, "0.0.9-bbbbbbbb");
});

test("apply plan: the same bundle with a changed file -> reinstalled as a repair, agent restarted", () => {
  const p = planApply(want, inSync({ files: ["lib/lvs-agent.mjs: sha256 x, manifest says y"] }), wanted);
  assert.equal(p.install, true);
  assert.match(p.reason, /^repair: lib\/lvs-agent\.mjs/);
  assert.equal(p.agent, "restart");
});

test("apply plan: sysctls only -> reload; global settings -> restart; service definition -> restart; stopped -> start", () => {
  assert.equal(
    planApply(want, inSync({ fragment: '{"global":{"statusSocket":"/s"},"sysctls":{"a":1}}' }), wanted).agent,
    "reload",
  );
  assert.equal(planApply(want, inSync({ fragment: '{"global":{"statusSocket":"/t"}}' }), wanted).agent, "restart");
  assert.equal(planApply(want, inSync({ fragment: "not json" }), wanted).agent, "restart");
  assert.equal(planApply(want, inSync({ serviceText: "#!/bin/sh\n# old\n" }), wanted).agent, "restart");
  const stopped = planApply(want, inSync({ service: { running: false, pid: undefined } }), wanted);
  assert.deepEqual([stopped.install, stopped.agent], [false, "start"]);
});

test("prune: keeps the new and the previous version, removes older ones and leftovers of interrupted runs", () => {
  const versions = [
    { name: "0.3.0-cccccccc", mtime: 30 },
    { name: ".incoming-1234abcd", mtime: 25 },
    { name: "0.2.0-bbbbbbbb", mtime: 20 },
    { name: "0.1.0-aaaaaaaa", mtime: 10 },
  ];
  assert.deepEqual(pruneNames(versions, ["0.3.0-cccccccc", "0.2.0-bbbbbbbb"]), [
    ".incoming-1234abcd",
    "0.1.0-aaaaaaaa",
  ]);
  // a repair in place (previous == new): the newest other version stays for rollback
  assert.deepEqual(pruneNames(versions, ["0.3.0-cccccccc", "0.3.0-cccccccc"]), [
    ".incoming-1234abcd",
    "0.1.0-aaaaaaaa",
  ]);
  // rolled back to an older one: the two named stay whatever their age
  assert.deepEqual(pruneNames(versions, ["0.1.0-aaaaaaaa", "0.3.0-cccccccc"]), [
    ".incoming-1234abcd",
    "0.2.0-bbbbbbbb",
  ]);
  assert.deepEqual(pruneNames([{ name: "0.1.0-aaaaaaaa", mtime: 1 }], ["0.1.0-aaaaaaaa", undefined]), []);
});

test("file problems: the manifest's own check, and a MANIFEST.json changed since install", () => {
  const listing = { files: new Map([["bin/node", file]]), manifestSha256: "m".repeat(64) };
  assert.deepEqual(fileProblems(manifest, listing, "m".repeat(64)), []);
  assert.deepEqual(fileProblems(manifest, { ...listing, manifestSha256: "n".repeat(64) }, "m".repeat(64)), [
    "MANIFEST.json: changed since it was installed",
  ]);
  const changed = {
    files: new Map([
      ["bin/node", { ...file, sha256: "d".repeat(64) }],
      ["bin/extra", file],
    ]),
    manifestSha256: undefined,
  };
  assert.deepEqual(fileProblems(manifest, changed, undefined), [
    "bin/extra: not in the manifest",
    `bin/node: sha256 ${"d".repeat(64)}, manifest says ${"c".repeat(64)}`,
  ]);
  assert.deepEqual(fileProblems(undefined, listing, undefined), ["MANIFEST.json missing or unreadable"]);
});

test("the agent output of an install in sync", () => {
  const clean = agentOutput({
    installed: inSync().installed,
    installDir: "/opt/lvs-agent",
    manager: "supervised",
    service: { running: true, pid: 42 },
  });
  assert.deepEqual(clean, {
    version: "0.1.0",
    bundleSha256: SHA_A,
    installPath: "/opt/lvs-agent/versions/0.1.0-aaaaaaaa",
    serviceManager: "supervised",
    running: true,
    pid: 42,
  });
});

test("running: false stops a running agent, leaves a stopped one", () => {
  assert.equal(planApply(want, inSync(), wanted, false).agent, "stop");
  assert.equal(planApply(want, inSync({ service: { running: false, pid: undefined } }), wanted, false).agent, "none");
});
