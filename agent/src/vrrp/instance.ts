// One VRRP instance at run time: the thin shell around the pure state machine (fsm.ts). It feeds the
// machine received adverts, timer ticks, tracking changes and shutdown, and carries out what it asks:
// adverts on the wire, virtual addresses in the kernel, gratuitous ARP, logs, metrics and notify hooks.
import { performance } from "node:perf_hooks";
import type { AgentVrrpInstanceConfig, VrrpInstanceConfig } from "../config/schema.ts";
import { parseCidr } from "../net/ip.ts";
import { buildIpv4 } from "../net/ipv4.ts";
import { getLink } from "../net/link.ts";
import { withVmacDevices } from "../net/vmac.ts";
import { ensureVmac, removeVmac, type Vmac } from "../net/vmac-link.ts";
import { Announcer, type AnnounceTarget } from "./announce.ts";
import {
  initialState,
  nextDeadline,
  step,
  type FsmAction,
  type FsmConfig,
  type FsmEvent,
  type FsmState,
  type VrrpState,
} from "./fsm.ts";
import { checkAdvert, encodeAdvert, parsePacket, type Advertisement, type InstanceView } from "./packet.ts";
import { AhSequence, buildAhPacket, IPPROTO_AH } from "./ipsec-ah.ts";
import { VrrpTransport } from "./transport.ts";
import type { InstanceHost } from "./host.ts";
import { Tracking } from "./tracking.ts";
import type { InstanceStatus } from "../status/format.ts";
import { addVips, removeVips, type VipChange } from "./vips.ts";
import { addRoutes, removeRoutes } from "./routes.ts";

export const VRRP_MULTICAST = "224.0.0.18";
/** Gratuitous ARP for a reassert goes at most this often (a peer that cannot hear us advertises on). */
const REASSERT_GARP_MIN_MS = 1000;

/** Advertisement interval in centiseconds as carried on the wire. */
export function intervalCs(cfg: Pick<VrrpInstanceConfig, "advertInterval">): number {
  return Math.round(cfg.advertInterval * 100);
}

export class Instance {
  private fsm!: FsmState;
  private transport?: VrrpTransport;
  private announcer?: Announcer;
  private timer?: NodeJS.Timeout;
  private tracking?: Tracking;
  private sourceIp = "";
  private since = new Date();
  private lastReason = "not started";
  private lastReassertGarp = -Infinity;
  /** faults from this instance's own tracked objects, and those its sync groups impose (sync-group.ts) */
  private trackFaults: string[] = [];
  private imposedFaults: string[] = [];
  /** Actions are carried out strictly in order, even when a step's address changes are still running. */
  private chain: Promise<void> = Promise.resolve();
  /** auth AH: the anti-replay sequence, and the IP ID keepalived counts up from 1 (the ICV covers it) */
  private readonly ahSeq = new AhSequence();
  private ipId = 0;

  /** the instance's config, with use_vmac's vmac as the device of every virtual address that names none */
  readonly cfg: AgentVrrpInstanceConfig;
  /** use_vmac: the macvlan this instance's addresses live on, while it runs */
  private vmac?: Vmac;

  constructor(
    readonly name: string,
    cfg: AgentVrrpInstanceConfig,
    private readonly host: InstanceHost,
  ) {
    this.cfg = withVmacDevices(cfg);
  }

  private get view(): InstanceView {
    return {
      version: this.cfg.version,
      vrid: this.cfg.vrid,
      intervalCs: intervalCs(this.cfg),
      addresses: this.cfg.virtualAddresses.map((v) => parseCidr(v.address).address),
      auth: this.cfg.auth
        ? { type: this.cfg.auth.type === "AH" ? "ah" : "pass", password: this.cfg.auth.password }
        : undefined,
      unicast: this.cfg.unicastPeers.length > 0,
    };
  }

  private fsmConfig(priority: number): FsmConfig {
    return {
      version: this.cfg.version,
      priority,
      advertIntervalCs: intervalCs(this.cfg),
      preempt: this.cfg.preempt,
      preemptDelayMs: this.cfg.preemptDelay * 1000,
      primaryIp: this.sourceIp,
      syncGroup: this.host.inSyncGroup?.(this.name) ?? false,
    };
  }

  async start(): Promise<void> {
    const link = await getLink(this.cfg.interface);
    this.sourceIp = this.cfg.sourceIp ?? link.addresses[0]?.address ?? "";
    if (!this.sourceIp) throw new Error(`interface ${this.cfg.interface} has no IPv4 address to send adverts from`);
    this.transport = await VrrpTransport.open({
      ifname: this.cfg.interface,
      multicast: this.cfg.unicastPeers.length === 0,
      ...(this.cfg.auth?.type === "AH" ? { protocol: IPPROTO_AH } : {}),
    });
    this.transport.on("packet", (buf: Buffer) => this.onPacket(buf));
    this.transport.on("error", (err: Error) =>
      this.host.log.error("vrrp socket error", { instance: this.name, error: err.message }),
    );
    // Before the announcer reads each device's MAC: GARPs for addresses on the vmac carry its virtual MAC.
    if (this.cfg.vmac) {
      this.vmac = await ensureVmac(this.cfg.interface, this.cfg.vmac.name, this.cfg.vrid);
      this.host.log.info(this.vmac.created ? "vmac created" : "vmac found", {
        event: "vrrp.vmac",
        instance: this.name,
        vmac: this.vmac.name,
        mac: this.vmac.mac,
        base: this.cfg.interface,
      });
    }
    this.announcer = new Announcer(await this.announceTargets(), this.cfg.garp, (dev, frames) => {
      this.host.sendGarp(dev, frames);
      this.host.metrics.garpSent.inc({ instance: this.name }, frames.length);
    });
    this.fsm = initialState(this.fsmConfig(this.cfg.priority));
    this.tracking = new Tracking(this.name, this.cfg, this.host, (t) => this.onTracking(t.priority, t.faults));
    await this.clearStaleVips();
    await this.tracking.start();
    this.feed({ type: "startup" });
    await this.chain;
  }

  /** Leave gracefully: priority 0 advert (backups take over after Skew_Time), addresses removed. */
  async stop(): Promise<void> {
    this.tracking?.stop();
    if (this.fsm) this.feed({ type: "shutdown" });
    await this.chain;
    if (this.timer) clearTimeout(this.timer);
    this.announcer?.stop();
    this.transport?.close();
    // keepalived removes the vmacs it made on the way out, once their addresses are gone.
    const vmac = this.vmac;
    this.vmac = undefined;
    if (vmac)
      await removeVmac(vmac).catch((err: Error) =>
        this.host.log.error("vmac removal failed", { event: "vrrp.vmac", instance: this.name, error: err.message }),
      );
  }

  private async announceTargets(): Promise<AnnounceTarget[]> {
    const targets: AnnounceTarget[] = [];
    for (const v of this.cfg.virtualAddresses) {
      const device = v.device ?? this.cfg.interface;
      targets.push({ device, mac: (await getLink(device)).mac, address: parseCidr(v.address).address });
    }
    return targets;
  }

  private onTracking(priority: number, faults: string[]): void {
    this.host.metrics.priority.set({ instance: this.name }, priority);
    if (priority !== this.fsm.cfg.priority) this.feed({ type: "config", cfg: this.fsmConfig(priority) });
    const changed = faults.length > 0 !== this.trackFaults.length > 0;
    this.trackFaults = faults;
    this.applyFaults();
    if (changed) this.host.ownFaultsChanged?.(this.name);
  }

  /** Whether a tracked object of this instance's own is down (not one its sync group imposes). */
  get ownFault(): boolean {
    return this.trackFaults.length > 0;
  }

  get state(): VrrpState {
    return this.fsm?.state ?? "INIT";
  }

  /** Faults a sync group imposes (a sibling's own fault); [] lifts them. */
  setGroupFaults(faults: string[]): void {
    this.imposedFaults = faults;
    if (this.fsm) this.applyFaults();
  }

  /** Leave MASTER for BACKUP now (a sync group sibling left MASTER). */
  resign(reason: string): void {
    if (this.fsm) this.feed({ type: "resign", reason });
  }

  /** A sync group member in BACKUP whose Master_Down_Timer fired: it waits for its group to take over. */
  get wantsMaster(): boolean {
    return this.fsm?.state === "BACKUP" && this.fsm.wantsMaster !== undefined;
  }

  /** Go MASTER with the group (every member wants MASTER): sync-group.ts decided. */
  takeover(reason: string): void {
    if (this.fsm) this.feed({ type: "takeover", reason });
  }

  private applyFaults(): void {
    const faults = [...this.trackFaults, ...this.imposedFaults];
    if (faults.join() !== this.fsm.faults.join()) this.feed({ type: "fault", faults });
  }

  private onPacket(buf: Buffer): void {
    const m = this.host.metrics;
    const parsed = parsePacket(buf);
    if (!parsed.ok) return void m.packetsDropped.inc({ instance: this.name, reason: parsed.reason });
    // Other routers' VRIDs share the group address: not ours, dropped, counted once per interface.
    if (parsed.advert.vrid !== this.cfg.vrid)
      return this.host.foreignAdvert?.(this.name, parsed.advert.vrid, parsed.src);
    if (parsed.src === this.sourceIp) return;
    if (this.cfg.unicastPeers.length > 0 && !this.cfg.unicastPeers.includes(parsed.src))
      return void m.packetsDropped.inc({ instance: this.name, reason: "peer" });
    const check = checkAdvert(parsed.advert, this.view, parsed);
    if (!check.ok) {
      this.host.log.debug("advert dropped", {
        instance: this.name,
        reason: check.reason,
        detail: check.detail,
        src: parsed.src,
      });
      return void m.packetsDropped.inc({ instance: this.name, reason: check.reason });
    }
    if (parsed.ah) {
      if (!this.ahSeq.accept(parsed.ah.seq))
        return void m.packetsDropped.inc({ instance: this.name, reason: "replay" });
      // keepalived: a master hearing a lower priority moves its sequence past the other's.
      if (this.fsm.state === "MASTER" && parsed.advert.priority < this.fsm.cfg.priority)
        this.ahSeq.syncPast(parsed.ah.seq);
    }
    if (check.addressMismatch) {
      this.onAddressMismatch(parsed.src, parsed.advert);
      // vrrp_strict: RFC 3768 7.1 discards it (unless from the address owner), as keepalived's strict mode.
      if (this.cfg.strict && parsed.advert.priority !== 255)
        return void m.packetsDropped.inc({ instance: this.name, reason: "addresses" });
    }
    m.advertsReceived.inc({ instance: this.name });
    this.feed({
      type: "advert",
      src: parsed.src,
      priority: parsed.advert.priority,
      intervalCs: parsed.advert.intervalCs,
    });
  }

  private onAddressMismatch(src: string, adv: Advertisement): void {
    this.host.metrics.addressMismatch.inc({ instance: this.name });
    this.host.log.warn("advert address list differs from ours", {
      instance: this.name,
      src,
      theirs: adv.addresses,
      ours: this.view.addresses,
    });
  }

  /** Step the machine, queue its actions, and re-arm the single timer at the next deadline. */
  private feed(ev: FsmEvent): void {
    const r = step(this.fsm, ev, performance.now());
    this.fsm = r.state;
    for (const a of r.actions) this.chain = this.chain.then(() => this.act(a)).catch((err: Error) => this.fail(err));
    this.arm();
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    const at = nextDeadline(this.fsm);
    if (at === undefined) return;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, at - performance.now()));
  }

  /**
   * A deadline passed. After a pause (SIGSTOP, a GC, a starved CPU) the timer is late and adverts may be
   * waiting in the socket: read them first, or a backup would take over from a master that is alive
   * (Node runs due timers before it polls sockets). The machine then ignores a tick that is not due.
   */
  private onTimer(): void {
    this.timer = undefined;
    this.transport?.drain();
    this.feed({ type: "tick" });
  }

  private fail(err: Error): void {
    this.host.log.error("action failed", { instance: this.name, error: err.message });
  }

  private async act(a: FsmAction): Promise<void> {
    if (a.type === "send") return this.sendAdvert(a.priority);
    if (a.type === "reassert") return this.reassert(a.src, a.priority);
    if (a.type === "wantMaster") return this.host.wantsMaster?.(this.name, a.reason, a.again);
    await this.transition(a.from, a.to, a.reason);
  }

  /**
   * A lower-priority router advertised while we are master (it took over during a blip of ours). The
   * machine already advertised; the gratuitous ARPs (a burst, and again after garp_master_delay, as on
   * becoming master) bring clients back from its MAC. While it keeps advertising (a one-way partition)
   * they go at most once a second rather than with every advert.
   */
  private reassert(src: string, priority: number): void {
    this.host.metrics.reasserts.inc({ instance: this.name });
    const now = performance.now();
    if (now - this.lastReassertGarp < REASSERT_GARP_MIN_MS) return;
    this.lastReassertGarp = now;
    this.host.log.info("lower-priority advertisement while master: advertised and sent gratuitous ARP", {
      event: "vrrp.reassert",
      instance: this.name,
      src,
      theirPriority: priority,
      priority: this.fsm.cfg.priority,
    });
    this.announcer!.start();
  }

  private destinations(): string[] {
    return this.cfg.unicastPeers.length > 0 ? this.cfg.unicastPeers : [VRRP_MULTICAST];
  }

  private async sendAdvert(priority: number): Promise<void> {
    const view = this.view;
    const adv: Advertisement = { ...view, priority };
    const seq = view.auth?.type === "ah" ? this.ahSeq.next() : 0;
    for (const dst of this.destinations()) {
      const vrrp = encodeAdvert(adv, this.sourceIp, dst);
      await this.transport!.send(
        view.auth?.type === "ah"
          ? buildAhPacket(
              {
                src: this.sourceIp,
                dst,
                id: this.nextIpId(),
                seq,
                password: view.auth.password!,
                unicast: view.unicast!,
              },
              vrrp,
            )
          : buildIpv4({ src: this.sourceIp, dst }, vrrp),
      );
      this.host.metrics.advertsSent.inc({ instance: this.name });
    }
  }

  /** 1, 2, ... 65535, 1: never 0, which the kernel would replace after the AH ICV was made. */
  private nextIpId(): number {
    this.ipId = (this.ipId % 0xffff) + 1;
    return this.ipId;
  }

  private async transition(from: VrrpState, to: VrrpState, reason: string): Promise<void> {
    this.since = new Date();
    this.lastReason = reason;
    this.host.log.info("transition", {
      event: "vrrp.transition",
      instance: this.name,
      from,
      to,
      reason,
      priority: this.fsm.cfg.priority,
    });
    this.host.metrics.transitions.inc({ instance: this.name, to });
    this.host.metrics.setState(this.name, to);
    if (to === "MASTER") {
      this.logVipErrors(await addVips(this.cfg));
      this.logVipErrors(await addRoutes(this.cfg.virtualRoutes));
      this.announcer!.start();
    } else if (from === "MASTER") {
      this.announcer!.stop();
      this.logVipErrors(await removeRoutes(this.cfg.virtualRoutes));
      this.logVipErrors(await removeVips(this.cfg));
    }
    this.host.notify(this.name, this.cfg, to, this.fsm.cfg.priority);
  }

  private logVipErrors(c: VipChange): void {
    for (const e of c.errors)
      this.host.log.error("virtual address or route change failed", { instance: this.name, error: e });
  }

  /**
   * Addresses of ours still on the interface were left by a crashed run (keepalived leaves them too, and
   * then two routers answer for the VIP). We are not master yet, so they go.
   */
  private async clearStaleVips(): Promise<void> {
    this.logVipErrors(await removeRoutes(this.cfg.virtualRoutes));
    const c = await removeVips(this.cfg);
    this.logVipErrors(c);
    if (c.changed.length)
      this.host.log.warn("removed virtual addresses left by an earlier run", {
        event: "vrrp.stale_vips",
        instance: this.name,
        addresses: c.changed,
      });
  }

  status(): InstanceStatus {
    const s = this.fsm;
    return {
      name: this.name,
      interface: this.cfg.interface,
      vrid: this.cfg.vrid,
      version: this.cfg.version,
      state: s?.state ?? "INIT",
      priority: this.cfg.priority,
      effectivePriority: s?.cfg.priority ?? this.cfg.priority,
      masterIp: s?.masterIp,
      advertIntervalCs: intervalCs(this.cfg),
      masterAdvertIntervalCs: s?.masterAdverIntervalCs ?? intervalCs(this.cfg),
      vips: this.cfg.virtualAddresses.map((v) => v.address),
      since: this.since.toISOString(),
      lastTransitionReason: this.lastReason,
      ...(this.wantsMaster && { wantsMaster: s.wantsMaster }),
      faults: [...(s?.faults ?? [])],
      tracks: this.tracking?.states() ?? [],
    };
  }
}
