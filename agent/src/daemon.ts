// The lvs-agent process: loads the config, runs one Instance per vrrp instance, shares GARP sockets and
// track-script runners between them, serves status and metrics, and reloads on SIGHUP or on request.
// A reload that fails validation changes nothing; a valid one restarts only the instances it changed.
// A reload never rejects: whatever goes wrong is its answer and a log line, and the agent runs on.
import { isDeepStrictEqual } from "node:util";
import type { StaticAddressConfig } from "./config/routes.ts";
import { addStaticAddresses, removeStaticAddresses } from "./vrrp/routes.ts";
import type { AgentConfig, VrrpInstanceConfig } from "./config/schema.ts";
import type { LoadResult } from "./config/load.ts";
import { GarpSender } from "./net/garp.ts";
import type { Logger } from "./log.ts";
import { runNotify } from "./notify.ts";
import { Instance } from "./vrrp/instance.ts";
import type { InstanceHost, ScriptSubscription } from "./vrrp/host.ts";
import type { VrrpState } from "./vrrp/fsm.ts";
import { ScriptPool } from "./track/pool.ts";
import { scriptUser } from "./track/runas.ts";
import { ProcessWatch } from "./track/process-watch.ts";
import { groupFaults, holdouts, inSyncGroup, resignations, takeovers } from "./vrrp/sync-group.ts";
import { countsForeignAdvert } from "./vrrp/foreign-vrid.ts";
import { IPPROTO_AH } from "./vrrp/ipsec-ah.ts";
import { IPPROTO_VRRP } from "./net/ipv4.ts";
import { AgentMetrics } from "./status/metrics.ts";
import type { AgentStatus, InstanceStatus } from "./status/format.ts";
import { IpvsRuntime } from "./ipvs/runtime.ts";
import { AGENT_VERSION } from "./version.ts";

export interface ReloadOutcome {
  ok: boolean;
  /** the new configuration was taken in, but applying part of it failed (the old one is gone) */
  applied?: boolean;
  problems?: string[];
  started?: string[];
  stopped?: string[];
  unchanged?: string[];
}

export class Agent implements InstanceHost {
  readonly metrics: AgentMetrics;
  private config!: AgentConfig;
  private sources: string[] = [];
  private readonly instances = new Map<string, Instance>();
  private readonly garp = new Map<string, GarpSender | Promise<GarpSender>>();
  private scripts!: ScriptPool;
  private reloading: Promise<ReloadOutcome> | undefined;
  private readonly ipvs: IpvsRuntime;
  /** each instance's last state as notified, for sync groups (a transition's `from`) */
  private readonly lastState = new Map<string, VrrpState>();

  constructor(
    readonly log: Logger,
    private readonly load: () => Promise<LoadResult>,
  ) {
    this.metrics = new AgentMetrics();
    this.metrics.info.set({ version: AGENT_VERSION }, 1);
    this.ipvs = new IpvsRuntime(log, this.metrics.registry);
  }

  /** Load and validate, including what only the kernel can tell (IPVS present, schedulers known). */
  private async loadValidated(): Promise<LoadResult> {
    const r = await this.load();
    if (!r.ok) return r;
    const problems = await this.ipvs.validate(r.config);
    return problems.length ? { ok: false, problems } : r;
  }

  /** First load: a bad config is fatal here, with every problem listed. */
  async start(): Promise<void> {
    const r = await this.loadValidated();
    if (!r.ok) throw new Error(`invalid configuration:\n  ${r.problems.join("\n  ")}`);
    this.config = r.config;
    this.sources = r.sources;
    this.scripts = new ScriptPool(r.config.scripts, this.log, r.config.scriptSecurity.allowRoot);
    try {
      await this.applyStaticAddresses([], r.config.staticAddresses);
      // The table first: a director that becomes master must already balance.
      await this.ipvs.apply(r.config);
      await this.startInstances(Object.keys(r.config.instances));
    } catch (err) {
      // The process is about to exit: instances that did start (an address owner is MASTER at once)
      // must give up their VIPs and tell backups (priority 0) instead of leaving them behind.
      await this.stop().catch(() => undefined);
      throw err;
    }
  }

  get globals(): AgentConfig["global"] {
    return this.config.global;
  }

  private async startInstances(names: string[]): Promise<string[]> {
    const failed: string[] = [];
    for (const name of names) {
      const inst = new Instance(name, this.config.instances[name]!, this);
      try {
        await inst.start();
        this.instances.set(name, inst);
      } catch (err) {
        await inst.stop().catch(() => undefined);
        failed.push(`instance ${name}: ${(err as Error).message}`);
      }
    }
    // Faults an instance had at start, and sync groups a reload changed, reach every member.
    this.ownFaultsChanged();
    if (failed.length) throw new Error(failed.join("\n"));
    return names;
  }

  private async stopInstances(names: string[]): Promise<void> {
    await Promise.all(
      names.map(async (n) => {
        await this.instances.get(n)?.stop();
        this.instances.delete(n);
        this.lastState.delete(n);
        this.metrics.forgetInstance(n);
      }),
    );
  }

  /** Validate, then apply only the difference. Concurrent requests share one reload. */
  reload(): Promise<ReloadOutcome> {
    this.reloading ??= this.doReload().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private async doReload(): Promise<ReloadOutcome> {
    const r = await this.loadValidated().catch((err: Error): LoadResult => ({
      ok: false,
      problems: [`the configuration could not be loaded: ${err.message}`],
    }));
    if (!r.ok) {
      this.log.error("reload rejected; running configuration kept", { event: "agent.reload", problems: r.problems });
      this.metrics.reloads.inc({ result: "rejected" });
      return { ok: false, problems: r.problems };
    }
    const before = this.config.instances;
    const after = r.config.instances;
    // Joining or leaving every sync group restarts the instance too (its machine knows whether it is in
    // one); a move between groups does not: the next decision reads the groups as they are.
    const same = (n: string) =>
      isDeepStrictEqual(before[n], after[n]) &&
      inSyncGroup(this.config.syncGroups, n) === inSyncGroup(r.config.syncGroups, n);
    const stopped = Object.keys(before).filter((n) => !same(n));
    const started = Object.keys(after).filter((n) => !same(n));
    const unchanged = Object.keys(after).filter(same);
    try {
      await this.stopInstances(stopped);
      await this.applyStaticAddresses(this.config.staticAddresses, r.config.staticAddresses);
      this.config = r.config;
      this.sources = r.sources;
      this.scripts.update(r.config.scripts, r.config.scriptSecurity.allowRoot);
      await this.ipvs.apply(r.config);
      await this.startInstances(started);
    } catch (err) {
      this.metrics.reloads.inc({ result: "failed" });
      this.log.error("reload taken in but not fully applied", { event: "agent.reload", error: (err as Error).message });
      return { ok: false, applied: true, problems: [(err as Error).message] };
    } finally {
      // A group that lost a member (or its holdout) may now be all willing, even after a failed start.
      this.syncTakeovers();
    }
    this.metrics.reloads.inc({ result: "ok" });
    this.metrics.lastReloadSuccess.set({}, Date.now() / 1000);
    this.log.info("reload applied", { event: "agent.reload", started, stopped, unchanged });
    return { ok: true, started, stopped, unchanged };
  }

  /** static_ipaddress: the new list added, what the old one had beyond it removed; errors logged. */
  private async applyStaticAddresses(before: StaticAddressConfig[], after: StaticAddressConfig[]): Promise<void> {
    const key = (a: StaticAddressConfig) => JSON.stringify(a);
    const kept = new Set(after.map(key));
    const gone = before.filter((a) => !kept.has(key(a)));
    for (const c of [await removeStaticAddresses(gone), await addStaticAddresses(after)]) {
      for (const e of c.errors) this.log.error("static address change failed", { event: "agent.static", error: e });
      if (c.changed.length) this.log.info("static addresses changed", { event: "agent.static", changed: c.changed });
    }
  }

  async stop(): Promise<void> {
    await this.stopInstances([...this.instances.keys()]);
    if (this.config) await this.applyStaticAddresses(this.config.staticAddresses, []);
    await this.ipvs.stop();
    this.scripts?.stop();
    for (const g of this.garp.values()) (await g).close();
    this.garp.clear();
  }

  async status(): Promise<AgentStatus> {
    return {
      instances: this.instanceStatus(),
      virtualServers: await this.ipvs.status(),
      configSources: this.sources,
      pid: process.pid,
      version: AGENT_VERSION,
    };
  }

  instanceStatus(): InstanceStatus[] {
    return [...this.instances.values()].map((i) => i.status());
  }

  // InstanceHost

  sendGarp(device: string, frames: Buffer[]): void {
    let s = this.garp.get(device);
    if (!s) {
      s = GarpSender.open(device);
      this.garp.set(device, s);
      s.then((g) => this.garp.set(device, g)).catch((err: Error) => {
        this.garp.delete(device);
        this.log.error("cannot send gratuitous ARP", { device, error: err.message });
      });
    }
    void Promise.resolve(s)
      .then((g) => g.send(frames))
      .catch((err: Error) => this.log.error("gratuitous ARP failed", { device, error: err.message }));
  }

  subscribeScript(name: string, cb: (up: boolean) => void): ScriptSubscription {
    return this.scripts.subscribe(name, cb);
  }

  subscribeProcess(name: string, cb: (up: boolean) => void): ScriptSubscription {
    const cfg = this.config.trackProcesses[name];
    if (!cfg) throw new Error(`no tracked process named ${name}`);
    const w = new ProcessWatch(cfg, (up) => {
      this.log.info("tracked process changed", { event: "track.process", name, up });
      cb(up);
    });
    w.start();
    return { up: () => w.up, weight: cfg.weight, unsubscribe: () => w.stop() };
  }

  foreignAdvert(instance: string, vrid: number, src: string): void {
    // The configured instances, running or still to start (foreign-vrid.ts: a sibling's VRID either way).
    const listeners = Object.entries(this.config.instances).map(([name, c]) => ({
      name,
      interface: c.interface,
      vrid: c.vrid,
      multicast: c.unicastPeers.length === 0,
      protocol: c.auth?.type === "AH" ? IPPROTO_AH : IPPROTO_VRRP,
      running: this.instances.has(name),
    }));
    if (!countsForeignAdvert(listeners, instance, vrid)) return;
    const ifname = this.config.instances[instance]!.interface;
    this.metrics.foreignVrid.inc({ interface: ifname });
    this.log.debug("advert for a VRID not ours dropped", { event: "vrrp.foreign", interface: ifname, vrid, src });
  }

  /** A member's own fault changed: every sync group member gets the faults its siblings impose. */
  inSyncGroup(instance: string): boolean {
    return inSyncGroup(this.config.syncGroups, instance);
  }

  /** A sync group member wants MASTER: its group goes MASTER together once every member does. */
  wantsMaster(instance: string, why: string, again: boolean): void {
    // Run from the instance's action chain: a sibling's decision or an advert may have come first.
    if (this.syncTakeovers().includes(instance) || again || !this.instances.get(instance)?.wantsMaster) return;
    const wanting = [...this.instances].filter(([, i]) => i.wantsMaster).map(([n]) => n);
    const waitingFor = holdouts(this.config.syncGroups, instance, wanting, (n) => this.instances.get(n)?.state);
    this.log.info("sync group: wants MASTER, waits for its siblings", {
      event: "vrrp.sync",
      instance,
      reason: why,
      waitingFor,
    });
  }

  /** The members that want MASTER and whose groups are all willing go MASTER; their names. */
  private syncTakeovers(): string[] {
    const wanting = [...this.instances].filter(([, i]) => i.wantsMaster).map(([n]) => n);
    const ready = takeovers(this.config.syncGroups, wanting, (n) => this.instances.get(n)?.state);
    for (const r of ready) {
      this.log.info("sync group: going MASTER together", {
        event: "vrrp.sync",
        instance: r.instance,
        reason: r.reason,
      });
      this.instances.get(r.instance)?.takeover(r.reason);
    }
    return ready.map((r) => r.instance);
  }

  ownFaultsChanged(): void {
    const own = new Set([...this.instances].filter(([, i]) => i.ownFault).map(([n]) => n));
    for (const [member, faults] of groupFaults(this.config.syncGroups, own))
      this.instances.get(member)?.setGroupFaults(faults);
  }

  notify(instance: string, cfg: VrrpInstanceConfig, state: VrrpState, priority: number): void {
    const from = this.lastState.get(instance) ?? "INIT";
    this.lastState.set(instance, state);
    const stateOf = (n: string) => this.instances.get(n)?.state;
    for (const r of resignations(this.config.syncGroups, instance, from, state, stateOf)) {
      this.log.info("sync group: following a sibling to BACKUP", {
        event: "vrrp.sync",
        instance: r.instance,
        reason: r.reason,
      });
      this.instances.get(r.instance)?.resign(r.reason);
    }
    this.ipvs.onVrrpState(instance, state);
    const user = scriptUser(this.config.global.scriptUser, this.config.scriptSecurity.allowRoot);
    runNotify(cfg.notify, instance, state, priority, user, this.log);
  }
}
