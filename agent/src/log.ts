// Structured logs: one JSON object per line on stderr, so journald keeps them intact and operators can
// filter with jq. Every record passes through redact(): config objects get logged whole during reloads,
// and a VRRPv2 password or an SSH key must never reach a log file by accident.

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` (e.g. {instance}) to every record. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** lowest level written; defaults to "debug" when LVS_AGENT_DEBUG is set, else "info" */
  level?: LogLevel;
  /** clock for the `ts` field (tests pin it) */
  now?: () => Date;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Field names whose values are secrets wherever they appear (compared case-insensitively). */
const SECRET_KEYS = new Set(["password", "auth", "authpassword", "privatekey", "passphrase", "secret"]);
export const REDACTED = "[redacted]";

/**
 * A copy of `value` that is safe to print: secret-named fields replaced by "[redacted]" at any depth,
 * Errors reduced to name/message/stack, cycles cut, bigints stringified (JSON.stringify throws on both).
 */
export function redact(value: unknown): unknown {
  return redactInner(value, new WeakSet());
}

function redactInner(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === "bigint") return value.toString();
  if (typeof value !== "object" || value === null) return value;
  if (seen.has(value)) return "[circular]";
  seen.add(value);
  try {
    if (value instanceof Error) return redactError(value, seen);
    if (Array.isArray(value)) return value.map((v) => redactInner(v, seen));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEYS.has(k.toLowerCase()) ? REDACTED : redactInner(v, seen);
    }
    return out;
  } finally {
    // Only ancestors count as cycles: the same object twice side by side is printed twice.
    seen.delete(value);
  }
}

function redactError(err: Error, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  const code = (err as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (err.stack) out.stack = err.stack;
  if (err.cause !== undefined) out.cause = redactInner(err.cause, seen);
  return out;
}

interface Writable {
  write(chunk: string): unknown;
}

function defaultLevel(): LogLevel {
  return process.env.LVS_AGENT_DEBUG ? "debug" : "info";
}

/** A logger writing JSON lines to `stream` (stderr by default: stdout may carry command output). */
export function createLogger(
  stream: Writable = process.stderr,
  options: LoggerOptions = {},
  base: LogFields = {},
): Logger {
  const min = LEVELS[options.level ?? defaultLevel()];
  const now = options.now ?? (() => new Date());
  const write = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (LEVELS[level] < min) return;
    // ts/level/msg (then `event`, the machine-readable name of what happened) lead every line and
    // cannot be overridden by fields, so `jq 'select(.event=="vrrp.transition")'` always works.
    const rest = redact({ ...base, ...fields }) as LogFields;
    const head: LogFields = { ts: now().toISOString(), level, msg };
    if (rest.event !== undefined) head.event = rest.event;
    // Keys keep the position of their first appearance, and the head's values win.
    stream.write(JSON.stringify({ ...head, ...rest, ...head }) + "\n");
  };
  return {
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
    child: (fields) => createLogger(stream, options, { ...base, ...fields }),
  };
}

/** The agent's process-wide logger. */
export const log: Logger = createLogger();
