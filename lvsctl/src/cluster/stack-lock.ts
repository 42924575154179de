// A stack's lock in a file backend, left by a run that is gone (pure decision, thin I/O shell below it).
// The file backend locks a stack with `.pulumi/locks/<org>/<project>/<stack>/<id>.json` holding the
// locking pulumi's pid, user, host name and time; a pulumi killed with SIGKILL (a stopped CI runner, the
// OOM killer, a reboot) leaves it, and every later run is refused until someone runs `pulumi cancel`.
// lvsctl removes such a lock itself, and only when it can tell: the lock was taken on this machine and
// its pid is not running, or runs a process that started after the lock was taken (the pid was reused).
// A lock of another machine, or of a live run, stays, and the engine's own error names it.
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export interface StackLock {
  /** the lock file */
  path: string;
  pid: number;
  username: string;
  hostname: string;
  /** when the lock was taken (epoch ms) */
  takenAt: number;
}

export interface Here {
  hostname: string;
  /** when process pid started (epoch ms), or undefined when no such process runs */
  processStart(pid: number): number | undefined;
}

/** A process starts before it takes a lock; this much later (clock granularity: /proc's btime is in s). */
const REUSED_AFTER_MS = 2000;

/** Why the lock's run is gone, or undefined when it may still be running (or lvsctl cannot tell). */
export function goneBecause(lock: StackLock, here: Here): string | undefined {
  if (lock.hostname !== here.hostname || !(lock.pid > 0)) return undefined;
  const start = here.processStart(lock.pid);
  if (start === undefined) return `pid ${lock.pid} is not running`;
  if (start > lock.takenAt + REUSED_AFTER_MS) return `pid ${lock.pid} is another process now`;
  return undefined;
}

// ---- I/O shell ----

/** /proc/<pid>/stat counts in clock ticks: USER_HZ, 100 on every Linux ABI Node runs on. */
const TICKS_PER_S = 100;

/** Boot time (epoch s). */
function bootTimeS(): number {
  const line = readFileSync("/proc/stat", "utf8")
    .split("\n")
    .find((l) => l.startsWith("btime "));
  return Number(line?.split(" ")[1] ?? 0);
}

/**
 * When process pid started, from /proc (field 22 of stat, after the command's parenthesised name), or
 * undefined when it is not running: no such process, or a zombie (killed, not yet reaped: a container's
 * init may never reap it).
 */
export function processStart(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X") return undefined;
    return (bootTimeS() + Number(fields[19]) / TICKS_PER_S) * 1000;
  } catch {
    return undefined;
  }
}

function readLock(path: string): StackLock | undefined {
  try {
    const c = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    return {
      path,
      pid: Number(c.pid),
      username: String(c.username ?? "?"),
      hostname: String(c.hostname ?? ""),
      takenAt: Date.parse(String(c.timestamp)),
    };
  } catch {
    return undefined;
  }
}

/** The lock files of project/stack in a file backend's directory (any organization). */
export function stackLocks(stateDir: string, project: string, stack: string): StackLock[] {
  const root = join(stateDir, ".pulumi", "locks");
  let orgs: string[];
  try {
    orgs = readdirSync(root);
  } catch {
    return [];
  }
  return orgs.flatMap((org) => {
    const dir = join(root, org, project, stack);
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith(".json"));
    } catch {
      return [];
    }
    return files.map((f) => readLock(join(dir, f))).filter((l): l is StackLock => l !== undefined);
  });
}

/**
 * Remove the locks of project/stack that runs now gone left in a file backend; what was removed, for
 * people.
 */
export function removeDeadLocks(backendUrl: string, project: string, stack: string): string[] {
  let stateDir: string;
  try {
    stateDir = fileURLToPath(backendUrl); // file:///abs only; other backends lock on their service
  } catch {
    return [];
  }
  const here: Here = { hostname: hostname(), processStart };
  const said: string[] = [];
  for (const lock of stackLocks(stateDir, project, stack)) {
    const why = goneBecause(lock, here);
    if (!why) continue;
    rmSync(lock.path, { force: true });
    const at = Number.isNaN(lock.takenAt) ? "?" : new Date(lock.takenAt).toISOString();
    said.push(
      `removed stack ${stack}'s lock left by a run that is gone (${lock.username}@${lock.hostname}, taken ${at}; ${why}): as pulumi cancel would`,
    );
  }
  return said;
}
