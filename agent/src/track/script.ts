// A track script (keepalived vrrp_script): run every `interval` seconds as an unprivileged user; exit 0
// means up. Results pass through rise/fall hysteresis; only changes of the debounced state are reported.
import type { TrackScriptConfig } from "../config/schema.ts";
import { log as defaultLog, type Logger } from "../log.ts";
import { INITIAL_HYSTERESIS, observe, type Hysteresis } from "./hysteresis.ts";
import { scriptUser, startScript, type Running } from "./runas.ts";

export interface TrackScriptOptions {
  /** the name under `scripts` in the config, for logs */
  name: string;
  config: TrackScriptConfig;
  /** the debounced state changed (the first result always counts as a change) */
  onChange(up: boolean): void;
  /** the script cannot be run safely (reason), or can again (undefined); while faulted it counts as down */
  onFault?(reason: string | undefined): void;
  /** a script whose user is root by name runs as root (scriptSecurity.allowRoot) */
  allowRoot?: boolean;
  log?: Logger;
}

export class TrackScriptRunner {
  private state: Hysteresis = INITIAL_HYSTERESIS;
  private faultReason: string | undefined;
  private running: Running | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  /** set by stop(): a run that was still starting up is killed as soon as it has a process */
  private halted = false;
  private cycle: Promise<void> = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly opts: TrackScriptOptions) {
    this.log = (opts.log ?? defaultLog).child({ script: opts.name });
  }

  /** The debounced state; undefined before the first result. */
  get up(): boolean | undefined {
    return this.state.up;
  }

  get fault(): string | undefined {
    return this.faultReason;
  }

  /** Runs now, then `interval` seconds after each run starts; runs never overlap. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.halted = false;
    this.tick();
  }

  /** Stops the schedule and kills a run in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.halted = true;
    clearTimeout(this.timer);
    this.running?.kill();
    await this.cycle;
  }

  /** One run, fed through the hysteresis; resolves to the debounced state after it. */
  async runOnce(): Promise<boolean | undefined> {
    const { config } = this.opts;
    const timeoutMs = (config.timeout ?? config.interval) * 1000;
    const user = scriptUser(config.user, this.opts.allowRoot ?? false);
    const started = await startScript(config.script, user, [], timeoutMs);
    if ("fault" in started) {
      this.setFault(started.fault);
      return this.state.up;
    }
    this.setFault(undefined);
    this.running = started;
    if (this.halted) started.kill();
    const result = await started.result;
    this.running = undefined;
    // Killed by stop(): not a result about the service.
    if (this.halted) return this.state.up;
    if (result.timedOut) this.log.warn("track script timed out", { event: "track.script.timeout", timeoutMs });
    else if (result.error)
      this.log.warn("track script could not start", { event: "track.script.error", error: result.error });
    else if (!result.ok)
      this.log.debug("track script failed", { code: result.code, signal: result.signal, stderr: result.stderr });
    this.apply(observe(this.state, result.ok, config));
    return this.state.up;
  }

  private tick(): void {
    if (this.stopped) return;
    const startedAt = Date.now();
    this.cycle = this.runOnce()
      .catch((err: unknown) => this.log.error("track script run failed", { event: "track.script.error", err }))
      .then(() => {
        if (this.stopped) return;
        const wait = Math.max(0, this.opts.config.interval * 1000 - (Date.now() - startedAt));
        this.timer = setTimeout(() => this.tick(), wait);
      });
  }

  private apply(next: Hysteresis): void {
    const changed = next.up !== this.state.up;
    this.state = next;
    if (!changed || next.up === undefined) return;
    this.log.info(`track script ${next.up ? "up" : "down"}`, { event: "track.script.change", up: next.up });
    this.opts.onChange(next.up);
  }

  /** A script that must not run is down at once: the hysteresis protects against flaps, not against this. */
  private setFault(reason: string | undefined): void {
    if (reason === this.faultReason) return;
    this.faultReason = reason;
    if (reason) this.log.error("refusing to run track script", { event: "track.script.fault", reason });
    else this.log.info("track script runnable again", { event: "track.script.fault", reason: null });
    this.opts.onFault?.(reason);
    if (reason) this.apply({ up: false, against: 0 });
  }
}
