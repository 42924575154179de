// Host key pinning (pure): a pin is an OpenSSH SHA256 fingerprint ("SHA256:" + unpadded base64 of the
// SHA-256 of the key blob, as `ssh-keygen -lf` prints it) or an OpenSSH public key line
// ("ssh-ed25519 AAAA... comment", as in known_hosts or a *.pub file). Both reduce to a fingerprint.
import { createHash } from "node:crypto";

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;
const KEY_LINE = /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+)\s+([A-Za-z0-9+/]+={0,2})(\s.*)?$/;

/** The OpenSSH SHA256 fingerprint of a raw public key blob (SSH wire format). */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** The key type named inside a blob (its first SSH string), e.g. "ssh-ed25519". */
function blobKeyType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  return len > 0 && len <= blob.length - 4 ? blob.subarray(4, 4 + len).toString("latin1") : undefined;
}

/** The fingerprint a pin stands for, or undefined when the pin is neither form. */
export function pinFingerprint(pin: string): string | undefined {
  const s = pin.trim();
  if (FINGERPRINT.test(s)) return s;
  const m = KEY_LINE.exec(s);
  if (!m) return undefined;
  const blob = Buffer.from(m[2]!, "base64");
  // The line's type must match the type inside the blob: a mangled line is not a pin.
  return blobKeyType(blob) === m[1] ? fingerprintOf(blob) : undefined;
}

/**
 * Host key algorithms to offer when the pin is a public key line: only its own, so a server holding
 * several host keys presents the pinned one. A fingerprint names no type: undefined (ssh2's default
 * order, ed25519 first).
 */
export function hostKeyAlgorithms(pin: string): string[] | undefined {
  const type = KEY_LINE.exec(pin.trim())?.[1];
  if (!type || !isValidPin(pin)) return undefined;
  return type === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [type];
}

export function isValidPin(pin: string): boolean {
  return pinFingerprint(pin) !== undefined;
}

export type PinCheck = { ok: true; fingerprint: string } | { ok: false; expected: string; got: string };

/** Compare the key a server presented with the pin. An invalid pin never matches. */
export function checkHostKey(pin: string, presented: Buffer): PinCheck {
  const got = fingerprintOf(presented);
  const expected = pinFingerprint(pin) ?? `(invalid pin)`;
  return expected === got ? { ok: true, fingerprint: got } : { ok: false, expected, got };
}
