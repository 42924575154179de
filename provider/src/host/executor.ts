// Host sessions for one provider operation: one SSH connection per host (and per jump host), opened in
// parallel, shared by every step of the operation, all closed at its end, even when it fails.
// Errors read "host 10.0.0.5: step 'install agent': <what went wrong>".
import { hostLabel, type Connection, type Endpoint } from "./connection.ts";
import { stopPoint } from "../operation/operation.ts";
import { progress } from "../operation/progress.ts";
import { SshHost, type ExecOptions, type ExecResult } from "./ssh.ts";

/** What a step can do with a host: SshHost, or a fake in unit tests. */
export interface Remote {
  readonly label: string;
  exec(cmd: string, opts?: ExecOptions): Promise<ExecResult>;
  check(cmd: string, opts?: ExecOptions): Promise<string>;
  writeFile(path: string, content: string | Buffer, mode?: number, opts?: { sudo?: boolean }): Promise<void>;
  readFile(path: string, opts?: { sudo?: boolean }): Promise<string | undefined>;
  close(): Promise<void>;
}

/** Opens one session; `via` is the already open session to the connection's jump host. */
export type Connector = (conn: Connection, via?: Remote) => Promise<Remote>;

const sshConnector: Connector = (conn, via) => SshHost.connect(conn, { via: via as SshHost | undefined });

export class StepError extends Error {
  constructor(
    readonly host: string,
    readonly step: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`host ${host}: step '${step}': ${detail}`, options);
    this.name = "StepError";
  }
}

/**
 * Run fn as a named step on host: a failure becomes a StepError naming both (the innermost step wins).
 * A stop asked of the operation (Cancel, its timeout) is raised here, before the step begins. Each
 * step is shown as progress, so people (and the fault tests) see where an operation is.
 */
export async function step<T>(host: string, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    stopPoint();
    progress(host, `step '${name}'`);
    return await fn();
  } catch (err) {
    if (err instanceof StepError) throw err;
    throw new StepError(host, name, err instanceof Error ? err.message : String(err), { cause: err });
  }
}

/** One host of the operation, as the caller listed it. */
export class HostSession {
  constructor(
    readonly conn: Connection,
    readonly ssh: Remote,
  ) {}

  get host(): string {
    return this.conn.host;
  }

  step<T>(name: string, fn: (ssh: Remote) => Promise<T>): Promise<T> {
    return step(this.host, name, () => fn(this.ssh));
  }
}

/** Several hosts failed to connect: each one's StepError, all in the message. */
export class HostsError extends Error {
  constructor(readonly errors: StepError[]) {
    super(`${errors.length} hosts failed:\n${errors.map((e) => `  ${e.message}`).join("\n")}`);
    this.name = "HostsError";
  }
}

/** Sessions shared by key: the same user, host, port, pin and jump open once. */
export function poolKey(c: Endpoint & { jumpHost?: Endpoint }): string {
  const self = `${c.user}@${hostLabel(c)} pin=${c.hostKey ?? "none"}`;
  return c.jumpHost ? `${self} via ${poolKey(c.jumpHost)}` : self;
}

export class SessionPool {
  private readonly opened = new Map<string, Promise<Remote>>();
  private readonly jumps = new Set<string>();

  constructor(private readonly connect: Connector = sshConnector) {}

  get(conn: Connection): Promise<Remote> {
    const key = poolKey(conn);
    let p = this.opened.get(key);
    if (!p) {
      p = this.open(conn);
      this.opened.set(key, p);
    }
    return p;
  }

  private async open(conn: Connection): Promise<Remote> {
    if (!conn.jumpHost) return this.connect(conn);
    this.jumps.add(poolKey(conn.jumpHost));
    return this.connect(conn, await this.get(conn.jumpHost));
  }

  /** Close every session that opened: those behind jumps first, then the jumps. Never throws. */
  async closeAll(): Promise<void> {
    const entries = [...this.opened];
    this.opened.clear();
    const closeWhere = (isJump: boolean) =>
      Promise.allSettled(
        entries.filter(([k]) => this.jumps.has(k) === isJump).map(([, p]) => p.then((r) => r.close())),
      );
    await closeWhere(false);
    await closeWhere(true);
  }
}

/** Connect to every host in parallel; all failures are reported together. */
export async function openAll(pool: SessionPool, conns: Connection[]): Promise<HostSession[]> {
  const settled = await Promise.allSettled(conns.map((c) => step(c.host, "connect", () => pool.get(c))));
  const failed = settled.flatMap((s) => (s.status === "rejected" ? [s.reason as StepError] : []));
  if (failed.length === 1) throw failed[0];
  if (failed.length > 1) throw new HostsError(failed);
  return settled.map((s, i) => new HostSession(conns[i]!, (s as PromiseFulfilledResult<Remote>).value));
}

/**
 * Run fn with a session for each connection (in the same order; a host listed twice shares one
 * connection). Every connection is closed when fn settles or when connecting fails.
 */
export async function withHosts<T>(
  conns: Connection[],
  fn: (hosts: HostSession[]) => Promise<T>,
  opts: { connect?: Connector } = {},
): Promise<T> {
  const pool = new SessionPool(opts.connect);
  try {
    return await fn(await openAll(pool, conns));
  } finally {
    await pool.closeAll();
  }
}
