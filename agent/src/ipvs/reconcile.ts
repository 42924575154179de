// The IPVS reconciler: desired table vs what the kernel holds -> the minimal list of operations.
//
// Pure. It differs from keepalived in two ways users asked for: it diffs against the kernel (not the
// last config), so hand edits (ipvsadm -D/-d/-e/-C) are repaired; and it only touches services it owns
// (the desired ones plus those it created before), leaving everybody else's rules alone.
import { hostPort, type IpvsDest, type IpvsDestKey, type IpvsService, type IpvsServiceKey } from "./codec.ts";

export interface VirtualService {
  service: IpvsService;
  dests: IpvsDest[];
}

export type IpvsOp =
  | { op: "addService"; service: IpvsService }
  | { op: "editService"; service: IpvsService }
  | { op: "delService"; key: IpvsServiceKey }
  | { op: "addDest"; key: IpvsServiceKey; dest: IpvsDest }
  | { op: "editDest"; key: IpvsServiceKey; dest: IpvsDest }
  | { op: "delDest"; key: IpvsServiceKey; dest: IpvsDestKey };

/** Identity of a service, as the kernel keys it: "tcp 10.0.0.1:80", "tcp [2001:db8::1]:80" or "fwm inet 7". */
export function serviceId(key: IpvsServiceKey): string {
  return "fwmark" in key ? `fwm ${key.family} ${key.fwmark}` : `${key.protocol} ${hostPort(key.address, key.port)}`;
}

export function destId(d: IpvsDestKey): string {
  return hostPort(d.address, d.port);
}

function sameService(a: IpvsService, b: IpvsService): boolean {
  const fa = a.flags;
  const fb = b.flags;
  return (
    a.scheduler === b.scheduler &&
    a.timeout === b.timeout &&
    a.netmask === b.netmask &&
    (a.pe ?? "") === (b.pe ?? "") &&
    fa.persistent === fb.persistent &&
    fa.onePacket === fb.onePacket &&
    fa.schedFlag1 === fb.schedFlag1 &&
    fa.schedFlag2 === fb.schedFlag2 &&
    fa.schedFlag3 === fb.schedFlag3
  );
}

function sameDest(a: IpvsDest, b: IpvsDest): boolean {
  const tunnel = (d: IpvsDest) =>
    d.fwd === "tun" && d.tunnel ? `${d.tunnel.type}/${d.tunnel.port}/${d.tunnel.checksum}` : "";
  return (
    a.fwd === b.fwd &&
    a.weight === b.weight &&
    a.upperThreshold === b.upperThreshold &&
    a.lowerThreshold === b.lowerThreshold &&
    tunnel(a) === tunnel(b)
  );
}

function byId<T>(items: T[], id: (t: T) => string): Map<string, T> {
  return new Map(items.map((t) => [id(t), t]));
}

function diffDests(key: IpvsServiceKey, want: IpvsDest[], have: IpvsDest[]): IpvsOp[] {
  const haveById = byId(have, destId);
  const wantById = byId(want, destId);
  const ops: IpvsOp[] = [];
  // Deletions first: a service at its upper threshold should lose the old server before gaining a new one.
  for (const [id, d] of haveById)
    if (!wantById.has(id)) ops.push({ op: "delDest", key, dest: { address: d.address, port: d.port } });
  for (const [id, d] of wantById) {
    const cur = haveById.get(id);
    if (!cur) ops.push({ op: "addDest", key, dest: d });
    else if (!sameDest(d, cur)) ops.push({ op: "editDest", key, dest: d });
  }
  return ops;
}

/**
 * @param desired the table we want (config plus health results)
 * @param kernel  what a dump of the kernel returned
 * @param owned   ids (serviceId) of services we created earlier and may delete; desired ones are owned too
 */
export function reconcile(
  desired: VirtualService[],
  kernel: VirtualService[],
  owned: ReadonlySet<string> = new Set(),
): IpvsOp[] {
  const want = byId(desired, (v) => serviceId(v.service));
  const have = byId(kernel, (v) => serviceId(v.service));
  const ops: IpvsOp[] = [];
  for (const [id, v] of have) if (!want.has(id) && owned.has(id)) ops.push({ op: "delService", key: v.service });
  for (const [id, v] of want) {
    const cur = have.get(id);
    if (!cur) {
      ops.push({ op: "addService", service: v.service });
      ops.push(...diffDests(v.service, v.dests, []));
      continue;
    }
    if (!sameService(v.service, cur.service)) ops.push({ op: "editService", service: v.service });
    ops.push(...diffDests(v.service, v.dests, cur.dests));
  }
  return ops;
}

/** Ids of services the agent owns after applying desired (kept across restarts in a state file). */
export function ownedAfter(desired: VirtualService[]): Set<string> {
  return new Set(desired.map((v) => serviceId(v.service)));
}
