// A tracked process (keepalived vrrp_track_process): which entries of the process table count, and
// whether their number meets the quorum. Pure; process-watch.ts reads /proc and calls it.
import type { TrackProcessConfig } from "../config/schema.ts";

/** One process as /proc tells it: comm (/proc/PID/comm) and argv (/proc/PID/cmdline split at NULs). */
export interface ProcEntry {
  comm: string;
  argv: string[];
}

/** keepalived matches `process` against the process name, or against argv[0] when it is a path. */
export function matches(p: ProcEntry, cfg: Pick<TrackProcessConfig, "process" | "args" | "argsPrefix">): boolean {
  const name = cfg.process.includes("/") ? p.argv[0] : p.comm;
  if (name !== cfg.process) return false;
  if (cfg.args === undefined) return true;
  const args = p.argv.slice(1).join(" ");
  return cfg.argsPrefix ? args.startsWith(cfg.args) : args === cfg.args;
}

/** Up while quorum..quorumMax matching processes run. */
export function processUp(procs: readonly ProcEntry[], cfg: TrackProcessConfig): boolean {
  const n = procs.filter((p) => matches(p, cfg)).length;
  return n >= cfg.quorum && (cfg.quorumMax === undefined || n <= cfg.quorumMax);
}

/** /proc/PID/cmdline: arguments separated (and ended) by NUL. */
export function parseCmdline(raw: string): string[] {
  return raw.split("\0").filter((a, i, all) => a !== "" || i < all.length - 1);
}
