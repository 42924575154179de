// Health checks of real servers: one check (its attempts and retries) and a HealthChecker per real
// server that schedules checks and debounces their results with rise/fall. The contract the kinds share
// is core.ts; the I/O of each kind lives in tcp.ts, http.ts, smtp.ts, dns.ts and script.ts; timing arithmetic in
// schedule.ts; hysteresis in track/hysteresis.ts.
import type { AgentHealthCheckConfig as HealthCheckConfig } from "../config/agent-checks.ts";
import { log as defaultLog, type Logger } from "../log.ts";
import { INITIAL_HYSTERESIS, observe, type Hysteresis } from "../track/hysteresis.ts";
import { errorDetail, type Attempt, type Endpoint, type HealthResult, type HealthTarget, type Probe } from "./core.ts";
import { httpGet, serverName, statusMatcher, type HttpProbe } from "./http.ts";
import { alignDelayMs, attemptsOf, nextDelayMs, timerGridMs, warmupDelayMs } from "./schedule.ts";
import { runScript } from "./script.ts";
import { tcpConnect } from "./tcp.ts";
import { smtpProbe } from "./smtp.ts";
import { dnsProbe } from "./dns.ts";

/** The attempt function for cfg and target, with everything that does not change per run prepared once. */
export function probeFor(cfg: HealthCheckConfig, checked: HealthTarget): Probe {
  // connect_ip: the check goes to another address than the real server's.
  const target = cfg.type !== "script" && cfg.address ? { ...checked, address: cfg.address } : checked;
  if (cfg.type === "script") {
    const p = {
      command: cfg.script,
      user: cfg.user,
      timeoutMs: (cfg.timeout ?? cfg.interval) * 1000,
      dynamicWeight: cfg.dynamicWeight,
    };
    return (signal) => runScript(p, signal);
  }
  const ep: Endpoint = {
    address: target.address,
    port: cfg.port ?? target.port,
    localAddress: cfg.bindTo,
    timeoutMs: cfg.connectTimeout * 1000,
  };
  if (cfg.type === "tcp") return (signal) => tcpConnect(ep, signal);
  if (cfg.type === "smtp") return smtpProbe(cfg, target);
  if (cfg.type === "dns") return dnsProbe(cfg, target);
  const urls = [cfg, ...(cfg.urls ?? [])].map((u): HttpProbe => {
    const host = u.host ?? cfg.host;
    const codes = u.statusCodes ?? cfg.statusCodes;
    return {
      ...ep,
      tls: cfg.type === "https",
      path: u.path,
      host,
      servername: cfg.type === "https" ? serverName(host, cfg.sni) : "",
      verifyTls: cfg.type === "https" && cfg.verifyTls,
      digest: u.digest?.toLowerCase(),
      ...(u.regex ? { regex: new RegExp(u.regex) } : {}),
      statusOk: statusMatcher(codes),
      statusText: codes.join(", "),
    };
  });
  return urls.length === 1 ? (signal) => httpGet(urls[0]!, signal) : everyUrl(urls);
}

/** Several urls (keepalived: url blocks): up only when every one passes; the first failure names its path. */
function everyUrl(urls: HttpProbe[]): Probe {
  return async (signal) => {
    for (const u of urls) {
      const r = await httpGet(u, signal);
      if (!r.ok) return { ok: false, detail: `${u.path}: ${r.detail}` };
    }
    return { ok: true, detail: `${urls.length} urls ok` };
  };
}

/** Attempts until one succeeds or 1 + retries have failed, pausing delayBeforeRetry between them. */
export async function runAttempts(
  probe: Probe,
  cfg: Pick<HealthCheckConfig, "retries" | "delayBeforeRetry">,
  signal?: AbortSignal,
): Promise<HealthResult> {
  const t0 = performance.now();
  const attempts = attemptsOf(cfg.retries);
  for (let i = 1; ; i++) {
    // A probe that throws (a script deleted between its safety check and its run, an address node
    // rejects) is a failed attempt: the server's state must still follow.
    const r = await probe(signal).catch((err: unknown): Attempt => ({ ok: false, detail: errorDetail(err) }));
    if (r.ok || i >= attempts || signal?.aborted) {
      const detail = r.ok || attempts === 1 ? r.detail : `${r.detail} (attempt ${i} of ${attempts})`;
      return { ok: r.ok, detail, ...(r.weight !== undefined ? { weight: r.weight } : {}), ms: performance.now() - t0 };
    }
    await pause(cfg.delayBeforeRetry * 1000, signal);
  }
}

/** One health check of target, including its retries. */
export function runHealthCheckOnce(
  cfg: HealthCheckConfig,
  target: HealthTarget,
  signal?: AbortSignal,
): Promise<HealthResult> {
  return runAttempts(probeFor(cfg, target), cfg, signal);
}

/** setTimeout as a promise that resolves early (never rejects) when signal aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

export interface HealthCheckerOptions {
  cfg: HealthCheckConfig;
  target: HealthTarget;
  /**
   * The debounced state changed; with a dynamic-weight script, also a new weight while up. Without
   * initialUp the first result always counts as a change.
   */
  onChange(up: boolean, r: HealthResult): void;
  /** the state before any check (keepalived: up, or down with alpha); absent: the first result decides */
  initialUp?: boolean;
  /** every check's result, for metrics */
  onResult?(r: HealthResult): void;
  log?: Logger;
  /** for warmup spreading; tests pin it */
  random?: () => number;
  /** replaces the probe built from cfg and target (tests drive the schedule with a scripted probe) */
  probe?: Probe;
}

/** Checks one real server on its schedule. Runs never overlap; stop() aborts the one in progress. */
export class HealthChecker {
  private state: Hysteresis;
  private result: HealthResult | undefined;
  /** misc_dynamic: the weight the last exit 2-255 set; an exit 0 keeps it (keepalived) */
  private dynamicWeight: number | undefined;
  private reportedWeight: number | undefined;
  private running: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private cycle: Promise<void> = Promise.resolve();
  private readonly probe: Probe;
  private readonly log: Logger;
  private readonly gridMs: number;

  constructor(private readonly opts: HealthCheckerOptions) {
    const { cfg, target } = opts;
    this.state = opts.initialUp === undefined ? INITIAL_HYSTERESIS : { up: opts.initialUp, against: 0 };
    this.probe = opts.probe ?? probeFor(cfg, target);
    this.gridMs = timerGridMs(cfg.interval);
    this.log = (opts.log ?? defaultLog).child({
      check: cfg.type,
      target: `${target.address}:${cfg.type === "script" ? target.port : (cfg.port ?? target.port)}`,
    });
  }

  /** The debounced state; undefined before the first result (unless initialUp). */
  get up(): boolean | undefined {
    return this.state.up;
  }

  get last(): HealthResult | undefined {
    return this.result;
  }

  /** The first check after a random 0..warmup s, then every interval. A no-op while running. */
  start(): void {
    if (this.running) return;
    const ac = new AbortController();
    this.running = ac;
    const delay = warmupDelayMs(this.opts.cfg.warmup, this.opts.random);
    // After a quick stop()/start(), the previous run may still be finishing: never overlap with it.
    void this.cycle.then(() => {
      if (this.running === ac) this.after(delay, ac);
    });
  }

  /** Stops the schedule and aborts (kills, for scripts) a check in progress; its result is dropped. */
  async stop(): Promise<void> {
    const ac = this.running;
    this.running = undefined;
    clearTimeout(this.timer);
    ac?.abort();
    await this.cycle;
  }

  /** The next check in about delayMs, on the shared timer grid. */
  private after(delayMs: number, ac: AbortController): void {
    const delay = alignDelayMs(performance.now(), delayMs, this.gridMs);
    this.timer = setTimeout(() => this.tick(ac), delay);
  }

  private tick(ac: AbortController): void {
    const startedAt = performance.now();
    this.cycle = runAttempts(this.probe, this.opts.cfg, ac.signal)
      .then((r) => {
        if (!ac.signal.aborted) this.record(r);
      })
      .catch((err: unknown) => this.log.error("health check callback failed", { event: "check.error", err }))
      .then(() => {
        if (this.running === ac) this.after(nextDelayMs(this.opts.cfg.interval, startedAt, performance.now()), ac);
      });
  }

  private record(raw: HealthResult): void {
    const r = this.withDynamicWeight(raw);
    const before = this.state.up;
    // State first: a throwing callback must not leave the checker's own state behind.
    this.result = r;
    this.state = observe(this.state, r.ok, this.opts.cfg);
    this.opts.onResult?.(r);
    const up = this.state.up;
    if (up === undefined) return;
    const reweighted = up && r.ok && r.weight !== this.reportedWeight;
    if (up === before && !reweighted) return;
    this.reportedWeight = up ? r.weight : this.reportedWeight;
    // debug: the IPVS manager logs the change with the real server's name.
    this.log.debug(up === before ? "real server weight changed" : `real server ${up ? "up" : "down"}`, {
      event: "check.change",
      up,
      detail: r.detail,
      weight: r.weight,
    });
    this.opts.onChange(up, r);
  }

  /** Carries the last dynamic weight over exit-0 results, so a plain success does not reset it. */
  private withDynamicWeight(r: HealthResult): HealthResult {
    if (r.weight !== undefined) this.dynamicWeight = r.weight;
    else if (r.ok && this.dynamicWeight !== undefined) return { ...r, weight: this.dynamicWeight };
    return r;
  }
}
