// The health checkers' contract: what a probe is given and what it answers, shared by the kinds
// (tcp.ts, http.ts, script.ts) and by checker.ts, which runs them. Pure. It lives below all of them and
// imports nothing of theirs, so the kinds never import the runner that imports them.

/** The real server. */
export interface HealthTarget {
  address: string;
  port: number;
}

/** The outcome of one attempt. */
export interface Attempt {
  ok: boolean;
  detail: string;
  /** dynamic weight from a script check (misc_dynamic) */
  weight?: number;
}

/** The outcome of one health check, after its retries. */
export interface HealthResult extends Attempt {
  /** wall time of the whole check, retries and pauses included */
  ms: number;
}

/** One attempt at checking one target. */
export type Probe = (signal?: AbortSignal) => Promise<Attempt>;

/** Where a connecting probe (tcp, http, https) connects, and how long one attempt may take. */
export interface Endpoint {
  address: string;
  port: number;
  /** source address (bindTo) */
  localAddress?: string;
  timeoutMs: number;
}

/** An error as a short detail: "ECONNREFUSED" rather than a stack. */
export function errorDetail(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : err instanceof Error ? err.message : String(err);
}
