// The table the kernel should hold, from the config and the health of each real server (pure).
// keepalived semantics: a failed real server is removed, or kept at weight 0 with inhibitOnFailure;
// a dynamic weight from a check replaces the configured one; with no live server (or quorum lost) the
// sorry server takes the traffic. An IPv6 service (AF_INET6) is built the same way.
import { isIPv6 } from "node:net";
import type { RealServerConfig, VirtualServerConfig, ForwardingT } from "../config/ipvs.ts";
import { canonicalAddress, type IpvsDest, type IpvsFwd, type IpvsService, type IpvsServiceKey } from "./codec.ts";
import type { VirtualService } from "./reconcile.ts";
import { initialQuorum, quorumRule } from "./quorum.ts";

export interface Health {
  /** undefined until the first check finished */
  up?: boolean;
  /** dynamic weight reported by the check (misc_dynamic) */
  weight?: number;
}

/** Key of a real server's health: "<virtual server name>/<address>:<port>". */
export function healthKey(vsName: string, address: string, port: number): string {
  return `${vsName}/${address}:${port}`;
}

export function realServerId(vsName: string, vs: VirtualServerConfig, rs: RealServerConfig): string {
  return healthKey(vsName, canonicalAddress(rs.address), rs.port ?? vs.port ?? 0);
}

const FWD: Record<ForwardingT, IpvsFwd> = { DR: "dr", NAT: "nat", TUN: "tun" };

/** IPv6 when the service's address is, or for a fwmark service when its real servers are (validate-ipvs.ts). */
function isV6(vs: VirtualServerConfig): boolean {
  return isIPv6(vs.address ?? vs.realServers[0]?.address ?? vs.sorryServer?.address ?? "");
}

export function serviceKeyOf(vs: VirtualServerConfig): IpvsServiceKey {
  if (vs.fwmark !== undefined) return { family: isV6(vs) ? "inet6" : "inet", fwmark: vs.fwmark };
  // The kernel lists IPv6 addresses in RFC 5952 form: desire that form, or every pass would rewrite.
  const address = canonicalAddress(vs.address!);
  return { protocol: vs.protocol.toLowerCase() as "tcp" | "udp" | "sctp", address, port: vs.port! };
}

export function serviceOf(vs: VirtualServerConfig): IpvsService {
  return {
    ...serviceKeyOf(vs),
    scheduler: vs.scheduler,
    flags: {
      persistent: vs.persistence !== undefined,
      onePacket: vs.flags.onePacket,
      schedFlag1: vs.flags.fallback,
      schedFlag2: vs.flags.port,
      schedFlag3: false,
    },
    timeout: vs.persistence?.timeout ?? 0,
    // per client address unless a granularity is given: /32, or /128 for IPv6
    netmask: vs.persistence?.netmask ?? (isV6(vs) ? 128 : 32),
  };
}

function destOf(vs: VirtualServerConfig, rs: RealServerConfig, weight: number): IpvsDest {
  return {
    address: canonicalAddress(rs.address),
    port: rs.port ?? vs.port ?? 0,
    fwd: FWD[rs.forwarding ?? vs.forwarding],
    weight,
    upperThreshold: rs.upperThreshold,
    lowerThreshold: rs.lowerThreshold,
  };
}

/** Whether a real server is in service now: unchecked ones always; unknown ones unless alpha. */
export function isLive(vs: VirtualServerConfig, rs: RealServerConfig, h: Health | undefined): boolean {
  if (rs.healthCheck === "none" || (!rs.healthCheck && !vs.healthCheck)) return true;
  return h?.up ?? !vs.alpha;
}

function liveDests(
  name: string,
  vs: VirtualServerConfig,
  health: ReadonlyMap<string, Health>,
): { dests: IpvsDest[]; liveWeight: number } {
  const dests: IpvsDest[] = [];
  let liveWeight = 0;
  for (const rs of vs.realServers) {
    const h = health.get(realServerId(name, vs, rs));
    const weight = h?.weight ?? rs.weight;
    if (isLive(vs, rs, h)) {
      dests.push(destOf(vs, rs, weight));
      liveWeight += weight;
    } else if (rs.inhibitOnFailure ?? vs.inhibitOnFailure) dests.push(destOf(vs, rs, 0));
  }
  return { dests, liveWeight };
}

function sorryDest(vs: VirtualServerConfig): IpvsDest[] {
  const s = vs.sorryServer;
  if (!s) return [];
  return [
    destOf(
      vs,
      { address: s.address, port: s.port, forwarding: s.forwarding, weight: 1, upperThreshold: 0, lowerThreshold: 0 },
      1,
    ),
  ];
}

/** The sum of the weights of a virtual server's live real servers: what its quorum is measured in. */
export function liveWeight(name: string, vs: VirtualServerConfig, health: ReadonlyMap<string, Health>): number {
  return liveDests(name, vs, health).liveWeight;
}

/**
 * One virtual server's desired service and destinations. `quorumUp` is its quorum state as the manager
 * tracks it (quorum.ts, with hysteresis); without it, the state a start with this health would have.
 */
export function desiredService(
  name: string,
  vs: VirtualServerConfig,
  health: ReadonlyMap<string, Health>,
  quorumUp?: boolean,
): VirtualService & { quorumLost: boolean } {
  const { dests, liveWeight } = liveDests(name, vs, health);
  const rule = quorumRule(vs);
  const quorumLost = rule !== undefined && !(quorumUp ?? initialQuorum(liveWeight, rule));
  const noneLive = liveWeight === 0 && !dests.some((d) => d.weight > 0);
  const useSorry = (noneLive || quorumLost) && vs.sorryServer !== undefined;
  return { service: serviceOf(vs), dests: useSorry ? sorryDest(vs) : dests, quorumLost };
}

/**
 * The whole desired table. `draining` holds real servers removed from the config that are still
 * finishing connections: they stay at weight 0 until the manager lets them go.
 */
export function desiredTable(
  vss: Record<string, VirtualServerConfig>,
  health: ReadonlyMap<string, Health>,
  draining: ReadonlyMap<string, IpvsDest[]> = new Map(),
  quorumUp: ReadonlyMap<string, boolean> = new Map(),
): VirtualService[] {
  return Object.entries(vss).map(([name, vs]) => {
    const d = desiredService(name, vs, health, quorumUp.get(name));
    const present = new Set(d.dests.map((x) => `${x.address}:${x.port}`));
    const extra = (draining.get(name) ?? [])
      .filter((x) => !present.has(`${x.address}:${x.port}`))
      .map((x) => ({ ...x, weight: 0 }));
    return { service: d.service, dests: [...d.dests, ...extra] };
  });
}
