// The IPVS model the agent works with: virtual services, real servers and their counters, as the
// kernel holds them (linux/include/uapi/linux/ip_vs.h), in the words ipvsadm uses. codec.ts maps it to
// and from generic netlink; codec.ts re-exports these types.

export type IpvsFamily = "inet" | "inet6";
export type IpvsProtocol = "tcp" | "udp" | "sctp";
export type IpvsServiceKey =
  { protocol: IpvsProtocol; address: string; port: number } | { family: IpvsFamily; fwmark: number };

export interface IpvsServiceFlags {
  /** IP_VS_SVC_F_PERSISTENT (ipvsadm -p): clients stick to a real server for `timeout` seconds */
  persistent: boolean;
  /** IP_VS_SVC_F_ONEPACKET (ipvsadm -o, UDP): schedule every datagram */
  onePacket: boolean;
  /** IP_VS_SVC_F_SCHED1: sh-fallback / mh-fallback */
  schedFlag1: boolean;
  /** IP_VS_SVC_F_SCHED2: sh-port / mh-port */
  schedFlag2: boolean;
  /** IP_VS_SVC_F_SCHED3 */
  schedFlag3: boolean;
}

export type IpvsService = IpvsServiceKey & {
  /** rr, wrr, lc, wlc, sh, dh, mh, ... (the ip_vs_<name> module) */
  scheduler: string;
  flags: IpvsServiceFlags;
  /** persistence timeout in seconds (the kernel keeps it even without the persistent flag) */
  timeout: number;
  /** persistence granularity as a prefix length (ipvsadm -M); 32 / 128 = per client address */
  netmask: number;
  /** persistence engine, e.g. "sip" */
  pe?: string;
};

export interface IpvsStats {
  conns: bigint;
  inPkts: bigint;
  outPkts: bigint;
  inBytes: bigint;
  outBytes: bigint;
  cps: bigint;
  inPps: bigint;
  outPps: bigint;
  inBps: bigint;
  outBps: bigint;
}

export type IpvsFwd = "nat" | "local" | "tun" | "dr";
export interface IpvsTunnel {
  type: "ipip" | "gue" | "gre";
  /** GUE destination port */
  port: number;
  checksum: "nocsum" | "csum" | "remcsum";
}
export interface IpvsDestKey {
  address: string;
  port: number;
}
export interface IpvsDest extends IpvsDestKey {
  fwd: IpvsFwd;
  weight: number;
  /** stop scheduling at this many connections; 0 = no limit */
  upperThreshold: number;
  /** resume scheduling below this many connections; 0 = not set */
  lowerThreshold: number;
  /** tunnel encapsulation for fwd "tun"; absent = the kernel default (ipip, no checksum) */
  tunnel?: IpvsTunnel;
}

export interface IpvsServiceInfo {
  service: IpvsService;
  stats: IpvsStats;
}
export interface IpvsDestInfo {
  dest: IpvsDest;
  activeConns: number;
  inactConns: number;
  persistConns: number;
  stats: IpvsStats;
}
export interface IpvsTimeouts {
  /** seconds; 0 in a request leaves the value unchanged */
  tcp: number;
  tcpFin: number;
  udp: number;
}
export interface IpvsInfo {
  /** "1.2.1" from IP_VS_VERSION_CODE */
  version: string;
  connTableSize: number;
}
export interface IpvsDaemon {
  state: "master" | "backup";
  /** multicast interface */
  ifname: string;
  syncId: number;
  /** the kernel's defaults when a request leaves them out */
  syncMaxLen?: number;
  mcastGroup?: string;
  mcastPort?: number;
  mcastTtl?: number;
}
