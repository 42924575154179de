// Keeps the kernel's IPVS table equal to the config and the health of real servers.
//
// The shell around the pure reconciler: dump the kernel, diff, write the minimal operations. It runs
// on start, on reload, on every health change and every `period` ms, so hand edits (ipvsadm -D/-d/-e/-C)
// are repaired within one period and counted as drift (period 0: as keepalived, they stay until the next
// reload or health change; status shows them meanwhile, observe()). The services it owns are remembered in a state
// file under /run, so a service removed from the config while the agent was down is still cleaned up.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { VirtualServerConfig } from "../config/ipvs.ts";
import type { Logger } from "../log.ts";
import type {
  IpvsDest,
  IpvsDestInfo,
  IpvsDestKey,
  IpvsService,
  IpvsServiceInfo,
  IpvsServiceKey,
  IpvsStats,
} from "./codec.ts";
import { canonicalAddress } from "./codec.ts";
import { desiredTable, liveWeight, serviceKeyOf, type Health } from "./desired.ts";
import { quorumRule, stepQuorums, type QuorumChange } from "./quorum.ts";
import { destId, ownedAfter, reconcile, serviceId, type IpvsOp, type VirtualService } from "./reconcile.ts";

/** What the manager needs of the kernel (IpvsClient implements it). */
export interface IpvsKernel {
  listServices(): Promise<IpvsServiceInfo[]>;
  listDests(key: IpvsServiceKey): Promise<IpvsDestInfo[]>;
  addService(s: IpvsService): Promise<void>;
  editService(s: IpvsService): Promise<void>;
  delService(key: IpvsServiceKey): Promise<void>;
  addDest(key: IpvsServiceKey, d: IpvsDest): Promise<void>;
  editDest(key: IpvsServiceKey, d: IpvsDest): Promise<void>;
  delDest(key: IpvsServiceKey, d: IpvsDestKey): Promise<void>;
}

export interface ReconcileReport {
  ops: IpvsOp[];
  /** operations needed although the desired table had not changed: someone edited the kernel */
  drift: boolean;
  errors: string[];
  ms: number;
}

export interface ManagerOptions {
  kernel: IpvsKernel;
  log: Logger;
  /** where owned service ids persist across restarts */
  stateFile: string;
  /** periodic reconcile, ms; 0 = only on changes */
  periodMs: number;
  onReport?: (r: ReconcileReport) => void;
  /** a virtual server gained or lost its quorum (quorum.ts); the table already reflects it */
  onQuorum?: (c: QuorumChange, vs: VirtualServerConfig) => void;
}

const ZERO_STATS: IpvsStats = {
  conns: 0n,
  inPkts: 0n,
  outPkts: 0n,
  inBytes: 0n,
  outBytes: 0n,
  cps: 0n,
  inPps: 0n,
  outPps: 0n,
  inBps: 0n,
  outBps: 0n,
};

interface Draining {
  dest: IpvsDest;
  until: number;
}

export class IpvsManager {
  private vss: Record<string, VirtualServerConfig> = {};
  private readonly health = new Map<string, Health>();
  /** per virtual server with a quorum rule: whether it has its quorum now */
  private quorum = new Map<string, boolean>();
  private readonly draining = new Map<string, Map<string, Draining>>();
  private owned = new Set<string>();
  private lastDesired = "";
  private timer?: NodeJS.Timeout;
  private periodMs = 0;
  private running: Promise<ReconcileReport> | undefined;
  private again = false;
  /** our services as the kernel holds them after the last pass */
  lastKernel: VirtualService[] = [];
  private lastStats = new Map<string, IpvsDestInfo[]>();
  /** lastStats, or after writes the table just written (what status shows) */
  private shownStats = new Map<string, IpvsDestInfo[]>();
  /** per virtual server name, destination id -> the weight this agent sets (config, health, drain) */
  private wanted = new Map<string, Map<string, number>>();

  /** Destinations with counters per virtual server name, from the last dump and the writes after it. */
  get stats(): ReadonlyMap<string, IpvsDestInfo[]> {
    return this.shownStats;
  }

  constructor(private readonly opts: ManagerOptions) {}

  async start(vss: Record<string, VirtualServerConfig>): Promise<ReconcileReport> {
    this.owned = await this.loadOwned();
    this.vss = vss;
    this.setPeriod(this.opts.periodMs);
    return this.reconcile();
  }

  /** The periodic reconcile, restarted when a reload changes ipvsReconcileInterval (0 = only on changes). */
  setPeriod(periodMs: number): void {
    if (this.timer && periodMs === this.periodMs) return;
    this.stop();
    this.periodMs = periodMs;
    if (periodMs > 0) this.timer = setInterval(() => void this.reconcile(), periodMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A new config: servers that left a virtual server with `drain` set stay at weight 0 for a while. */
  setConfig(vss: Record<string, VirtualServerConfig>): Promise<ReconcileReport> {
    const now = Date.now();
    for (const [name, vs] of Object.entries(this.vss)) {
      const next = vss[name];
      if (!next || next.drain <= 0) continue;
      const keep = new Set(
        next.realServers.map((rs) =>
          destId({ address: canonicalAddress(rs.address), port: rs.port ?? next.port ?? 0 }),
        ),
      );
      const current = this.lastKernel.find((k) => serviceId(k.service) === serviceId(serviceKeyOf(vs)));
      for (const d of current?.dests ?? []) {
        if (keep.has(destId(d))) continue;
        const m = this.draining.get(name) ?? new Map<string, Draining>();
        m.set(destId(d), { dest: d, until: now + next.drain * 1000 });
        this.draining.set(name, m);
      }
    }
    this.vss = vss;
    return this.reconcile();
  }

  setHealth(id: string, h: Health): void {
    const cur = this.health.get(id);
    if (cur?.up === h.up && cur?.weight === h.weight) return;
    this.health.set(id, h);
    void this.reconcile();
  }

  forgetHealth(keep: (id: string) => boolean): void {
    for (const id of [...this.health.keys()]) if (!keep(id)) this.health.delete(id);
  }

  /** The weight this agent sets for a destination of virtual server `name` (undefined: not one of its own). */
  wantedWeight(name: string, dest: IpvsDestKey): number | undefined {
    return this.wanted.get(name)?.get(destId(dest));
  }

  /**
   * The kernel as it is now, for status, changing nothing: a hand edit shows (weight beside
   * wantedWeight) until the next pass repairs it, which with no period is the next reload or health
   * change. Waits for a pass in progress so it never shows its half-written table.
   */
  async observe(): Promise<void> {
    await this.running;
    const desired = desiredTable(this.vss, this.health, this.drainingDests(), this.quorum);
    this.noteWanted(desired);
    await this.dump(desired);
    this.shownStats = this.lastStats;
  }

  private noteWanted(desired: VirtualService[]): void {
    const names = new Map(Object.entries(this.vss).map(([n, vs]) => [serviceId(serviceKeyOf(vs)), n]));
    this.wanted = new Map(
      desired.map((v) => [names.get(serviceId(v.service)) ?? "", new Map(v.dests.map((d) => [destId(d), d.weight]))]),
    );
  }

  /** One pass; concurrent calls coalesce into at most one more pass after the running one. */
  reconcile(): Promise<ReconcileReport> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.reconcile();
      }
    });
    return this.running;
  }

  private drainingDests(): Map<string, IpvsDest[]> {
    const now = Date.now();
    const out = new Map<string, IpvsDest[]>();
    for (const [name, m] of this.draining) {
      for (const [id, d] of m) {
        const conns = this.connsOf(name, id);
        if (now >= d.until || conns === 0) m.delete(id);
      }
      out.set(
        name,
        [...m.values()].map((d) => d.dest),
      );
    }
    return out;
  }

  private connsOf(vsName: string, id: string): number | undefined {
    const info = this.lastStats.get(vsName)?.find((d) => destId(d.dest) === id);
    return info ? info.activeConns + info.inactConns : undefined;
  }

  /** Whether a virtual server has its quorum (undefined: it has no quorum rule). */
  hasQuorum(name: string): boolean | undefined {
    return this.quorum.get(name);
  }

  /** Quorum states after the latest health and config; each crossing is reported once, before the write. */
  private stepQuorum(): void {
    const rules = new Map(
      Object.entries(this.vss).flatMap(([name, vs]) => {
        const rule = quorumRule(vs);
        return rule ? [[name, { rule, liveWeight: liveWeight(name, vs, this.health) }] as const] : [];
      }),
    );
    const { states, changes } = stepQuorums(this.quorum, rules);
    this.quorum = states;
    for (const c of changes) this.opts.onQuorum?.(c, this.vss[c.name]!);
  }

  private async pass(): Promise<ReconcileReport> {
    const t0 = performance.now();
    this.stepQuorum();
    const desired = desiredTable(this.vss, this.health, this.drainingDests(), this.quorum);
    this.noteWanted(desired);
    const desiredKey = JSON.stringify(desired);
    const kernel = await this.dump(desired);
    const ops = reconcile(desired, kernel, this.owned);
    const drift = ops.length > 0 && desiredKey === this.lastDesired;
    const errors = await this.apply(ops);
    this.shownStats = ops.length > 0 && errors.length === 0 ? this.statsAfterWrites(desired) : this.lastStats;
    // What the kernel holds now, as far as we know: drain decisions on the next config change use it.
    this.lastKernel = errors.length ? kernel : desired;
    this.lastDesired = desiredKey;
    const nextOwned = ownedAfter(desired);
    if (errors.length === 0 && !sameSet(nextOwned, this.owned)) await this.saveOwned(nextOwned);
    const report = { ops, drift, errors, ms: performance.now() - t0 };
    this.log(report);
    this.opts.onReport?.(report);
    return report;
  }

  /** Services we want or own, with their destinations; others are not even read. */
  private async dump(desired: VirtualService[]): Promise<VirtualService[]> {
    const relevant = new Set([...this.owned, ...desired.map((d) => serviceId(d.service))]);
    const services = (await this.opts.kernel.listServices()).filter((s) => relevant.has(serviceId(s.service)));
    const names = new Map(Object.entries(this.vss).map(([n, vs]) => [serviceId(serviceKeyOf(vs)), n]));
    const out: VirtualService[] = [];
    this.lastStats = new Map();
    for (const s of services) {
      const dests = await this.opts.kernel.listDests(s.service);
      const name = names.get(serviceId(s.service));
      if (name) this.lastStats.set(name, dests);
      out.push({ service: s.service, dests: dests.map((d) => d.dest) });
    }
    return out;
  }

  /**
   * After writes, status shows the table just written (counters carried over by real server), not the
   * dump taken before them: otherwise a new real server would be missing from status for a whole period.
   * Drains still decide on dumped counts only (lastStats).
   */
  private statsAfterWrites(desired: VirtualService[]): Map<string, IpvsDestInfo[]> {
    const names = new Map(Object.entries(this.vss).map(([n, vs]) => [serviceId(serviceKeyOf(vs)), n]));
    const next = new Map<string, IpvsDestInfo[]>();
    for (const v of desired) {
      const name = names.get(serviceId(v.service));
      if (!name) continue;
      const before = new Map((this.lastStats.get(name) ?? []).map((d) => [destId(d.dest), d]));
      next.set(
        name,
        v.dests.map((dest) => ({
          ...(before.get(destId(dest)) ?? { activeConns: 0, inactConns: 0, persistConns: 0, stats: ZERO_STATS }),
          dest,
        })),
      );
    }
    return next;
  }

  private async apply(ops: IpvsOp[]): Promise<string[]> {
    const k = this.opts.kernel;
    const errors: string[] = [];
    for (const o of ops) {
      try {
        if (o.op === "addService") await k.addService(o.service);
        else if (o.op === "editService") await k.editService(o.service);
        else if (o.op === "delService") await k.delService(o.key);
        else if (o.op === "addDest") await k.addDest(o.key, o.dest);
        else if (o.op === "editDest") await k.editDest(o.key, o.dest);
        else await k.delDest(o.key, o.dest);
      } catch (err) {
        errors.push(`${o.op} ${"key" in o ? serviceId(o.key) : serviceId(o.service)}: ${(err as Error).message}`);
      }
    }
    return errors;
  }

  private log(r: ReconcileReport): void {
    const log = this.opts.log;
    if (r.errors.length)
      log.error("IPVS reconcile failed in part", { event: "ipvs.reconcile", errors: r.errors, writes: r.ops.length });
    if (r.ops.length === 0) return;
    const ops = r.ops.map(describeOp);
    if (r.drift) log.warn("IPVS drift repaired (the kernel table was changed by hand)", { event: "ipvs.drift", ops });
    else log.info("IPVS table updated", { event: "ipvs.reconcile", ops, ms: Math.round(r.ms) });
  }

  private async loadOwned(): Promise<Set<string>> {
    try {
      return new Set(JSON.parse(await readFile(this.opts.stateFile, "utf8")) as string[]);
    } catch {
      return new Set();
    }
  }

  /** Written to a temporary name and renamed, so a crash never leaves half a file. */
  private async saveOwned(owned: Set<string>): Promise<void> {
    this.owned = owned;
    await mkdir(dirname(this.opts.stateFile), { recursive: true, mode: 0o700 });
    const tmp = `${this.opts.stateFile}.tmp`;
    await writeFile(tmp, JSON.stringify([...owned].sort()));
    await rename(tmp, this.opts.stateFile);
  }
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

export function describeOp(o: IpvsOp): string {
  switch (o.op) {
    case "addService":
    case "editService":
      return `${o.op} ${serviceId(o.service)} ${o.service.scheduler}`;
    case "delService":
      return `${o.op} ${serviceId(o.key)}`;
    case "delDest":
      return `${o.op} ${serviceId(o.key)} -> ${destId(o.dest)}`;
    default:
      return `${o.op} ${serviceId(o.key)} -> ${destId(o.dest)} ${o.dest.fwd} w${o.dest.weight}`;
  }
}
