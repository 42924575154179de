// MISC_CHECK: an operator's script decides. It runs through track/runas.ts, like track scripts: as an
// unprivileged user, clean environment, killed at its timeout, and only if no non-root user could have
// changed it. Its exit code is mapped to a result by a pure function.
import { startScript, type RunResult } from "../track/runas.ts";
import type { Attempt } from "./core.ts";

/** The largest weight misc_dynamic can set: exit 255 - 2. */
export const MAX_DYNAMIC_WEIGHT = 253;

/**
 * An exit code as a check result. Plain: 0 up, anything else down. With dynamicWeight (keepalived
 * misc_dynamic): 0 up with the weight unchanged, 1 down, 2-255 up with weight = code - 2. A timeout,
 * a signal or a failure to start is always down. Pure.
 */
export function scriptVerdict(r: RunResult, dynamicWeight: boolean, timeoutMs: number): Attempt {
  if (r.timedOut) return { ok: false, detail: `timed out after ${timeoutMs} ms` };
  if (r.error) return { ok: false, detail: `could not start: ${r.error}` };
  if (r.code === null) return { ok: false, detail: `killed by ${r.signal ?? "a signal"}` };
  const stderr = r.stderr.trim() ? `: ${r.stderr.trim().split("\n")[0]}` : "";
  if (r.code === 0) return { ok: true, detail: "exit 0" };
  if (dynamicWeight && r.code >= 2 && r.code <= 255)
    return { ok: true, detail: `exit ${r.code}: weight ${r.code - 2}`, weight: r.code - 2 };
  return { ok: false, detail: `exit ${r.code}${stderr}` };
}

export interface ScriptProbe {
  command: string;
  user: string;
  timeoutMs: number;
  dynamicWeight: boolean;
}

/** Runs the script once; the abort signal kills it (and its process group). Never rejects. */
export async function runScript(p: ScriptProbe, signal?: AbortSignal): Promise<Attempt> {
  const started = await startScript(p.command, p.user, [], p.timeoutMs);
  if ("fault" in started) return { ok: false, detail: `not run: ${started.fault}` };
  const onAbort = (): void => started.kill();
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) started.kill();
  try {
    return scriptVerdict(await started.result, p.dynamicWeight, p.timeoutMs);
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}
