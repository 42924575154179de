// IPVS generic netlink messages, pure: typed services and real servers <-> the attribute layout of
// linux/include/uapi/linux/ip_vs.h as net/netfilter/ipvs/ip_vs_ctl.c parses and dumps it.
// The header's numbers are in uapi.ts, addresses (nf_inet_addr) in inet-addr.ts; all re-exported here.
//
// Wire facts that are easy to get wrong (checked against ipvsadm 1.31 captures in fixtures/):
// - attributes are host byte order (little endian here) except service and dest ports, IPv4 netmasks
//   and the tunnel port, which are network order (the sync daemon's port is host order);
// - addresses are a 16-byte union nf_inet_addr whatever the family;
// - IPVS_SVC_ATTR_FLAGS is struct ip_vs_flags {flags, mask}: the kernel keeps the old bits outside mask;
// - the kernel wants every IPVS_SVC_ATTR_{SCHED_NAME,FLAGS,TIMEOUT,NETMASK} for NEW/SET_SERVICE and
//   every IPVS_DEST_ATTR_{FWD_METHOD,WEIGHT,U_THRESH,L_THRESH} for NEW/SET_DEST (else EINVAL);
// - an IPv6 service's "netmask" is a prefix length (host order), an IPv4 one a network-order mask.
import { isIPv6 } from "node:net";
import { be16, nest, nla, parseAttrs, readUint, str, u16, u32, u8 } from "./nla.ts";
import { IpvsCodecError } from "./codec-error.ts";
import {
  type IpvsCmd,
  IPVS_GENL_VERSION,
  IPVS_CMD,
  IPVS_CMD_ATTR,
  IPVS_SVC_ATTR,
  IPVS_DEST_ATTR,
  IPVS_DAEMON_ATTR,
  IPVS_STATS_ATTR,
  IPVS_INFO_ATTR,
  IP_VS_SVC_F,
  IP_VS_CONN_F_FWD_MASK,
  IP_VS_STATE,
} from "./uapi.ts";
import { afName, afNumber, decodeInetAddr, encodeInetAddr, familyOf } from "./inet-addr.ts";
import type {
  IpvsDaemon,
  IpvsDest,
  IpvsDestInfo,
  IpvsDestKey,
  IpvsFamily,
  IpvsFwd,
  IpvsInfo,
  IpvsProtocol,
  IpvsService,
  IpvsServiceFlags,
  IpvsServiceInfo,
  IpvsServiceKey,
  IpvsStats,
  IpvsTimeouts,
  IpvsTunnel,
} from "./types.ts";

export { NlaError, parseAttrs } from "./nla.ts";
export * from "./uapi.ts";
export { IpvsCodecError } from "./codec-error.ts";
export { canonicalAddress, decodeInetAddr, encodeInetAddr } from "./inet-addr.ts";
export type * from "./types.ts";

const IPVS_SCHEDNAME_MAXLEN = 16;
const IP_VS_IFNAME_MAXLEN = 16;

function need(attrs: Map<number, Buffer>, type: number, what: string): Buffer {
  const v = attrs.get(type);
  if (!v) throw new IpvsCodecError(`${what} missing`);
  return v;
}
/** An attribute read at a fixed width (a port, flags, a mask): a shorter one is a malformed reply, not a RangeError. */
function sized(b: Buffer, bytes: number, what: string): Buffer {
  if (b.length < bytes) throw new IpvsCodecError(`${what}: ${b.length} bytes, expected ${bytes}`);
  return b;
}
const needSized = (a: Map<number, Buffer>, type: number, what: string, bytes: number) =>
  sized(need(a, type, what), bytes, what);
const getUint = (a: Map<number, Buffer>, type: number, what: string) => readUint(need(a, type, what), what);
const getStr = (a: Map<number, Buffer>, type: number, what: string) =>
  need(a, type, what).toString("utf8").replace(/\0.*$/s, "");

/** Optional model fields are left out rather than set to undefined, so decoded values deep-equal inputs. */
function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function checkInt(v: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(v) || v < min || v > max)
    throw new IpvsCodecError(`${what} must be an integer in ${min}..${max}, got ${v}`);
  return v;
}
const checkPort = (port: number) => checkInt(port, 0, 0xffff, "port");
const checkU32 = (v: number, what: string) => checkInt(v, 0, 0xffffffff, what);

// ---------------------------------------------------------------- services

const PROTOCOLS: Record<IpvsProtocol, number> = { tcp: 6, udp: 17, sctp: 132 };
const FLAG_BITS: [keyof IpvsServiceFlags, number][] = [
  ["persistent", IP_VS_SVC_F.PERSISTENT],
  ["onePacket", IP_VS_SVC_F.ONEPACKET],
  ["schedFlag1", IP_VS_SVC_F.SCHED1],
  ["schedFlag2", IP_VS_SVC_F.SCHED2],
  ["schedFlag3", IP_VS_SVC_F.SCHED3],
];

export function serviceFamily(key: IpvsServiceKey): IpvsFamily {
  return "fwmark" in key ? key.family : familyOf(key.address);
}

/** "TCP 10.0.0.1:80", "UDP [2001:db8::1]:53", "FWM 7": how ipvsadm names a service. */
export function describeService(key: IpvsServiceKey): string {
  if ("fwmark" in key) return `FWM ${key.fwmark}${key.family === "inet6" ? " IPv6" : ""}`;
  return `${key.protocol.toUpperCase()} ${hostPort(key.address, key.port)}`;
}
export const hostPort = (address: string, port: number) =>
  isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;

function serviceKeyAttrs(key: IpvsServiceKey): Buffer[] {
  const af = u16(IPVS_SVC_ATTR.AF, afNumber(serviceFamily(key)));
  if ("fwmark" in key) return [af, u32(IPVS_SVC_ATTR.FWMARK, checkInt(key.fwmark, 1, 0xffffffff, "fwmark"))];
  return [
    af,
    u16(IPVS_SVC_ATTR.PROTOCOL, PROTOCOLS[key.protocol]),
    nla(IPVS_SVC_ATTR.ADDR, encodeInetAddr(key.address)),
    be16(IPVS_SVC_ATTR.PORT, checkPort(key.port)),
  ];
}

const maskOf = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

function netmaskBytes(prefix: number, family: IpvsFamily): Buffer {
  const b = Buffer.alloc(4);
  if (family === "inet6") b.writeUInt32LE(checkInt(prefix, 1, 128, "IPv6 netmask prefix"));
  else b.writeUInt32BE(maskOf(checkInt(prefix, 0, 32, "netmask prefix")));
  return b;
}

/** The model keeps prefix lengths; a non-contiguous IPv4 mask (possible with ipvsadm -M) has none. */
function netmaskPrefix(b: Buffer, family: IpvsFamily): number {
  if (family === "inet6") return b.readUInt32LE(0);
  const mask = b.readUInt32BE(0);
  let prefix = 0;
  while (prefix < 32 && mask & (0x80000000 >>> prefix)) prefix++;
  if (maskOf(prefix) !== mask) throw new IpvsCodecError(`non-contiguous netmask ${decodeInetAddr(b, "inet")}`);
  return prefix;
}

function flagsBytes(flags: IpvsServiceFlags): Buffer {
  const bits = FLAG_BITS.reduce((acc, [name, bit]) => (flags[name] ? acc | bit : acc), 0);
  // mask ~0 as ipvsadm: the service's flags become exactly these (the kernel adds HASHED itself)
  const b = Buffer.alloc(8);
  b.writeUInt32LE(bits, 0);
  b.writeUInt32LE(0xffffffff, 4);
  return b;
}

function checkScheduler(name: string, what: string): string {
  if (!/^[a-z0-9_]+$/.test(name) || name.length >= IPVS_SCHEDNAME_MAXLEN)
    throw new IpvsCodecError(`bad ${what} name "${name}"`);
  return name;
}

/** IPVS_CMD_ATTR_SERVICE with everything NEW/SET_SERVICE needs, in ipvsadm's order. */
export function serviceAttr(s: IpvsService): Buffer {
  return nest(IPVS_CMD_ATTR.SERVICE, [
    ...serviceKeyAttrs(s),
    str(IPVS_SVC_ATTR.SCHED_NAME, checkScheduler(s.scheduler, "scheduler")),
    ...(s.pe === undefined ? [] : [str(IPVS_SVC_ATTR.PE_NAME, checkScheduler(s.pe, "persistence engine"))]),
    nla(IPVS_SVC_ATTR.FLAGS, flagsBytes(s.flags)),
    u32(IPVS_SVC_ATTR.TIMEOUT, checkU32(s.timeout, "timeout")),
    nla(IPVS_SVC_ATTR.NETMASK, netmaskBytes(s.netmask, serviceFamily(s))),
  ]);
}

/** IPVS_CMD_ATTR_SERVICE naming a service only (delete, dest commands, dest dump). */
export function serviceKeyAttr(key: IpvsServiceKey): Buffer {
  return nest(IPVS_CMD_ATTR.SERVICE, serviceKeyAttrs(key));
}

const STATS_FIELDS: [keyof IpvsStats, number][] = [
  ["conns", IPVS_STATS_ATTR.CONNS],
  ["inPkts", IPVS_STATS_ATTR.INPKTS],
  ["outPkts", IPVS_STATS_ATTR.OUTPKTS],
  ["inBytes", IPVS_STATS_ATTR.INBYTES],
  ["outBytes", IPVS_STATS_ATTR.OUTBYTES],
  ["cps", IPVS_STATS_ATTR.CPS],
  ["inPps", IPVS_STATS_ATTR.INPPS],
  ["outPps", IPVS_STATS_ATTR.OUTPPS],
  ["inBps", IPVS_STATS_ATTR.INBPS],
  ["outBps", IPVS_STATS_ATTR.OUTBPS],
];

/** STATS64 (Linux 4.1+) when present, else the older STATS with 32-bit counters. */
function decodeStats(attrs: Map<number, Buffer>, stats64: number, stats32: number): IpvsStats {
  const nested = parseAttrs(attrs.get(stats64) ?? attrs.get(stats32) ?? Buffer.alloc(0));
  const value = (type: number): bigint => {
    const b = nested.get(type);
    if (!b) return 0n;
    return b.length === 8 ? b.readBigUInt64LE(0) : BigInt(readUint(b, "stats counter"));
  };
  return Object.fromEntries(STATS_FIELDS.map(([name, type]) => [name, value(type)])) as unknown as IpvsStats;
}

function decodeServiceKey(a: Map<number, Buffer>): IpvsServiceKey {
  const family = afName(getUint(a, IPVS_SVC_ATTR.AF, "service address family"));
  const fwmark = a.get(IPVS_SVC_ATTR.FWMARK);
  if (fwmark) return { family, fwmark: readUint(fwmark, "fwmark") };
  const protoNumber = getUint(a, IPVS_SVC_ATTR.PROTOCOL, "service protocol");
  const protocol = (Object.keys(PROTOCOLS) as IpvsProtocol[]).find((p) => PROTOCOLS[p] === protoNumber);
  if (!protocol) throw new IpvsCodecError(`unknown service protocol ${protoNumber}`);
  const address = decodeInetAddr(need(a, IPVS_SVC_ATTR.ADDR, "service address"), family);
  return { protocol, address, port: needSized(a, IPVS_SVC_ATTR.PORT, "service port", 2).readUInt16BE(0) };
}

/** The payload (after the genl header) of one IPVS_CMD_NEW_SERVICE message of a service dump. */
export function decodeService(payload: Buffer): IpvsServiceInfo {
  const a = parseAttrs(need(parseAttrs(payload), IPVS_CMD_ATTR.SERVICE, "IPVS_CMD_ATTR_SERVICE"));
  const key = decodeServiceKey(a);
  // HASHED is the kernel's own bookkeeping (set on every listed service), not configuration
  const bits = needSized(a, IPVS_SVC_ATTR.FLAGS, "service flags", 4).readUInt32LE(0);
  const flags = Object.fromEntries(
    FLAG_BITS.map(([name, bit]) => [name, (bits & bit) !== 0]),
  ) as unknown as IpvsServiceFlags;
  const service: IpvsService = withoutUndefined({
    ...key,
    scheduler: getStr(a, IPVS_SVC_ATTR.SCHED_NAME, "scheduler"),
    flags,
    timeout: getUint(a, IPVS_SVC_ATTR.TIMEOUT, "timeout"),
    netmask: netmaskPrefix(needSized(a, IPVS_SVC_ATTR.NETMASK, "netmask", 4), serviceFamily(key)),
    pe: a.has(IPVS_SVC_ATTR.PE_NAME) ? getStr(a, IPVS_SVC_ATTR.PE_NAME, "pe") : undefined,
  });
  return { service, stats: decodeStats(a, IPVS_SVC_ATTR.STATS64, IPVS_SVC_ATTR.STATS) };
}

// ---------------------------------------------------------------- real servers (destinations)

const FWD: Record<IpvsFwd, number> = { nat: 0, local: 1, tun: 2, dr: 3 }; // IP_VS_CONN_F_{MASQ,LOCALNODE,TUNNEL,DROUTE}
const TUN_TYPES: IpvsTunnel["type"][] = ["ipip", "gue", "gre"]; // IP_VS_CONN_F_TUNNEL_TYPE_*
const TUN_CSUM: IpvsTunnel["checksum"][] = ["nocsum", "csum", "remcsum"]; // IP_VS_TUNNEL_ENCAP_FLAG_* by value
const DEFAULT_TUNNEL: IpvsTunnel = { type: "ipip", port: 0, checksum: "nocsum" };

function destKeyAttrs(d: IpvsDestKey): Buffer[] {
  return [
    u16(IPVS_DEST_ATTR.ADDR_FAMILY, afNumber(familyOf(d.address))),
    nla(IPVS_DEST_ATTR.ADDR, encodeInetAddr(d.address)),
    be16(IPVS_DEST_ATTR.PORT, checkPort(d.port)),
  ];
}

/** IPVS_CMD_ATTR_DEST with everything NEW/SET_DEST needs, in ipvsadm's order. */
export function destAttr(d: IpvsDest): Buffer {
  const tun = d.tunnel ?? DEFAULT_TUNNEL;
  return nest(IPVS_CMD_ATTR.DEST, [
    ...destKeyAttrs(d),
    u32(IPVS_DEST_ATTR.FWD_METHOD, FWD[d.fwd]),
    u32(IPVS_DEST_ATTR.WEIGHT, checkInt(d.weight, 0, 0x7fffffff, "weight")),
    u8(IPVS_DEST_ATTR.TUN_TYPE, TUN_TYPES.indexOf(tun.type)),
    be16(IPVS_DEST_ATTR.TUN_PORT, checkPort(tun.port)),
    u16(IPVS_DEST_ATTR.TUN_FLAGS, TUN_CSUM.indexOf(tun.checksum)),
    u32(IPVS_DEST_ATTR.U_THRESH, checkU32(d.upperThreshold, "upper threshold")),
    u32(IPVS_DEST_ATTR.L_THRESH, checkU32(d.lowerThreshold, "lower threshold")),
  ]);
}

export function destKeyAttr(d: IpvsDestKey): Buffer {
  return nest(IPVS_CMD_ATTR.DEST, destKeyAttrs(d));
}

function decodeTunnel(a: Map<number, Buffer>): IpvsTunnel | undefined {
  const type = TUN_TYPES[a.has(IPVS_DEST_ATTR.TUN_TYPE) ? getUint(a, IPVS_DEST_ATTR.TUN_TYPE, "tunnel type") : 0];
  const checksum = TUN_CSUM[a.has(IPVS_DEST_ATTR.TUN_FLAGS) ? getUint(a, IPVS_DEST_ATTR.TUN_FLAGS, "tunnel flags") : 0];
  if (!type || !checksum) throw new IpvsCodecError("unknown tunnel type or flags");
  const tunPort = a.get(IPVS_DEST_ATTR.TUN_PORT);
  const port = tunPort ? sized(tunPort, 2, "tunnel port").readUInt16BE(0) : 0;
  const isDefault = type === DEFAULT_TUNNEL.type && port === 0 && checksum === DEFAULT_TUNNEL.checksum;
  return isDefault ? undefined : { type, port, checksum };
}

/**
 * The payload of one IPVS_CMD_NEW_DEST message of a dest dump. `serviceFamily` covers kernels older
 * than 3.18 that do not send IPVS_DEST_ATTR_ADDR_FAMILY.
 */
export function decodeDest(payload: Buffer, serviceFamily: IpvsFamily = "inet"): IpvsDestInfo {
  const a = parseAttrs(need(parseAttrs(payload), IPVS_CMD_ATTR.DEST, "IPVS_CMD_ATTR_DEST"));
  const afAttr = a.get(IPVS_DEST_ATTR.ADDR_FAMILY);
  const family = afAttr ? afName(readUint(afAttr, "dest address family")) : serviceFamily;
  const fwdNumber = getUint(a, IPVS_DEST_ATTR.FWD_METHOD, "forwarding method") & IP_VS_CONN_F_FWD_MASK;
  const fwd = (Object.keys(FWD) as IpvsFwd[]).find((f) => FWD[f] === fwdNumber);
  if (!fwd) throw new IpvsCodecError(`unknown forwarding method ${fwdNumber}`);
  const dest: IpvsDest = withoutUndefined({
    address: decodeInetAddr(need(a, IPVS_DEST_ATTR.ADDR, "dest address"), family),
    port: needSized(a, IPVS_DEST_ATTR.PORT, "dest port", 2).readUInt16BE(0),
    fwd,
    weight: getUint(a, IPVS_DEST_ATTR.WEIGHT, "weight"),
    upperThreshold: getUint(a, IPVS_DEST_ATTR.U_THRESH, "upper threshold"),
    lowerThreshold: getUint(a, IPVS_DEST_ATTR.L_THRESH, "lower threshold"),
    tunnel: fwd === "tun" ? decodeTunnel(a) : undefined,
  });
  const conns = (type: number) => (a.has(type) ? getUint(a, type, "connection count") : 0);
  return {
    dest,
    activeConns: conns(IPVS_DEST_ATTR.ACTIVE_CONNS),
    inactConns: conns(IPVS_DEST_ATTR.INACT_CONNS),
    persistConns: conns(IPVS_DEST_ATTR.PERSIST_CONNS),
    stats: decodeStats(a, IPVS_DEST_ATTR.STATS64, IPVS_DEST_ATTR.STATS),
  };
}

// ---------------------------------------------------------------- sync daemon, timeouts, info

const DAEMON_STATES = { master: IP_VS_STATE.MASTER, backup: IP_VS_STATE.BACKUP } as const;

export function daemonAttr(d: IpvsDaemon): Buffer {
  if (d.ifname.length === 0 || d.ifname.length >= IP_VS_IFNAME_MAXLEN)
    throw new IpvsCodecError(`bad interface name "${d.ifname}"`);
  const optional: Buffer[] = [];
  if (d.syncMaxLen !== undefined)
    optional.push(u16(IPVS_DAEMON_ATTR.SYNC_MAXLEN, checkInt(d.syncMaxLen, 0, 0xffff, "sync_maxlen")));
  if (d.mcastGroup !== undefined) {
    const v6 = familyOf(d.mcastGroup) === "inet6";
    const bytes = encodeInetAddr(d.mcastGroup).subarray(0, v6 ? 16 : 4);
    optional.push(nla(v6 ? IPVS_DAEMON_ATTR.MCAST_GROUP6 : IPVS_DAEMON_ATTR.MCAST_GROUP, bytes));
  }
  // host order, unlike every other port here (the kernel's default 8848 arrives as 90 22)
  if (d.mcastPort !== undefined) optional.push(u16(IPVS_DAEMON_ATTR.MCAST_PORT, checkPort(d.mcastPort)));
  if (d.mcastTtl !== undefined)
    optional.push(u8(IPVS_DAEMON_ATTR.MCAST_TTL, checkInt(d.mcastTtl, 1, 255, "mcast_ttl")));
  return nest(IPVS_CMD_ATTR.DAEMON, [
    u32(IPVS_DAEMON_ATTR.STATE, DAEMON_STATES[d.state]),
    str(IPVS_DAEMON_ATTR.MCAST_IFN, d.ifname),
    u32(IPVS_DAEMON_ATTR.SYNC_ID, checkInt(d.syncId, 0, 255, "syncid")),
    ...optional,
  ]);
}

export function decodeDaemon(payload: Buffer): IpvsDaemon {
  const a = parseAttrs(need(parseAttrs(payload), IPVS_CMD_ATTR.DAEMON, "IPVS_CMD_ATTR_DAEMON"));
  const stateNumber = getUint(a, IPVS_DAEMON_ATTR.STATE, "daemon state");
  const state =
    stateNumber === IP_VS_STATE.MASTER ? "master" : stateNumber === IP_VS_STATE.BACKUP ? "backup" : undefined;
  if (!state) throw new IpvsCodecError(`unknown daemon state ${stateNumber}`);
  const group4 = a.get(IPVS_DAEMON_ATTR.MCAST_GROUP);
  const group6 = a.get(IPVS_DAEMON_ATTR.MCAST_GROUP6);
  const mcastGroup = group6 ? decodeInetAddr(group6, "inet6") : group4 ? decodeInetAddr(group4, "inet") : undefined;
  const opt = (type: number, read: (b: Buffer) => number) => (a.has(type) ? read(a.get(type)!) : undefined);
  return withoutUndefined({
    state,
    ifname: getStr(a, IPVS_DAEMON_ATTR.MCAST_IFN, "interface"),
    syncId: getUint(a, IPVS_DAEMON_ATTR.SYNC_ID, "syncid"),
    syncMaxLen: opt(IPVS_DAEMON_ATTR.SYNC_MAXLEN, (b) => readUint(b, "sync_maxlen")),
    mcastGroup,
    mcastPort: opt(IPVS_DAEMON_ATTR.MCAST_PORT, (b) => readUint(b, "mcast_port")),
    mcastTtl: opt(IPVS_DAEMON_ATTR.MCAST_TTL, (b) => readUint(b, "mcast_ttl")),
  });
}

export function timeoutAttrs(t: IpvsTimeouts): Buffer[] {
  return [
    u32(IPVS_CMD_ATTR.TIMEOUT_TCP, checkU32(t.tcp, "tcp timeout")),
    u32(IPVS_CMD_ATTR.TIMEOUT_TCP_FIN, checkU32(t.tcpFin, "tcpfin timeout")),
    u32(IPVS_CMD_ATTR.TIMEOUT_UDP, checkU32(t.udp, "udp timeout")),
  ];
}

/** The reply to IPVS_CMD_GET_CONFIG (sent as IPVS_CMD_SET_CONFIG). */
export function decodeTimeouts(payload: Buffer): IpvsTimeouts {
  const a = parseAttrs(payload);
  return {
    tcp: getUint(a, IPVS_CMD_ATTR.TIMEOUT_TCP, "tcp timeout"),
    tcpFin: getUint(a, IPVS_CMD_ATTR.TIMEOUT_TCP_FIN, "tcpfin timeout"),
    udp: getUint(a, IPVS_CMD_ATTR.TIMEOUT_UDP, "udp timeout"),
  };
}

/** The reply to IPVS_CMD_GET_INFO (sent as IPVS_CMD_SET_INFO). */
export function decodeInfo(payload: Buffer): IpvsInfo {
  const a = parseAttrs(payload);
  const v = getUint(a, IPVS_INFO_ATTR.VERSION, "version");
  return {
    version: `${(v >> 16) & 0xff}.${(v >> 8) & 0xff}.${v & 0xff}`,
    connTableSize: getUint(a, IPVS_INFO_ATTR.CONN_TAB_SIZE, "size"),
  };
}

// ---------------------------------------------------------------- requests

/** One request: the genl command, its attributes, and whether it is a dump (NLM_F_DUMP). */
export interface IpvsRequest {
  cmd: IpvsCmd;
  attrs: Buffer;
  dump: boolean;
}

const req = (cmd: IpvsCmd, ...attrs: Buffer[]): IpvsRequest => ({ cmd, attrs: Buffer.concat(attrs), dump: false });
const dump = (cmd: IpvsCmd, ...attrs: Buffer[]): IpvsRequest => ({ cmd, attrs: Buffer.concat(attrs), dump: true });

export const ipvsRequest = {
  newService: (s: IpvsService) => req(IPVS_CMD.NEW_SERVICE, serviceAttr(s)),
  setService: (s: IpvsService) => req(IPVS_CMD.SET_SERVICE, serviceAttr(s)),
  delService: (k: IpvsServiceKey) => req(IPVS_CMD.DEL_SERVICE, serviceKeyAttr(k)),
  getService: (k: IpvsServiceKey) => req(IPVS_CMD.GET_SERVICE, serviceKeyAttr(k)),
  getServices: () => dump(IPVS_CMD.GET_SERVICE),
  newDest: (k: IpvsServiceKey, d: IpvsDest) => req(IPVS_CMD.NEW_DEST, serviceKeyAttr(k), destAttr(d)),
  setDest: (k: IpvsServiceKey, d: IpvsDest) => req(IPVS_CMD.SET_DEST, serviceKeyAttr(k), destAttr(d)),
  delDest: (k: IpvsServiceKey, d: IpvsDestKey) => req(IPVS_CMD.DEL_DEST, serviceKeyAttr(k), destKeyAttr(d)),
  getDests: (k: IpvsServiceKey) => dump(IPVS_CMD.GET_DEST, serviceKeyAttr(k)),
  newDaemon: (d: IpvsDaemon) => req(IPVS_CMD.NEW_DAEMON, daemonAttr(d)),
  /** the kernel stops a sync daemon by its state alone */
  delDaemon: (state: IpvsDaemon["state"]) =>
    req(IPVS_CMD.DEL_DAEMON, nest(IPVS_CMD_ATTR.DAEMON, [u32(IPVS_DAEMON_ATTR.STATE, DAEMON_STATES[state])])),
  getDaemons: () => dump(IPVS_CMD.GET_DAEMON),
  setConfig: (t: IpvsTimeouts) => req(IPVS_CMD.SET_CONFIG, ...timeoutAttrs(t)),
  getConfig: () => req(IPVS_CMD.GET_CONFIG),
  getInfo: () => req(IPVS_CMD.GET_INFO),
  /** counters of one service, or of all */
  zero: (k?: IpvsServiceKey) => req(IPVS_CMD.ZERO, ...(k ? [serviceKeyAttr(k)] : [])),
  flush: () => req(IPVS_CMD.FLUSH),
};

/** The genl header (struct genlmsghdr: cmd, version, reserved) that precedes the attributes. */
export function genlHeader(cmd: number, version = IPVS_GENL_VERSION): Buffer {
  return Buffer.from([cmd, version, 0, 0]);
}
