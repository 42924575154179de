// What the benchmarks share: the two implementations under test, the lab topology, the VRRP settings
// compared, and small statistics. Everything runs inside lab namespaces (test/helpers/netns.ts).
import { readFileSync } from "node:fs";
import type { Peer, VrrpInstanceInput } from "../test/helpers/agent.ts";

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
