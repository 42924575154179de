// The IPVS side of a director at run time: director sysctls, the reconciling manager, the health
// checkers and the sync daemon, behind three calls the daemon makes: validate (before a config is used,
// changing nothing), apply, and onVrrpState. IPVS is opened only when the config asks for it, so a
// VRRP-only agent runs on kernels without IPVS.
import { join } from "node:path";
import type { AgentConfig } from "../config/schema.ts";
import type { Logger } from "../log.ts";
import { applySysctls } from "../net/sysctl.ts";
import { IpvsMetrics } from "../status/ipvs-metrics.ts";
import type { Registry } from "../status/metrics.ts";
import type { VrrpState } from "../vrrp/fsm.ts";
import { describeService, serviceFamily } from "./codec.ts";
import { healthKey, serviceKeyOf } from "./desired.ts";
import { IpvsClient } from "./genl.ts";
import { HealthSet } from "./health.ts";
import { IpvsManager, type ReconcileReport } from "./manager.ts";
import type { QuorumChange } from "./quorum.ts";
import { QuorumScripts } from "./quorum-scripts.ts";
import { scriptUser } from "../track/runas.ts";
import type { VirtualServerConfig } from "../config/ipvs.ts";
import { ensureScheduler } from "./schedulers.ts";
import { applySync } from "./sync.ts";

export interface DestStatus {
  address: string;
  port: number;
  forwarding: string;
  /** in the kernel now */
  weight: number;
  /**
   * what this agent sets (the config's, or what health checks and draining made of it): differs from
   * weight only after a hand edit (ipvsadm -e), until the next reconcile puts it back
   */
  wantedWeight?: number;
  health: "up" | "down" | "unknown" | "unchecked";
  detail?: string;
  activeConns: number;
  inactiveConns: number;
  conns: number;
  inBytes: number;
  outBytes: number;
}

export interface VirtualServerStatus {
  name: string;
  service: string;
  scheduler: string;
  dests: DestStatus[];
}

function needsIpvs(cfg: AgentConfig): boolean {
  return Object.keys(cfg.virtualServers).length > 0 || cfg.syncDaemon !== undefined || cfg.ipvsTimeouts !== undefined;
}

/** NAT needs forwarding on, for each family it serves: derived here so users cannot forget it. */
function sysctlsFor(cfg: AgentConfig): Record<string, number | string> {
  const nat = Object.values(cfg.virtualServers).filter(
    (vs) => vs.forwarding === "NAT" || vs.realServers.some((r) => r.forwarding === "NAT"),
  );
  const v6 = nat.some((vs) => serviceFamily(serviceKeyOf(vs)) === "inet6");
  const v4 = nat.some((vs) => serviceFamily(serviceKeyOf(vs)) === "inet");
  return {
    ...(v4 ? { "net.ipv4.ip_forward": 1 } : {}),
    ...(v6 ? { "net.ipv6.conf.all.forwarding": 1 } : {}),
    ...cfg.sysctls,
  };
}

export class IpvsRuntime {
  private client?: IpvsClient;
  private manager?: IpvsManager;
  private health?: HealthSet;
  private cfg?: AgentConfig;
  private readonly vrrp = new Map<string, VrrpState>();
  private readonly metrics: IpvsMetrics;
  private readonly quorumScripts: QuorumScripts;

  constructor(
    private readonly log: Logger,
    registry: Registry,
  ) {
    this.metrics = new IpvsMetrics(registry);
    this.quorumScripts = new QuorumScripts(log);
  }

  /** Problems that would make cfg fail on this kernel; nothing is changed. */
  async validate(cfg: AgentConfig): Promise<string[]> {
    if (!needsIpvs(cfg)) return [];
    try {
      this.client ??= await IpvsClient.open();
    } catch (err) {
      return [`virtualServers: ${(err as Error).message}`];
    }
    const problems: string[] = [];
    for (const [name, vs] of Object.entries(cfg.virtualServers)) {
      if (!(await ensureScheduler(vs.scheduler))) {
        problems.push(
          `virtualServers.${name}.scheduler: the kernel has no IPVS scheduler "${vs.scheduler}" (module ip_vs_${vs.scheduler})`,
        );
      }
    }
    return problems;
  }

  /** Apply a config that passed validate(). */
  async apply(cfg: AgentConfig): Promise<void> {
    this.cfg = cfg;
    const changed = await applySysctls(sysctlsFor(cfg));
    if (changed.length) this.log.info("director sysctls set", { event: "sysctl.set", changed });
    if (!this.client) return;
    if (!this.manager) {
      this.manager = new IpvsManager({
        kernel: this.client,
        log: this.log,
        stateFile: join(cfg.global.stateDir, "ipvs-owned.json"),
        periodMs: cfg.global.ipvsReconcileInterval * 1000,
        onReport: (r) => this.onReport(r),
        onQuorum: (c, vs) => this.onQuorum(c, vs),
      });
      this.health = new HealthSet(this.log, (id, h) => this.manager?.setHealth(id, h));
      const ids = this.health.update(cfg.virtualServers);
      this.manager.forgetHealth((id) => ids.has(id));
      await this.manager.start(cfg.virtualServers);
    } else {
      const ids = this.health!.update(cfg.virtualServers);
      this.manager.forgetHealth((id) => ids.has(id));
      this.manager.setPeriod(cfg.global.ipvsReconcileInterval * 1000);
      await this.manager.setConfig(cfg.virtualServers);
    }
    await this.applyTimeouts(cfg);
    await this.followSync();
  }

  /** Only the timeouts the config names, and only when the kernel differs (0 = leave unchanged). */
  private async applyTimeouts(cfg: AgentConfig): Promise<void> {
    const want = cfg.ipvsTimeouts;
    if (!this.client || !want) return;
    const have = await this.client.getTimeouts();
    const next = { tcp: want.tcp ?? 0, tcpFin: want.tcpFin ?? 0, udp: want.udp ?? 0 };
    const differs = (Object.keys(next) as (keyof typeof next)[]).some((k) => next[k] !== 0 && next[k] !== have[k]);
    if (!differs) return;
    await this.client.setTimeouts(next);
    this.log.info("IPVS timeouts set", { event: "ipvs.timeouts", from: have, to: next });
  }

  private onReport(r: ReconcileReport): void {
    this.metrics.report(r);
    for (const [name, dests] of this.manager?.stats ?? []) {
      const vs = this.cfg?.virtualServers[name];
      if (vs) for (const d of dests) this.metrics.dest(describeService(serviceKeyOf(vs)), d);
    }
  }

  /** keepalived's "Gained quorum" / "Lost quorum", and its quorum_up / quorum_down command. */
  private onQuorum(c: QuorumChange, vs: VirtualServerConfig): void {
    this.log.info(c.up ? "virtual server gained quorum" : "virtual server lost quorum", {
      event: "ipvs.quorum",
      virtualServer: c.name,
      up: c.up,
      liveWeight: c.liveWeight,
      quorum: vs.quorum ?? 1,
    });
    const command = c.up ? vs.quorumUp : vs.quorumDown;
    if (command && this.cfg) void this.quorumScripts.run(c.name, command, this.scriptUser(this.cfg));
  }

  private scriptUser(cfg: AgentConfig) {
    return scriptUser(cfg.global.scriptUser, cfg.scriptSecurity.allowRoot);
  }

  onVrrpState(instance: string, state: VrrpState): void {
    this.vrrp.set(instance, state);
    if (this.cfg?.syncDaemon?.followInstance === instance) void this.followSync();
  }

  private async followSync(): Promise<void> {
    if (!this.client || !this.cfg) return;
    const sync = this.cfg.syncDaemon;
    try {
      const plan = await applySync(this.client, sync, sync ? this.vrrp.get(sync.followInstance) : undefined);
      if (plan.start || plan.stop.length)
        this.log.info("IPVS sync daemon", { event: "ipvs.sync", started: plan.start?.state, stopped: plan.stop });
    } catch (err) {
      this.log.error("IPVS sync daemon change failed", { event: "ipvs.sync", error: (err as Error).message });
    }
  }

  /** The table as the kernel holds it now (a fresh read), with health and the weights this agent sets. */
  async status(): Promise<VirtualServerStatus[]> {
    const cfg = this.cfg;
    if (!cfg || !this.manager) return [];
    await this.manager.observe();
    const health = this.health?.states() ?? new Map();
    return Object.entries(cfg.virtualServers).map(([name, vs]) => ({
      name,
      service: describeService(serviceKeyOf(vs)),
      scheduler: vs.scheduler,
      dests: (this.manager!.stats.get(name) ?? []).map((d) => {
        const h = health.get(healthKey(name, d.dest.address, d.dest.port));
        return {
          address: d.dest.address,
          port: d.dest.port,
          forwarding: d.dest.fwd,
          weight: d.dest.weight,
          wantedWeight: this.manager!.wantedWeight(name, d.dest),
          health: h ? (h.up === undefined ? "unknown" : h.up ? "up" : "down") : "unchecked",
          detail: h?.detail,
          activeConns: d.activeConns,
          inactiveConns: d.inactConns,
          conns: Number(d.stats.conns),
          inBytes: Number(d.stats.inBytes),
          outBytes: Number(d.stats.outBytes),
        } satisfies DestStatus;
      }),
    }));
  }

  /**
   * Stop checking and remove the services we own, as keepalived does on shutdown; with omega, each
   * virtual server's quorumDown runs as its service goes (keepalived gives it a second; we give it five).
   */
  async stop(): Promise<void> {
    this.manager?.stop();
    await this.health?.stop();
    if (this.manager && this.cfg) {
      const cfg = this.cfg;
      await this.manager.setConfig({});
      await this.quorumScripts.idle();
      await Promise.all(
        Object.entries(cfg.virtualServers).flatMap(([name, vs]) =>
          vs.omega && vs.quorumDown ? [this.quorumScripts.run(name, vs.quorumDown, this.scriptUser(cfg), 5000)] : [],
        ),
      );
    }
    if (this.client && this.cfg?.syncDaemon) await applySync(this.client, undefined, undefined).catch(() => undefined);
    this.client?.close?.();
  }
}
