// What the benchmarks share: the two implementations under test, the lab topology, the VRRP settings
// compared, and small statistics. Everything runs inside lab namespaces (test/helpers/netns.ts).
import { readFileSync } from "node:fs";
import { startPair, type Peer, type VrrpInstanceInput } from "../test/helpers/agent.ts";
import { Lab, waitFor, type Host } from "../test/helpers/netns.ts";
import { nowMs } from "../test/helpers/procs.ts";
import { startEcho, startProber, type Prober } from "../test/helpers/probe.ts";

export type Impl = "ours" | "keepalived";
export const IMPLS: readonly Impl[] = ["ours", "keepalived"];

export function kindOf(impl: Impl): Peer["kind"] {
  return impl === "ours" ? "agent" : "keepalived";
}

/** A VRRP setting compared: v2 at 1 s, v3 at 0.1 s. */
export interface Setting {
  version: 2 | 3;
  /** seconds */
  advert: number;
}

export const SETTINGS: readonly Setting[] = [
  { version: 2, advert: 1 },
  { version: 3, advert: 0.1 },
];

export const NET = "10.70.0";
export const VIP = `${NET}.100`;
export const INSTANCE = "VI_1";
export const MASTER_PRIO = 200;
export const BACKUP_PRIO = 100;

export const DIRECTORS = [
  { name: "d1", addr: `${NET}.11/24` },
  { name: "d2", addr: `${NET}.12/24` },
];
export const CLIENT = { name: "c1", addr: `${NET}.50/24` };

export function instance(s: Setting, priority: number): VrrpInstanceInput {
  return {
    interface: "eth0",
    vrid: 70,
    priority,
    version: s.version,
    advertInterval: s.advert,
    virtualAddresses: [{ address: `${VIP}/24` }],
  };
}

/** Enough for a start-up election at this setting (about 3.2 adverts) plus process start-up. */
export function electionMs(s: Setting): number {
  return 4 * s.advert * 1000 + 8000;
}

/** Runs alternate which implementation goes first, so that drift in machine load hits both alike. */
export function implOrder(run: number): readonly Impl[] {
  return run % 2 === 0 ? IMPLS : [...IMPLS].reverse();
}

/** A fresh lab: directors d1 and d2 and the client on one segment. */
export interface Topology {
  lab: Lab;
  d1: Host;
  d2: Host;
  client: Host;
}

export function createTopology(): Topology {
  const lab = Lab.create([...DIRECTORS, CLIENT]);
  return { lab, d1: lab.host("d1"), d2: lab.host("d2"), client: lab.host(CLIENT.name) };
}

export interface ClusterOptions {
  masterPrio?: number;
  backupPrio?: number;
  /** the client's probe interval (ms; the prober's default otherwise) */
  probeEveryMs?: number;
  /** what node runs for our agent (test/helpers/agent.ts AGENT_TSX otherwise) */
  agentEntry?: string[];
}

export interface Cluster {
  master: Peer;
  backup: Peer;
  prober: Prober;
}

/**
 * A UDP echo responder in each director, d1 master and d2 backup of impl, and the client probing the
 * VIP. Resolves once d1 answers the client and the client's ARP entry for the VIP holds d1's MAC.
 */
export async function startCluster(t: Topology, impl: Impl, s: Setting, o: ClusterOptions = {}): Promise<Cluster> {
  await Promise.all([startEcho(t.d1), startEcho(t.d2)]);
  const kind = kindOf(impl);
  const m = { kind, host: t.d1, inst: instance(s, o.masterPrio ?? MASTER_PRIO) };
  const b = { kind, host: t.d2, inst: instance(s, o.backupPrio ?? BACKUP_PRIO) };
  const { master, backup } = await startPair(INSTANCE, m, b, electionMs(s), o.agentEntry);
  const prober = await startProber(t.client, VIP, o.probeEveryMs);
  await prober.firstReplyFrom("d1", nowMs(), 5000);
  await waitFor(() => t.client.neighbourMac(VIP) === t.d1.mac, 5000, "client ARP entry for the VIP -> d1");
  return { master, backup, prober };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Progress and per-run details go to stderr; stdout carries only the result lines. */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** USER_HZ: 100 on every Linux architecture node runs on. */
export const TICKS_PER_S = 100;

/** utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** Clock ticks the whole machine spent busy (every CPU, all but idle and iowait; the first line of /proc/stat). */
export function machineBusyTicks(): number {
  const [, ...fields] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/);
  const n = fields.map(Number);
  return n.reduce((a, b) => a + b, 0) - n[3]! - n[4]!;
}
