// How SSH failures read (pure). Every message names the host; none carries a secret: callers pass
// their secrets to redact() as a last guard, and no message is built from a secret in the first place.

/** A command as messages show it: its first line, at most `max` characters, quoted. */
export function describeCommand(cmd: string, max = 80): string {
  const lines = cmd.trim().split("\n");
  const first = lines[0] ?? "";
  const cut = first.length > max || lines.length > 1;
  return JSON.stringify(cut ? `${first.slice(0, max)}...` : first);
}

/** Replace every occurrence of each secret (and of each of its longer lines) with [redacted]. */
export function redact(text: string, secrets: ReadonlyArray<string | undefined>): string {
  const parts = secrets
    .filter((s): s is string => typeof s === "string" && s.length > 0)
    .flatMap((s) => [
      s,
      ...s
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l.length >= 8),
    ])
    .sort((a, b) => b.length - a.length);
  return parts.reduce((acc, s) => acc.split(s).join("[redacted]"), text);
}

export interface ConnectFailure {
  /** "10.0.0.5:22", or with its jump: "10.0.0.6:22 (via jump 10.0.0.5:22)" */
  label: string;
  user: string;
  methods: string[];
  timeoutS: number;
  /** set when the host verifier refused the key */
  mismatch?: { expected: string; got: string };
}

/** The warning for a host key taken unverified (insecureIgnoreHostKey); fingerprint as ssh-keygen -l shows it. */
export function unverifiedHostKey(fingerprint: string): string {
  return `host key NOT verified (insecureIgnoreHostKey): it presented ${fingerprint}, which anyone on the path could have sent; pin it with connection.hostKey or lvs:hostKeys`;
}

const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "TCP connect timed out",
  ECONNRESET: "connection reset",
  ENOTFOUND: "name does not resolve",
  EAI_AGAIN: "name does not resolve (temporary)",
};

/** The message for a failed SSH session set-up, from ssh2's error and what we know. */
export function connectErrorMessage(
  f: ConnectFailure,
  err: { message: string; code?: unknown; level?: unknown },
): string {
  if (f.mismatch) return `host key mismatch for ${f.label}: expected ${f.mismatch.expected}, got ${f.mismatch.got}`;
  if (err.level === "client-authentication") {
    return `authentication failed for user '${f.user}' on ${f.label} (tried ${f.methods.join(", ") || "nothing"})`;
  }
  if (err.level === "client-timeout")
    return `no SSH session with ${f.label} within ${f.timeoutS} s (handshake timed out)`;
  const known = typeof err.code === "string" ? SOCKET_ERRORS[err.code] : undefined;
  if (known) return `cannot reach ${f.label}: ${known} (${String(err.code)})`;
  return `SSH connection to ${f.label} failed: ${err.message}`;
}

/** The message for a command that ran and failed, or undefined when it succeeded. */
export function commandFailure(label: string, cmd: string, r: { code: number; stderr: string }): string | undefined {
  if (r.code === 0) return undefined;
  const tail = r.stderr.trim().split("\n").slice(-5).join("\n");
  return `${describeCommand(cmd)} exited ${r.code} on ${label}${tail ? `: ${tail}` : ""}`;
}
