// The control socket: `lvs-agent status` and `lvs-agent reload` talk to the running agent over a unix
// socket only root can reach (directory 0700, socket 0600). Protocol: one JSON request per line,
// {"cmd":"status"} or {"cmd":"reload"}, each answered by one JSON line, in order.
import { createServer, connect, type Socket } from "node:net";
import { chmod, lstat, mkdir, stat, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { nonRootWritableDir } from "../track/runas.ts";
import type { AgentStatus } from "./format.ts";

export type StatusCommand = "status" | "reload";

export interface ReloadResult {
  ok: boolean;
  problems?: string[];
}

export interface StatusHandlers {
  status(): unknown;
  reload(): Promise<ReloadResult>;
}

/** What one request line gets back. */
export interface StatusReply {
  ok: boolean;
  /** for "status" */
  status?: unknown;
  /** for a rejected "reload": every problem with the new configuration */
  problems?: string[];
  /** the request itself failed (bad JSON, unknown command, handler threw) */
  error?: string;
}

/** Stops the server and removes the socket file. */
export type CloseStatusServer = () => Promise<void>;

/** A request line longer than this is not ours: drop the connection rather than buffer forever. */
const MAX_LINE = 64 * 1024;

export async function startStatusServer(path: string, handlers: StatusHandlers): Promise<CloseStatusServer> {
  await privateDirectory(dirname(path));
  await removeStale(path);
  const serialize = serializer();
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    serveConnection(sock, (line) => answer(line, handlers, serialize));
  });
  await listenPrivately(server, path);
  return async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
    await unlink(path).catch(() => undefined);
  };
}

/**
 * The socket's directory, made 0700 when missing. One that was there already is left as it is (it may be
 * /run itself) but refused when another user could change it: they could swap the socket for their own
 * and answer `lvs-agent status` and `reload` in the agent's place. A sticky root-owned one (/tmp) is fine.
 */
async function privateDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await stat(dir);
  const why = nonRootWritableDir({ path: dir, mode: st.mode, uid: st.uid, gid: st.gid });
  if (why) throw new Error(`the status socket's directory ${dir} is ${why}: make it root's, 0700 or 0755`);
}

/**
 * Binds with umask 0177 so the socket is 0600 from its first instant (no window in which another user
 * could connect), then chmods anyway in case the umask was not honoured. listen() binds synchronously.
 */
async function listenPrivately(server: ReturnType<typeof createServer>, path: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    const old = process.umask(0o177);
    try {
      server.listen(path, () => {
        server.off("error", reject);
        resolve();
      });
    } finally {
      process.umask(old);
    }
  });
  await chmod(path, 0o600);
}

/**
 * A socket file left by a crashed agent is removed; a live one means another agent is running, and
 * anything that is not a socket is not ours to delete.
 */
async function removeStale(path: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return;
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket; refusing to remove it`);
  if (await answersConnect(path)) throw new Error(`another process is serving ${path} (is lvs-agent already running?)`);
  await unlink(path);
}

function answersConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** Splits the stream into lines and answers them one at a time, so replies keep request order. */
function serveConnection(sock: Socket, respond: (line: string) => Promise<StatusReply>): void {
  let buf = "";
  let queue = Promise.resolve();
  sock.setEncoding("utf8");
  sock.on("error", () => sock.destroy());
  sock.on("data", (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim() === "") continue;
      queue = queue.then(async () => {
        if (!sock.destroyed) sock.write(`${encode(await respond(line))}\n`);
      });
    }
    if (buf.length > MAX_LINE) sock.destroy();
  });
}

async function answer(
  line: string,
  handlers: StatusHandlers,
  serialize: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<StatusReply> {
  let cmd: unknown;
  try {
    cmd = (JSON.parse(line) as { cmd?: unknown } | null)?.cmd;
  } catch {
    return { ok: false, error: "request is not JSON" };
  }
  try {
    if (cmd === "status") return { ok: true, status: await handlers.status() };
    // Two reloads at once would interleave their applies: run them one after another.
    if (cmd === "reload") return await serialize(() => handlers.reload());
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  return { ok: false, error: `unknown command ${JSON.stringify(cmd)} (expected "status" or "reload")` };
}

function encode(reply: StatusReply): string {
  try {
    return JSON.stringify(reply);
  } catch (err) {
    return JSON.stringify({
      ok: false,
      error: `reply not serializable: ${err instanceof Error ? err.message : String(err)}`,
    });
  }
}

function serializer(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

/**
 * Client side: the agent's status, or the outcome of a reload (ok, or rejected with its problems).
 * Rejects when the agent cannot be reached, does not answer in time, or answers with an error.
 */
export function requestStatus(path: string, cmd: "status", timeoutMs?: number): Promise<AgentStatus>;
export function requestStatus(path: string, cmd: "reload", timeoutMs?: number): Promise<ReloadResult>;
export async function requestStatus(
  path: string,
  cmd: StatusCommand,
  timeoutMs = 30_000,
): Promise<AgentStatus | ReloadResult> {
  const reply = await exchange(path, cmd, timeoutMs);
  if (reply.error !== undefined) throw new Error(`lvs-agent: ${reply.error}`);
  if (cmd === "status") return reply.status as AgentStatus;
  // Whatever else the agent reports about the reload (instances started, stopped) passes through.
  return reply as ReloadResult;
}

/** Nothing listens at the socket (no such file, or a stale one): no agent is running there. */
const NOT_LISTENING = ["ENOENT", "ECONNREFUSED"];

/** The CLI's exit status for it (reload, status): callers such as the provider tell "not running" from "failed". */
export const EXIT_NOT_RUNNING = 3;

export class AgentNotRunning extends Error {
  override name = "AgentNotRunning";
}

/** One request line out, one reply line back. */
export function exchange(path: string, cmd: StatusCommand, timeoutMs: number): Promise<StatusReply> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    let buf = "";
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      fn();
    };
    const timer = setTimeout(
      () => settle(() => reject(new Error(`no reply from ${path} within ${timeoutMs} ms`))),
      timeoutMs,
    );
    sock.setEncoding("utf8");
    sock.on("connect", () => sock.write(`${JSON.stringify({ cmd })}\n`));
    sock.on("data", (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      settle(() => {
        try {
          resolve(JSON.parse(buf.slice(0, nl)) as StatusReply);
        } catch {
          reject(new Error(`garbled reply from ${path}`));
        }
      });
    });
    sock.on("error", (err: NodeJS.ErrnoException) => {
      const why = `cannot reach lvs-agent at ${path}: ${err.message}`;
      settle(() => reject(NOT_LISTENING.includes(err.code ?? "") ? new AgentNotRunning(why) : new Error(why)));
    });
    sock.on("close", () => settle(() => reject(new Error(`${path} closed the connection without a reply`))));
  });
}
