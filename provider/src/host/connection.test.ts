import { test } from "node:test";
import assert from "node:assert/strict";
import { Connection, hostLabel, parseConnection } from "./connection.ts";

const FP = "SHA256:uSIUsUk+FqQMyRSTC4opsphVjaRQ7aHQTo1lYyy6BBg";
const KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n";
const PASSWORD = "correct horse battery staple";

test("defaults: port 22, user root, sudo off, 10 s to connect, 120 s per command", () => {
  const c = Connection.parse({ host: "10.0.0.5", privateKey: KEY, hostKey: FP });
  assert.deepEqual(
    { port: c.port, user: c.user, sudo: c.sudo, connectTimeout: c.connectTimeout, commandTimeout: c.commandTimeout },
    { port: 22, user: "root", sudo: false, connectTimeout: 10, commandTimeout: 120 },
  );
});

test("a pin may be a public key line; insecureIgnoreHostKey: true replaces the pin", () => {
  assert.ok(
    parseConnection({
      host: "h",
      password: PASSWORD,
      hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM1YHdQdHDwAfgJ17PkfyXqjGAF3IOnoktrExYSIpCOo",
    }).ok,
  );
  assert.ok(parseConnection({ host: "h", password: PASSWORD, insecureIgnoreHostKey: true }).ok);
});

test("every problem at once, each naming its field: cross-field rules run beside field errors", () => {
  const r = parseConnection({ host: "", port: 70000, insecureIgnoreHostKey: false, connectTimeout: -1 });
  assert.equal(r.ok, false);
  assert.deepEqual(!r.ok && r.problems.sort(), [
    "connection.connectTimeout: Too small: expected number to be >0",
    "connection.host: Too small: expected string to have >=1 characters",
    "connection.hostKey: hostKey is required (pin the host's key), unless insecureIgnoreHostKey is true",
    "connection.port: Too big: expected number to be <=65535",
    "connection.privateKey: a privateKey or a password is required",
  ]);
});

test("a bad pin, a pin beside insecureIgnoreHostKey, unknown fields", () => {
  const r = parseConnection({
    host: "h",
    password: PASSWORD,
    hostKey: "MD5:aa",
    insecureIgnoreHostKey: true,
    hostkey: FP,
  });
  assert.deepEqual(!r.ok && r.problems.sort(), [
    "connection.hostKey: must be a SHA256:... fingerprint or an OpenSSH public key line",
    "connection.insecureIgnoreHostKey: cannot be true together with a hostKey pin",
    "connection: unknown field(s) 'hostkey'",
  ]);
});

test("jump host: checked with the same rules under jumpHost.*, and may not have its own jump", () => {
  const ok = Connection.parse({
    host: "10.0.0.6",
    privateKey: KEY,
    hostKey: FP,
    jumpHost: { host: "10.0.0.5", privateKey: KEY, hostKey: FP },
  });
  assert.equal(ok.jumpHost?.port, 22);
  const r = parseConnection({
    host: "h",
    privateKey: KEY,
    hostKey: FP,
    jumpHost: { host: "j", jumpHost: { host: "k" } },
  });
  assert.deepEqual(!r.ok && r.problems.sort(), [
    "connection.jumpHost.hostKey: hostKey is required (pin the host's key), unless insecureIgnoreHostKey is true",
    "connection.jumpHost.privateKey: a privateKey or a password is required",
    "connection.jumpHost: a jump host cannot have its own jumpHost",
  ]);
});

test("secret values never appear in problems, whatever is wrong around them", () => {
  const inputs = [
    { host: 5, privateKey: KEY, password: PASSWORD },
    { host: "h", privateKey: KEY, password: PASSWORD, hostKey: "bad", extra: 1 },
    {
      host: "h",
      privateKey: KEY + "x",
      password: PASSWORD,
      insecureIgnoreHostKey: "yes",
      jumpHost: { host: "j", privateKey: KEY, password: PASSWORD, port: "22" },
    },
  ];
  for (const input of inputs) {
    const r = parseConnection(input);
    assert.equal(r.ok, false);
    const text = JSON.stringify(r);
    for (const secret of [PASSWORD, "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ", "BEGIN OPENSSH"])
      assert.ok(!text.includes(secret), text);
  }
});

test("hostLabel: host:port, IPv6 in brackets", () => {
  assert.equal(hostLabel({ host: "10.0.0.5", port: 22 }), "10.0.0.5:22");
  assert.equal(hostLabel({ host: "fd00::5", port: 2222 }), "[fd00::5]:2222");
});
