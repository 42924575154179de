import { test } from "node:test";
import assert from "node:assert/strict";
import { diagnosticsOf, EngineFailure, engineFailure } from "../cluster/engine-output.ts";

// What a failed `pulumi up` of the lab printed (a real server's sshd stopped), cut down.
const FAILED_UP = `code: 255
 stdout: Updating (fail1):
 +  lvs:index:RealServer lab-http-rs2 **creating failed** error: host 10.200.0.22: step 'connect': cannot reach 10.200.0.22:22
@ updating....
Diagnostics:
  lvs:index:RealServer (lab-http-rs2):
    error: host 10.200.0.22: step 'connect': cannot reach 10.200.0.22:22: connection refused (ECONNREFUSED)

  pulumi:pulumi:Stack (lvs-lab-fail1):
    error: update failed

Resources:
    + 3 created
    3 errored
`;

test("a failed operation shows the engine's Diagnostics block, not the CLI's whole output", () => {
  assert.equal(
    diagnosticsOf(FAILED_UP),
    `  lvs:index:RealServer (lab-http-rs2):
    error: host 10.200.0.22: step 'connect': cannot reach 10.200.0.22:22: connection refused (ECONNREFUSED)

  pulumi:pulumi:Stack (lvs-lab-fail1):
    error: update failed`,
  );
  const e = engineFailure("pulumi up", new Error(FAILED_UP), true);
  assert.ok(e instanceof EngineFailure);
  assert.match(e.message, /^pulumi up failed:\n {2}lvs:index:RealServer \(lab-http-rs2\):\n/);
  assert.doesNotMatch(e.message, /Resources:|updating/);
});

test("without a Diagnostics block (the CLI failed before the engine ran) the whole message stays", () => {
  const text = "code: -2\n stderr: pulumi: no such file or directory";
  assert.equal(diagnosticsOf(text), undefined);
  assert.equal(engineFailure("pulumi up", new Error(text), true).message, `pulumi up failed:\n${text}`);
  const other = new Error("not from the CLI");
  assert.equal(engineFailure("pulumi up", other, false), other);
});
