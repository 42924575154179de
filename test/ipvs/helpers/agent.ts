// The real lvs-agent inside user-mode Linux: an esbuild bundle of the current sources (helpers/bundle.ts,
// built once per boot) run in a lab namespace, so each test has its own IPVS table (IPVS is per network
// namespace). Its state, config and status socket live under /run, a tmpfs in the guest. Processes are
// ended by PID only.
import { execFile } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { AgentConfigInput } from "../../../agent/src/config/schema.ts";
import type { AgentStatus } from "../../../agent/src/status/format.ts";
import type { Host } from "../../helpers/netns.ts";
import { Watched, type Line } from "../../helpers/procs.ts";
import { agentBundle } from "./bundle.ts";

export const REPO = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../..");
const STATE_ROOT = "/run/lvs-ipvs-test";

/** One JSON log record of the agent. */
export interface LogRecord {
  event?: string;
  msg?: string;
  level?: string;
  [k: string]: unknown;
}

export function parseRecord(text: string): LogRecord | undefined {
  if (!text.startsWith("{")) return undefined;
  try {
    return JSON.parse(text) as LogRecord;
  } catch {
    return undefined;
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command inside host's namespace without blocking the event loop (agents' output keeps flowing). */
export function execIn(host: Host, cmd: string, args: string[], timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      "ip",
      ["netns", "exec", host.ns, cmd, ...args],
      { encoding: "utf8", timeout: timeoutMs },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 255) : 0;
        done({ code, stdout, stderr: stderr || (err && typeof err.code !== "number" ? err.message : "") });
      },
    );
  });
}

let counter = 0;

/** Starts `lvs-agent run` in host with config as its conf.d; see UmlAgent.ready(). */
export async function startAgent(host: Host, config: AgentConfigInput): Promise<UmlAgent> {
  return new UmlAgent(host, config, await agentBundle(REPO, STATE_ROOT));
}

export class UmlAgent extends Watched {
  readonly dir: string;
  readonly confDir: string;
  readonly socket: string;

  constructor(
    readonly host: Host,
    config: AgentConfigInput,
    /** the bundled agent */
    readonly bundle: string,
  ) {
    const dir = join(STATE_ROOT, `${host.ns}-${++counter}`);
    const confDir = join(dir, "conf.d");
    mkdirSync(confDir, { recursive: true });
    const socket = join(dir, "agent.sock");
    const full: AgentConfigInput = {
      ...config,
      global: { statusSocket: socket, metricsListen: "", stateDir: join(dir, "state"), ...config.global },
    };
    writeFileSync(join(confDir, "00-base.json"), JSON.stringify(full, null, 2));
    super(host.spawn(process.execPath, [bundle, "run", "--config-dir", confDir], { cwd: REPO }));
    this.dir = dir;
    this.confDir = confDir;
    this.socket = socket;
  }

  /** Log records of `event` seen so far (from line index `from`). */
  events(event: string, from = 0): LogRecord[] {
    return this.lines
      .slice(from)
      .map((l) => parseRecord(l.text))
      .filter((r): r is LogRecord => r?.event === event);
  }

  /** The first record of `event` (after line index `from`) that pred accepts. */
  waitEvent(event: string, timeoutMs: number, pred: (r: LogRecord) => boolean = () => true, from = 0): Promise<Line> {
    return this.waitLine(
      (l) => {
        const r = parseRecord(l.text);
        return r?.event === event && pred(r);
      },
      timeoutMs,
      `${this.host.name} agent event ${event}`,
      from,
    );
  }

  /** Started and serving its status socket ("agent.start"); a start that fails rejects with its output. */
  async ready(timeoutMs = 30_000): Promise<void> {
    const exited = this.exited(timeoutMs).then(
      (code) =>
        Promise.reject(new Error(`agent in ${this.host.name} exited (${code}) before it was ready:\n${this.tail()}`)),
      () => undefined,
    );
    await Promise.race([this.waitEvent("agent.start", timeoutMs), exited]);
  }

  tail(n = 30): string {
    return this.lines
      .slice(-n)
      .map((l) => l.text)
      .join("\n");
  }

  /** `lvs-agent <args> --socket <its socket>` run in its namespace, as an operator would. */
  cli(...args: string[]): Promise<CliResult> {
    return execIn(this.host, process.execPath, [this.bundle, ...args, "--socket", this.socket]);
  }

  async status(): Promise<AgentStatus> {
    const r = await this.cli("status", "--json");
    if (r.code !== 0) throw new Error(`lvs-agent status failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as AgentStatus;
  }

  /** A further conf.d fragment (name like "10-more.json"); `undefined` removes it. */
  fragment(name: string, content: AgentConfigInput | undefined): void {
    const path = join(this.confDir, name);
    if (content === undefined) rmSync(path, { force: true });
    else writeFileSync(path, JSON.stringify(content, null, 2));
  }

  /** SIGTERM and wait: the agent removes the services it owns on the way out. */
  async stop(timeoutMs = 15_000): Promise<void> {
    this.signal("SIGTERM");
    await this.exited(timeoutMs).catch(() => this.signal("SIGKILL"));
  }

  /** A crash: SIGKILL by PID. */
  async crash(): Promise<void> {
    this.signal("SIGKILL");
    await this.exited(5000);
  }

  cleanup(): void {
    this.signal("SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** ipvsadm in host's namespace (its own IPVS table). */
export function ipvsadm(host: Host, ...args: string[]): string {
  return host.exec("ipvsadm", args);
}

/** Real server lines of one service in ipvsadm -Ln ("TCP  10.0.0.1:80"): "address:port Forward weight". */
export function ipvsDests(director: Host, service: string): string[] {
  const lines = ipvsadm(director, "-Ln").split("\n");
  const at = lines.findIndex((l) => l.startsWith(`${service} `));
  if (at < 0) throw new Error(`${service} not in ipvsadm -Ln:\n${lines.join("\n")}`);
  const out: string[] = [];
  for (const l of lines.slice(at + 1)) {
    const m = /^ {2}-> (\S+)\s+(\S+)\s+(\d+)/.exec(l);
    if (!m) break;
    out.push(`${m[1]} ${m[2]} ${m[3]}`);
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
