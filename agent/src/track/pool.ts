// One runner per configured track script, shared by every instance that tracks it (keepalived runs a
// vrrp_script once however many instances use it). Runners start on first subscription and stop when
// the last subscriber leaves; a reload restarts only the scripts whose settings changed.
import { isDeepStrictEqual } from "node:util";
import type { TrackScriptConfig } from "../config/schema.ts";
import type { Logger } from "../log.ts";
import type { ScriptSubscription } from "../vrrp/host.ts";
import { TrackScriptRunner } from "./script.ts";

interface Entry {
  config: TrackScriptConfig;
  runner: TrackScriptRunner;
  subscribers: Set<(up: boolean) => void>;
}

export class ScriptPool {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private configs: Record<string, TrackScriptConfig>,
    private readonly log: Logger,
    /** scripts whose user is root by name run as root (scriptSecurity.allowRoot) */
    private allowRoot = false,
  ) {}

  subscribe(name: string, cb: (up: boolean) => void): ScriptSubscription {
    const entry = this.entries.get(name) ?? this.create(name);
    entry.subscribers.add(cb);
    return {
      up: () => entry.runner.up,
      weight: entry.config.weight,
      unsubscribe: () => {
        entry.subscribers.delete(cb);
        if (entry.subscribers.size === 0 && this.entries.get(name) === entry) {
          this.entries.delete(name);
          void entry.runner.stop();
        }
      },
    };
  }

  private create(name: string): Entry {
    const config = this.configs[name];
    if (!config) throw new Error(`no track script named ${name}`);
    const subscribers = new Set<(up: boolean) => void>();
    const runner = new TrackScriptRunner({
      name,
      config,
      allowRoot: this.allowRoot,
      log: this.log,
      onChange: (up) => subscribers.forEach((cb) => cb(up)),
      // A script that cannot run safely counts as down for everyone tracking it.
      onFault: (reason) => reason && subscribers.forEach((cb) => cb(false)),
    });
    const entry = { config, runner, subscribers };
    this.entries.set(name, entry);
    runner.start();
    return entry;
  }

  /** New script settings: runners whose settings changed are dropped; instances resubscribe on restart. */
  update(configs: Record<string, TrackScriptConfig>, allowRoot = false): void {
    const rootChanged = allowRoot !== this.allowRoot;
    this.configs = configs;
    this.allowRoot = allowRoot;
    for (const [name, e] of this.entries) {
      if (!rootChanged && isDeepStrictEqual(configs[name], e.config)) continue;
      this.entries.delete(name);
      void e.runner.stop();
    }
  }

  stop(): void {
    for (const e of this.entries.values()) void e.runner.stop();
    this.entries.clear();
  }
}
