// `lvsctl doctor`: what the collectors observed on the hosts and from this machine, and what the
// examinations conclude (pure: types only). Collectors (collect.ts) fill Observations; the examinations
// (examinations.ts, firewall.ts) turn them into findings without any I/O.
import type { AgentStatus } from "../../../agent/src/status/format.ts";
import type { AdvertsReport } from "../../../agent/src/vrrp/adverts.ts";

/** One section of a host script's output: its stdout, stderr and exit code (127: the command is not there). */
export interface Captured {
  out: string;
  err: string;
  rc: number;
}

/** One IPv4 address as `ip -o addr` lists it. */
export interface IfAddress {
  device: string;
  address: string;
  prefix: number;
}

/** One real server's health check run once from a director (`lvs-agent probe --json`). */
export interface HealthProbe {
  /** "http/10.0.0.21:80" */
  check: string;
  type: string;
  address: string;
  port: number;
  ok: boolean;
  /** "connected", "ECONNREFUSED", "no connection within 1000 ms" */
  detail: string;
}

export interface DirectorObservation {
  name: string;
  /** how it is reached (its connection's host) */
  host: string;
  /** its own address on the VRRP interface, as the file says */
  address: string;
  /** why it could not be examined at all (SSH) */
  unreachable?: string;
  addresses?: IfAddress[];
  /** /proc/sys/net/ipv4/ip_forward */
  ipForward?: string;
  firewall?: { nft?: Captured; iptables?: Captured; iptablesLegacy?: Captured };
  agent?: AgentStatus | { error: string };
  /** VIP name -> its fragment on this director */
  fragments?: Record<string, { path: string; text?: string; error?: string }>;
  /** what `lvs-agent adverts` heard on the director's VRRP interfaces */
  adverts?: AdvertsReport | { error: string };
  probes?: HealthProbe[] | { error: string };
}

export interface RealServerObservation {
  name: string;
  host: string;
  address: string;
  unreachable?: string;
  /** sysctl key (as RealServer names it) -> value, "missing" when the file does not exist */
  sysctls?: Record<string, string>;
  addresses?: IfAddress[];
}

/** Requests through one virtual server's VIP, from where lvsctl runs. */
export interface ServiceProbe {
  virtualServer: string;
  /** "10.0.0.100:80" */
  target: string;
  attempts: Array<{ ok: boolean; detail: string }>;
}

export interface Observations {
  directors: DirectorObservation[];
  realServers: RealServerObservation[];
  services: ServiceProbe[];
}

export const EXAMINATIONS = [
  "hosts",
  "vip-placement",
  "arp-suppression",
  "loopback-vip",
  "vrrp-adverts",
  "vrrp-agreement",
  "foreign-vrid",
  "firewall-vrrp",
  "ip-forward",
  "real-server-direct",
  "service-via-vip",
] as const;
export type ExaminationId = (typeof EXAMINATIONS)[number];

export interface Finding {
  examination: ExaminationId;
  severity: "fail" | "warn";
  /** the host's name in the file (d1, rs2) */
  host?: string;
  /** its address */
  address?: string;
  interface?: string;
  /** a file on the host, or the cluster file with its path of the field */
  file?: string;
  /** what is wrong */
  what: string;
  /** the exact command (on which host) or the cluster-file change that puts it right */
  fix: string;
}

export interface ExaminationResult {
  id: ExaminationId;
  verdict: "ok" | "fail" | "warn" | "n/a";
  /** one line for people */
  summary: string;
  findings: Finding[];
}

export interface DoctorReport {
  file: string;
  ok: boolean;
  examinations: ExaminationResult[];
  ms: number;
}
