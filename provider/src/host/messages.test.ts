import { test } from "node:test";
import assert from "node:assert/strict";
import { commandFailure, connectErrorMessage, describeCommand, redact, unverifiedHostKey } from "./messages.ts";

const f = { label: "10.0.0.5:22", user: "root", methods: ["publickey"], timeoutS: 10 };

test("connect errors name the host and say what failed", () => {
  const mismatch = { expected: "SHA256:a", got: "SHA256:b" };
  assert.equal(
    connectErrorMessage({ ...f, mismatch }, { message: "Host denied (verification failed)" }),
    "host key mismatch for 10.0.0.5:22: expected SHA256:a, got SHA256:b",
  );
  assert.equal(
    connectErrorMessage(f, { message: "All configured authentication methods failed", level: "client-authentication" }),
    "authentication failed for user 'root' on 10.0.0.5:22 (tried publickey)",
  );
  assert.equal(
    connectErrorMessage(f, { message: "x", level: "client-timeout" }),
    "no SSH session with 10.0.0.5:22 within 10 s (handshake timed out)",
  );
  assert.equal(
    connectErrorMessage(f, { message: "connect ECONNREFUSED 10.0.0.5:22", code: "ECONNREFUSED" }),
    "cannot reach 10.0.0.5:22: connection refused (ECONNREFUSED)",
  );
  assert.equal(connectErrorMessage(f, { message: "odd" }), "SSH connection to 10.0.0.5:22 failed: odd");
});

test("an unverified host key is a warning naming its fingerprint and how to pin it", () => {
  const fp = `SHA256:${"A".repeat(43)}`;
  assert.equal(
    unverifiedHostKey(fp),
    `host key NOT verified (insecureIgnoreHostKey): it presented ${fp}, which anyone on the path could have sent; pin it with connection.hostKey or lvs:hostKeys`,
  );
});

test("describeCommand: first line, cut at max, quoted", () => {
  assert.equal(describeCommand("ip addr"), '"ip addr"');
  assert.equal(describeCommand("set -e\nrm -rf x"), '"set -e..."');
  assert.equal(describeCommand("x".repeat(100), 10), `"${"x".repeat(10)}..."`);
});

test("redact: whole secrets and their longer lines, never short fragments", () => {
  const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
  assert.equal(redact("pw hunter22 and hunter22", ["hunter22", undefined]), "pw [redacted] and [redacted]");
  assert.equal(redact("line b3BlbnNzaC1rZXktdjEAAAAA seen", [key]), "line [redacted] seen");
  assert.equal(redact("abc", [""]), "abc");
});

test("commandFailure: undefined on success, else command, code, host and the stderr tail", () => {
  assert.equal(commandFailure("h:22", "true", { code: 0, stderr: "" }), undefined);
  assert.equal(commandFailure("h:22", "false", { code: 1, stderr: "" }), '"false" exited 1 on h:22');
  const stderr = Array.from({ length: 8 }, (_, i) => `l${i}`).join("\n");
  assert.equal(commandFailure("h:22", "x", { code: 2, stderr }), '"x" exited 2 on h:22: l3\nl4\nl5\nl6\nl7');
});
