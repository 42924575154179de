// Director Read's answer under the inputs' keys (pure): versions, running, director.json, drift.
import { test } from "node:test";
import assert from "node:assert/strict";
import { directorAsFound } from "./state.ts";
import type { Found } from "./install/plan.ts";

const record = {
  agentVersion: "0.1.0",
  bundleSha256: "a".repeat(64),
  manifestSha256: "m".repeat(64),
  installedAt: "2026-01-01T00:00:00Z",
};
const declared = {
  connection: { host: "10.0.0.2" },
  agentVersion: "0.1.0",
  running: true,
  sysctls: { "net.ipv4.vs.expire_nodest_conn": 1 },
};
const SERVICE = "#!/bin/sh\n";
const found = (over: Partial<Found> = {}): Found => ({
  installed: { marker: true, current: "0.1.0-aaaaaaaa", record, versions: [] },
  files: [],
  fragment: '{"sysctls":{"net.ipv4.vs.expire_nodest_conn":1}}\n',
  serviceText: SERVICE,
  service: { running: true, pid: 7 },
  ...over,
});

test("in sync: the declared inputs, no drift", () => {
  assert.deepEqual(directorAsFound(declared, found(), SERVICE, { version: "0.1.0" }), { inputs: declared, drift: [] });
});

test("hand edits under their inputs: another version running, the agent stopped, director.json edited", () => {
  assert.equal(directorAsFound(declared, found(), SERVICE, { version: "0.0.9" }).inputs.agentVersion, "0.0.9");
  assert.equal(
    directorAsFound(declared, found({ service: { running: false, pid: undefined } }), SERVICE, {}).inputs.running,
    false,
  );
  const edited = directorAsFound(
    declared,
    found({ fragment: '{"sysctls":{"net.ipv4.vs.expire_nodest_conn":0}}' }),
    SERVICE,
    { version: "0.1.0" },
  );
  assert.deepEqual([edited.inputs.sysctls, edited.drift], [{ "net.ipv4.vs.expire_nodest_conn": 0 }, []]);
});

test("what no input shows is drift: files, a fragment the provider would not write, the service definition", () => {
  const r = directorAsFound(
    declared,
    found({ files: ["lib/lvs-agent.mjs: sha256 differs"], fragment: '{"sysctls":{},"extra":1}', serviceText: "x" }),
    SERVICE,
    { problem: "ECONNREFUSED" },
  );
  assert.deepEqual(r.drift, [
    "lib/lvs-agent.mjs: sha256 differs",
    "director.json is not a fragment this provider writes",
    "service definition changed",
    "agent status: ECONNREFUSED",
  ]);
  assert.deepEqual(r.inputs.sysctls, declared.sysctls, "kept as declared when the file cannot say");
});

test("an import writes only the global settings that are not at their default", () => {
  const fragment = JSON.stringify({
    global: {
      ipvsReconcileInterval: 0,
      metricsListen: "127.0.0.1:9572",
      scriptUser: "nobody",
      stateDir: "/run/lvs-agent",
      statusSocket: "/run/lvs-agent/agent.sock",
    },
    sysctls: {},
  });
  const imported = directorAsFound(
    { connection: { host: "10.0.0.2" } },
    found({ fragment }),
    SERVICE,
    { version: "0.1.0" },
    true,
  );
  assert.deepEqual(imported.inputs.global, { ipvsReconcileInterval: 0 });
  const plain = JSON.stringify({
    global: {
      metricsListen: "127.0.0.1:9572",
      scriptUser: "nobody",
      stateDir: "/run/lvs-agent",
      statusSocket: "/run/lvs-agent/agent.sock",
      ipvsReconcileInterval: 5,
    },
    sysctls: {},
  });
  assert.equal(
    "global" in
      directorAsFound(
        { connection: { host: "10.0.0.2" } },
        found({ fragment: plain }),
        SERVICE,
        { version: "0.1.0" },
        true,
      ).inputs,
    false,
  );
});
