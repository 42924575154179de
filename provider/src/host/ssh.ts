// One SSH session to one host, over ssh2: host key pinning, an optional jump host (a forwarded TCP
// channel as the socket), timeouts, commands with stdin, sudo, atomic file writes and file reads.
// Errors name the host (and the command); secret values never reach a message.
import { Client, type ClientChannel, type ConnectConfig } from "ssh2";
import type { Duplex } from "node:stream";
import { hostLabel, type Connection, type Endpoint } from "./connection.ts";
import { checkHostKey, fingerprintOf, hostKeyAlgorithms } from "./hostkey.ts";
import { warning } from "../operation/progress.ts";
import {
  ABSENT,
  INLINE_MAX_BYTES,
  STDIN_SCRIPT,
  SUDO_PROBE,
  readFileScript,
  remoteCommand,
  remotePathProblem,
  spareInput,
  writeFileScript,
} from "./commands.ts";
import { Spares } from "./spare.ts";
import {
  commandFailure,
  connectErrorMessage,
  describeCommand,
  redact,
  unverifiedHostKey,
  type ConnectFailure,
} from "./messages.ts";

/** Waits before each new try of a channel the server refused (see run). */
const OPEN_RETRIES_MS = [0, 50, 200, 500];

export interface ExecOptions {
  stdin?: string | Buffer;
  /** run through `sudo -n`; default: the connection's `sudo` */
  sudo?: boolean;
  /** seconds; default: the connection's `commandTimeout` */
  timeout?: number;
  /** no command follows on this session: open no channel ahead for one */
  last?: boolean;
  /** give up when it aborts (the operation was cancelled): the channel is closed as on a timeout */
  signal?: AbortSignal;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ConnectOptions {
  /** an open session to the connection's jump host to tunnel through (stays open on close()) */
  via?: SshHost;
}

/** An SSH failure; `host` is the label of the host it concerns ("10.0.0.5:22"). */
export class SshError extends Error {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message);
    this.name = "SshError";
  }
}

/** Seconds after the client gives up on a command that `timeout` on the host kills it. */
const REMOTE_KILL_GRACE = 1;

/**
 * SSH keepalives (OpenSSH's ServerAliveInterval/CountMax): a host that vanishes mid-command (powered
 * off, its link cut) sends no FIN, so without them a command waiting for its exit would wait for as long
 * as its timeout, and a transfer for as long as TCP retransmits. With them the session is given up once
 * KEEPALIVE_MAX requests in a row go unanswered: within KEEPALIVE_S * (KEEPALIVE_MAX + 1) seconds. Any
 * packet from the host counts as an answer, so a busy host is not given up.
 */
const KEEPALIVE_S = 10;
const KEEPALIVE_MAX = 3;

/** Why a session was lost, in words: ssh2's keepalive failure names no cause. */
function lostReason(err: Error & { level?: string }): string {
  if (err.level === "client-timeout" && err.message === "Keepalive timeout")
    return `no answer to ${KEEPALIVE_MAX} SSH keepalives ${KEEPALIVE_S} s apart: the host or the network went away`;
  return err.message;
}

/** Output beyond this many bytes per stream ends the command: a runaway must not exhaust memory. */
const MAX_OUTPUT = 32 * 1024 * 1024;

export class SshHost {
  private sudoProbe?: Promise<void>;
  private lost?: string;
  private closed = false;
  /** close() ended a live session: a command cut short by it was not lost to the network */
  private closedByUs = false;
  private readonly spares: Spares;

  private constructor(
    private readonly client: Client,
    readonly conn: Endpoint,
    /** "10.0.0.5:22", or "10.0.0.6:22 (via jump 10.0.0.5:22)" */
    readonly label: string,
    private readonly secrets: string[],
    private readonly ownedJump?: SshHost,
  ) {
    this.spares = new Spares(client, conn.sudo, () => this.lost === undefined);
    client.on("error", (err) => (this.lost ??= redact(lostReason(err), secrets)));
    client.on("close", () => {
      this.closed = true;
      this.lost ??= "connection closed";
    });
  }

  /** Open a session (through the jump host when the connection names one) and authenticate. */
  static async connect(conn: Connection, opts: ConnectOptions = {}): Promise<SshHost> {
    const { jumpHost, ...target } = conn;
    if (!jumpHost) return SshHost.open(target, hostLabel(target), secretsOf(target));
    const jump = opts.via ?? (await SshHost.connect(jumpHost));
    const label = `${hostLabel(target)} (via jump ${jump.label})`;
    try {
      const sock = await jump.forward(target.host, target.port, target.connectTimeout, label);
      return await SshHost.open(
        target,
        label,
        [...secretsOf(target), ...jump.secrets],
        sock,
        opts.via ? undefined : jump,
      );
    } catch (err) {
      if (!opts.via) await jump.close();
      throw err;
    }
  }

  private static async open(
    e: Endpoint,
    label: string,
    secrets: string[],
    sock?: Duplex,
    ownedJump?: SshHost,
  ): Promise<SshHost> {
    const client = await handshake(e, label, secrets, sock);
    return new SshHost(client, e, label, secrets, ownedJump);
  }

  /** A TCP channel from this host to host:port, for the next hop. */
  private forward(host: string, port: number, timeoutS: number, label: string): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      let done = false;
      const timer = setTimeout(() => {
        done = true;
        reject(
          new SshError(
            label,
            `no tunnel to ${hostLabel({ host, port })} through jump ${this.label} within ${timeoutS} s`,
          ),
        );
      }, timeoutS * 1000);
      this.client.forwardOut("127.0.0.1", 0, host, port, (err, ch) => {
        clearTimeout(timer);
        if (done) return ch?.close();
        done = true;
        if (err)
          reject(
            new SshError(
              label,
              `jump ${this.label} could not open a tunnel to ${hostLabel({ host, port })}: ${err.message}`,
            ),
          );
        else resolve(ch);
      });
    });
  }

  /** Run a command; a non-zero exit is a result, not an error. Errors: no channel, timeout, signal, lost. */
  async exec(cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const sudo = opts.sudo ?? this.conn.sudo;
    if (sudo) await this.checkSudo();
    const timeoutS = opts.timeout ?? this.conn.commandTimeout;
    const killAfterS = timeoutS + REMOTE_KILL_GRACE;
    if (opts.stdin === undefined && Buffer.byteLength(cmd) > INLINE_MAX_BYTES) {
      // Too long for one argument (Linux caps one at 128 KiB): the script goes over stdin instead.
      return this.run(remoteCommand(STDIN_SCRIPT, { sudo, killAfterS }), cmd, {
        ...opts,
        stdin: cmd,
        timeout: timeoutS,
      });
    }
    if (opts.stdin === undefined && sudo === this.conn.sudo) {
      const ch = await this.spares.take(opts.last ?? false);
      if (ch) return this.settle(collect(ch, timeoutS, spareInput(cmd, killAfterS)), cmd);
    }
    return this.run(remoteCommand(cmd, { sudo, killAfterS }), cmd, { ...opts, timeout: timeoutS });
  }

  /** Like exec, but a non-zero exit is an error naming the host, the command and its stderr. */
  async check(cmd: string, opts: ExecOptions = {}): Promise<string> {
    const r = await this.exec(cmd, opts);
    const failure = commandFailure(this.label, cmd, r);
    if (failure) throw this.error(failure);
    return r.stdout;
  }

  /** Replace `path` atomically with content (temp file in the same directory, chmod, fsync, rename). */
  async writeFile(path: string, content: string | Buffer, mode = 0o644, opts: { sudo?: boolean } = {}): Promise<void> {
    this.checkPath(path);
    const r = await this.exec(writeFileScript(path, mode), { ...opts, stdin: content });
    if (r.code !== 0)
      throw this.error(`could not write ${path} on ${this.label}: ${r.stderr.trim() || `exit ${r.code}`}`);
  }

  /** The file's content, or undefined when it does not exist. */
  async readFile(path: string, opts: { sudo?: boolean } = {}): Promise<string | undefined> {
    this.checkPath(path);
    const r = await this.exec(readFileScript(path), opts);
    if (r.code === ABSENT) return undefined;
    if (r.code !== 0)
      throw this.error(`could not read ${path} on ${this.label}: ${r.stderr.trim() || `exit ${r.code}`}`);
    return r.stdout;
  }

  /**
   * End the session (and the jump session it opened itself). Its end is not waited for (that is a round
   * trip, the server's answer to our disconnect) unless a jump it opened must close after it.
   */
  async close(): Promise<void> {
    if (this.lost === undefined) {
      this.closedByUs = true;
      this.lost = "the session was closed";
    }
    const closed = new Promise<void>((resolve) => {
      if (this.closed) return resolve();
      this.client.once("close", () => resolve());
      setTimeout(resolve, 2000).unref();
    });
    this.client.end();
    if (!this.ownedJump) return;
    await closed;
    await this.ownedJump.close();
  }

  private checkPath(path: string): void {
    const problem = remotePathProblem(path);
    if (problem) throw this.error(`${problem} (on ${this.label})`);
  }

  /** Once per session: is passwordless sudo allowed? A refusal names the host and the user. */
  private checkSudo(): Promise<void> {
    this.sudoProbe ??= this.run(SUDO_PROBE, SUDO_PROBE, {}).then((r) => {
      if (r.code !== 0) {
        const why = r.stderr.trim().split("\n").at(-1) || `exit ${r.code}`;
        throw this.error(`sudo refused on ${this.label} for user '${this.conn.user}': ${why}`);
      }
    });
    return this.sudoProbe;
  }

  private run(remote: string, shown: string, opts: ExecOptions, retries = 0): Promise<ExecResult> {
    if (this.lost)
      return Promise.reject(
        this.error(`connection to ${this.label} lost (${this.lost}); cannot run ${describeCommand(shown)}`),
      );
    const timeoutS = opts.timeout ?? this.conn.commandTimeout;
    return new Promise<ExecResult>((resolve, reject) => {
      const refused = (err: Error) => {
        const e = this.error(`could not start ${describeCommand(shown)} on ${this.label}: ${err.message}`);
        if (retries >= OPEN_RETRIES_MS.length) return reject(e);
        // A server allowing few sessions per connection (sshd MaxSessions) may have given the last slot
        // to a spare channel, or not yet freed the one the previous command closed (a loaded server
        // lags): without spares from now on, try again a little later, a few times.
        const again = () =>
          setTimeout(() => resolve(this.run(remote, shown, opts, retries + 1)), OPEN_RETRIES_MS[retries]);
        this.spares.drop().then(again, again);
      };
      try {
        // collect() listens in the callback itself: the command's output and exit can arrive in the same
        // chunk as the channel's confirmation, before a promise continuation would run.
        this.client.exec(remote, (err, ch) =>
          err ? refused(err) : resolve(this.settle(collect(ch, timeoutS, opts.stdin, opts.signal), shown)),
        );
      } catch (err) {
        reject(this.error(`could not start ${describeCommand(shown)} on ${this.label}: ${(err as Error).message}`));
      }
    });
  }

  /** A command's result, its failure (a reason string from collect) an error naming it and the host. */
  private settle(result: Promise<ExecResult>, shown: string): Promise<ExecResult> {
    return result.catch((why: string) => {
      // A channel closed under a command because the session was lost: say why it was lost.
      const lost = this.lost !== undefined && !this.closedByUs ? ` (${this.lost})` : "";
      throw this.error(`${describeCommand(shown)} on ${this.label}: ${why}${lost}`);
    });
  }

  private error(message: string): SshError {
    return new SshError(this.label, redact(message, this.secrets));
  }
}

function secretsOf(e: Endpoint): string[] {
  return [e.privateKey, e.password].filter((s): s is string => s !== undefined);
}

/**
 * Feed stdin, gather output, enforce the timeout; rejects with a reason (a string). On timeout the
 * channel is closed and `timeout` on the host kills the command REMOTE_KILL_GRACE later; the rejection
 * waits that long and a second more, so that whatever the caller does next (a rollback) never runs
 * beside the command it gave up on. (ssh2 sends no signal request once stdin is closed, so a signal
 * cannot be the way.)
 */
function collect(
  ch: ClientChannel,
  timeoutS: number,
  stdin?: string | Buffer,
  signal?: AbortSignal,
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let exit: { code: number | null; signal?: string } | undefined;
    let settled = false;
    const abort = (why: string, afterMs = 0) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ch.close();
      setTimeout(() => reject(why), afterMs);
    };
    const take = (into: Buffer[]) => (b: Buffer) => {
      size += b.length;
      if (size > MAX_OUTPUT) return abort(`output exceeded ${MAX_OUTPUT} bytes`);
      into.push(b);
    };
    const timer = setTimeout(() => {
      abort(`timed out after ${timeoutS} s`, (REMOTE_KILL_GRACE + 1) * 1000);
    }, timeoutS * 1000);
    // What the command had said so far (a lock's holder, say) goes with the stop.
    const said = () => Buffer.concat(err).toString("utf8").trim().split("\n").at(-1);
    const stopped = () =>
      abort(`stopped: ${String(signal?.reason)}${said() ? ` (${said()})` : ""}`, (REMOTE_KILL_GRACE + 1) * 1000);
    if (signal?.aborted) stopped();
    else signal?.addEventListener("abort", stopped, { once: true });
    ch.on("data", take(out));
    ch.stderr.on("data", take(err));
    ch.on("exit", (code: number | null, signal?: string) => (exit = { code, signal }));
    ch.on("close", () => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      const r = { stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
      if (!exit) return reject("the connection closed before the command finished");
      if (exit.code === null)
        return reject(`killed by signal ${exit.signal ?? "?"}${r.stderr ? `: ${r.stderr.trim()}` : ""}`);
      resolve({ code: exit.code, ...r });
    });
    ch.end(stdin);
  });
}

/** TCP (or the given socket), SSH handshake with the pinned host key, authentication. */
function handshake(e: Endpoint, label: string, secrets: string[], sock?: Duplex): Promise<Client> {
  const failure: ConnectFailure = { label, user: e.user, methods: authMethods(e), timeoutS: e.connectTimeout };
  return new Promise((resolve, reject) => {
    const client = new Client();
    const fail = (err: { message: string; code?: unknown; level?: unknown }) => {
      clearTimeout(timer);
      client.removeAllListeners("ready");
      client.on("error", () => {});
      client.destroy();
      reject(new SshError(label, redact(connectErrorMessage(failure, err), secrets)));
    };
    const timer = setTimeout(() => fail({ message: "timeout", level: "client-timeout" }), e.connectTimeout * 1000);
    client.once("error", fail);
    client.once("ready", () => {
      clearTimeout(timer);
      client.removeListener("error", fail);
      resolve(client);
    });
    try {
      client.connect(connectConfig(e, failure, sock));
      // From the first packet on: the handshake and every command are small request/reply packets, and
      // with Nagle's algorithm on (ssh2 leaves it on; sshd only turns it off for ttys) each can wait
      // out the peer's delayed ACK, ~40 ms: measured, a session's set-up took 83 ms with it, 33 without.
      // (ssh2 made its socket in connect(); a jump host's channel has no such option.)
      client.setNoDelay(true);
    } catch (err) {
      fail({ message: (err as Error).message });
    }
  });
}

function authMethods(e: Endpoint): string[] {
  return [e.privateKey !== undefined && "publickey", e.password !== undefined && "password"].filter(
    (m): m is string => !!m,
  );
}

/** No pin: the key is taken only with insecureIgnoreHostKey, and never silently. */
function acceptUnverified(e: Endpoint, label: string, key: Buffer): boolean {
  if (e.insecureIgnoreHostKey !== true) return false;
  warning(label, unverifiedHostKey(fingerprintOf(key)));
  return true;
}

function connectConfig(e: Endpoint, failure: ConnectFailure, sock?: Duplex): ConnectConfig {
  const serverHostKey = e.hostKey === undefined ? undefined : hostKeyAlgorithms(e.hostKey);
  return {
    host: e.host,
    port: e.port,
    username: e.user,
    privateKey: e.privateKey,
    password: e.password,
    sock,
    // Only the methods it has: ssh2 would otherwise try "none" first, a round trip the server spends
    // work on (measured ~7 ms) before refusing.
    authHandler: failure.methods as NonNullable<ConnectConfig["authHandler"]>,
    // Our own timer covers the whole set-up; ssh2's is a backstop.
    readyTimeout: e.connectTimeout * 1000 + 1000,
    keepaliveInterval: KEEPALIVE_S * 1000,
    keepaliveCountMax: KEEPALIVE_MAX,
    ...(serverHostKey && {
      algorithms: { serverHostKey: serverHostKey as NonNullable<ConnectConfig["algorithms"]>["serverHostKey"] },
    }),
    hostVerifier: (key: Buffer) => {
      if (e.hostKey === undefined) return acceptUnverified(e, failure.label, key);
      const c = checkHostKey(e.hostKey, key);
      if (!c.ok) failure.mismatch = { expected: c.expected, got: c.got };
      return c.ok;
    },
  };
}
