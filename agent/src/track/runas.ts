// Running operator scripts (track scripts, notify hooks) from a root daemon without handing out root:
// each runs as an unprivileged user, and only if no non-root user could have changed what it runs
// (keepalived's script_security, on by default here). Shared by track/script.ts and notify.ts.
import { spawn } from "node:child_process";
import { execFile } from "node:child_process";
import { readFile, realpath, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { promisify } from "node:util";

export interface RunAsUser {
  name: string;
  uid: number;
  gid: number;
}

/** uid/gid of `name` from /etc/passwd text; undefined when absent. Pure. */
export function parsePasswd(text: string, name: string): { uid: number; gid: number } | undefined {
  for (const line of text.split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user !== name || uid === undefined || gid === undefined) continue;
    if (!/^\d+$/.test(uid) || !/^\d+$/.test(gid)) return undefined;
    return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

const execFileP = promisify(execFile);

/** Users from NSS (LDAP, sssd) are not in /etc/passwd: ask `id` as a fallback. */
async function lookupWithId(name: string): Promise<{ uid: number; gid: number } | undefined> {
  try {
    const [u, g] = await Promise.all([execFileP("id", ["-u", "--", name]), execFileP("id", ["-g", "--", name])]);
    return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
  } catch {
    return undefined;
  }
}

/**
 * Who a script runs as: a user name, or root itself when the configuration opted in by naming root
 * (keepalived's `script_user root`, with scriptSecurity.allowRoot). Root under another name never runs.
 */
export type ScriptUser = string | { name: "root"; allowRoot: true };

/** The ScriptUser for `name` under a configuration that does or does not allow root. */
export function scriptUser(name: string, allowRoot: boolean): ScriptUser {
  return allowRoot && name === "root" ? { name, allowRoot } : name;
}

/** The user to run as, or the reason we refuse to run (unknown user, or root unless allowed by name). */
export async function resolveUser(user: ScriptUser): Promise<RunAsUser | { fault: string }> {
  const name = typeof user === "string" ? user : user.name;
  const passwd = await readFile("/etc/passwd", "utf8").catch(() => "");
  const ids = parsePasswd(passwd, name) ?? (await lookupWithId(name));
  if (!ids || !Number.isInteger(ids.uid) || !Number.isInteger(ids.gid)) return { fault: `user ${name} does not exist` };
  if (ids.uid === 0 && typeof user === "string") return { fault: `refusing to run as ${name}: uid 0 is root` };
  return { name, ...ids };
}

export interface PathStat {
  path: string;
  mode: number;
  uid: number;
  gid: number;
}

const STICKY = 0o1000;

/**
 * Why a non-root user could modify this file or directory, or undefined. Pure. An owner other than root
 * counts whatever the mode says: the owner may chmod it back to writable (keepalived refuses it too).
 */
export function nonRootWritable(st: PathStat): string | undefined {
  if (st.mode & 0o002) return "world-writable";
  if (st.mode & 0o020 && st.gid !== 0) return `writable by group ${st.gid}`;
  if (st.uid !== 0) return `owned by uid ${st.uid}, not root`;
  return undefined;
}

/**
 * As nonRootWritable, except that a root-owned sticky directory (/tmp) is no fault: nobody else can
 * rename or remove a root-owned entry in it. Pure.
 */
export function nonRootWritableDir(dir: PathStat): string | undefined {
  const why = nonRootWritable(dir);
  return why === "world-writable" && dir.mode & STICKY && dir.uid === 0 ? undefined : why;
}

/**
 * Why running `script` would be unsafe, given stats of the script and of every directory above it
 * (nearest first), or undefined. A sticky root-owned ancestor such as /tmp is accepted
 * (nonRootWritableDir); the script's own directory gets no such exemption.
 */
export function unsafeReason(script: PathStat, dirs: readonly PathStat[]): string | undefined {
  const own = nonRootWritable(script);
  if (own) return `script ${script.path} is ${own}`;
  for (const [i, dir] of dirs.entries()) {
    const why = i === 0 ? nonRootWritable(dir) : nonRootWritableDir(dir);
    if (why) return `directory ${dir.path} of script ${script.path} is ${why}`;
  }
  return undefined;
}

/** A check of the real file (symlinks resolved) and its directories, each time before it runs. */
export async function checkScript(path: string): Promise<string | undefined> {
  if (!path.startsWith("/")) return `script ${path} is not an absolute path`;
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return `script ${path} does not exist`;
  }
  const st = await stat(real);
  if (!st.isFile()) return `script ${path} is not a regular file`;
  if (!(st.mode & 0o111)) return `script ${path} is not executable`;
  const dirs: PathStat[] = [];
  for (let d = dirname(real); ; d = dirname(d)) {
    const ds = await stat(d);
    dirs.push({ path: d, mode: ds.mode, uid: ds.uid, gid: ds.gid });
    if (d === "/") break;
  }
  return unsafeReason({ path, mode: st.mode, uid: st.uid, gid: st.gid }, dirs);
}

/** keepalived splits `script "/path arg1 arg2"` on whitespace; so do we (no shell, no quoting). */
export function splitCommand(command: string): string[] {
  return command
    .trim()
    .split(/\s+/)
    .filter((s) => s !== "");
}

export interface RunResult {
  /** exit code 0 within the time limit */
  ok: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** spawn failure (EACCES, ENOENT), if any */
  error?: string;
  /** the first KiB of stderr, for the log */
  stderr: string;
}

export interface Running {
  pid: number | undefined;
  result: Promise<RunResult>;
  /** SIGKILL the script and anything it started (its own process group) */
  kill(): void;
}

const SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const STDERR_KEEP = 1024;

/**
 * Spawns argv as `user` (libuv drops supplementary groups) in a new session, with a clean environment
 * (nothing of the agent's leaks), killed after timeoutMs. The result promise never rejects.
 */
export function spawnAs(argv: readonly string[], user: RunAsUser, timeoutMs: number): Running {
  const [file = "", ...args] = argv;
  const child = spawn(file, args, {
    uid: user.uid,
    gid: user.gid,
    cwd: "/",
    detached: true,
    env: { PATH: SAFE_PATH, HOME: "/", USER: user.name, LOGNAME: user.name },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    if (stderr.length < STDERR_KEEP) stderr += chunk.toString("utf8").slice(0, STDERR_KEEP - stderr.length);
  });
  let timedOut = false;
  const kill = (): void => killGroup(child.pid, () => child.kill("SIGKILL"));
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, timeoutMs);
  const result = new Promise<RunResult>((resolve) => {
    const finish = (r: Omit<RunResult, "timedOut" | "stderr" | "ok">): void => {
      clearTimeout(timer);
      // A grandchild may hold stderr open: do not wait for it.
      child.stderr?.destroy();
      resolve({ ...r, ok: !timedOut && r.code === 0 && !r.error, timedOut, stderr });
    };
    child.once("error", (err) => finish({ code: null, signal: null, error: err.message }));
    child.once("exit", (code, signal) => finish({ code, signal }));
  });
  return { pid: child.pid, result, kill };
}

/** The child leads its own process group (detached): kill the group by its id, else the child. */
function killGroup(pid: number | undefined, fallback: () => void): void {
  try {
    if (pid === undefined) throw new Error("no pid");
    process.kill(-pid, "SIGKILL");
  } catch {
    fallback();
  }
}

/**
 * Everything between a configured command string and a running process: the user lookup and the
 * safety check, done on every run so a script made world-writable later stops running. Returns the
 * fault instead when it must not run.
 */
export async function startScript(
  command: string,
  userName: ScriptUser,
  extraArgs: readonly string[],
  timeoutMs: number,
): Promise<Running | { fault: string }> {
  const argv = splitCommand(command);
  const unsafe = await checkScript(argv[0] ?? "");
  if (unsafe) return { fault: unsafe };
  const user = await resolveUser(userName);
  if ("fault" in user) return user;
  return spawnAs([...argv, ...extraArgs], user, timeoutMs);
}
