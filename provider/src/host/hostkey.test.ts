import { test } from "node:test";
import assert from "node:assert/strict";
import { checkHostKey, fingerprintOf, hostKeyAlgorithms, isValidPin, pinFingerprint } from "./hostkey.ts";

// Golden: a key made by ssh-keygen 9.2 and the fingerprint `ssh-keygen -lf -E sha256` printed for it.
const LINE = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM1YHdQdHDwAfgJ17PkfyXqjGAF3IOnoktrExYSIpCOo c1";
const FP = "SHA256:uSIUsUk+FqQMyRSTC4opsphVjaRQ7aHQTo1lYyy6BBg";
const blob = Buffer.from(LINE.split(" ")[1]!, "base64");

test("fingerprint of a key blob equals ssh-keygen's", () => {
  assert.equal(fingerprintOf(blob), FP);
});

test("a pin is a fingerprint or a public key line (with or without comment)", () => {
  assert.equal(pinFingerprint(FP), FP);
  assert.equal(pinFingerprint(LINE), FP);
  assert.equal(pinFingerprint(LINE.split(" ").slice(0, 2).join(" ")), FP);
  assert.equal(pinFingerprint(`  ${LINE}\n`), FP);
});

test("not pins: MD5 fingerprints, truncated fingerprints, a line whose type disagrees with its blob", () => {
  for (const bad of [
    "",
    "MD5:aa:bb",
    FP.slice(0, -1),
    "sha256:" + FP.slice(7),
    LINE.replace("ssh-ed25519", "ssh-rsa"),
    "ssh-ed25519 !!!",
    "AAAAC3Nza",
  ]) {
    assert.equal(isValidPin(bad), false, bad);
  }
});

test("checkHostKey: match, mismatch with both fingerprints, an invalid pin never matches", () => {
  assert.deepEqual(checkHostKey(LINE, blob), { ok: true, fingerprint: FP });
  const other = Buffer.from(blob);
  other[other.length - 1]! ^= 1;
  assert.deepEqual(checkHostKey(FP, other), { ok: false, expected: FP, got: fingerprintOf(other) });
  assert.equal(checkHostKey("nonsense", blob).ok, false);
});

test("a key line pin offers only its own host key algorithm; a fingerprint leaves the default", () => {
  assert.deepEqual(hostKeyAlgorithms(LINE), ["ssh-ed25519"]);
  assert.equal(
    hostKeyAlgorithms("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIM1YHdQdHDwAfgJ17PkfyXqjGAF3IOnoktrExYSIpCOo"),
    undefined,
    "type and blob disagree",
  );
  const rsaBlob = Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from("ssh-rsa"), Buffer.from([0, 0, 0, 1, 3])]);
  assert.deepEqual(hostKeyAlgorithms(`ssh-rsa ${rsaBlob.toString("base64")}`), [
    "rsa-sha2-512",
    "rsa-sha2-256",
    "ssh-rsa",
  ]);
  assert.equal(hostKeyAlgorithms(FP), undefined);
});
