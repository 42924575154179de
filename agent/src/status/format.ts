// `lvs-agent status`: the agent's state as a table, in the spirit of FRR's `show vrrp`, plus the detail
// that explains a state (why FAULT, which track is down). AgentStatus is also the JSON the status socket
// returns, so scripts can use the same data.

import type { VirtualServerStatus } from "../ipvs/runtime.ts";
import { hostPort } from "../ipvs/codec.ts";

export type VrrpStateName = "INIT" | "BACKUP" | "MASTER" | "FAULT";

export interface TrackStatus {
  kind: "interface" | "script" | "process";
  name: string;
  up: boolean;
  weight?: number;
}

export interface InstanceStatus {
  name: string;
  interface: string;
  vrid: number;
  version: 2 | 3;
  state: VrrpStateName;
  /** configured */
  priority: number;
  /** after tracking weights */
  effectivePriority: number;
  /** the current master's address, when known */
  masterIp?: string;
  advertIntervalCs: number;
  /** the interval the master advertises (v3 backups adopt it) */
  masterAdvertIntervalCs: number;
  vips: string[];
  /** ISO time of the last transition */
  since: string;
  lastTransitionReason: string;
  /** a sync group member in BACKUP whose Master_Down_Timer fired: why it wants MASTER (it waits for its group) */
  wantsMaster?: string;
  faults: string[];
  tracks: TrackStatus[];
}

export interface AgentStatus {
  instances: InstanceStatus[];
  /** the IPVS table this agent manages, with health and counters */
  virtualServers?: VirtualServerStatus[];
  configSources: string[];
  pid: number;
  version: string;
}

const HEADERS = ["Instance", "Interface", "VRID", "Ver", "State", "Priority", "Master", "Advert", "VIPs"];

export function formatStatusTable(status: AgentStatus): string {
  const head = `lvs-agent ${status.version} (pid ${status.pid}); config: ${status.configSources.join(", ") || "none"}`;
  const vrrp =
    status.instances.length === 0
      ? ["no VRRP instances configured"]
      : [...table([HEADERS, ...status.instances.map(row)]), "", ...status.instances.flatMap(detailLines)];
  return [head, "", ...vrrp, ...ipvsLines(status.virtualServers ?? [])].join("\n") + "\n";
}

const IPVS_HEADERS = ["  -> real server", "forward", "weight", "health", "active", "inactive", "conns"];

/** The kernel's weight, and the agent's beside it while they differ (a hand edit not yet repaired). */
const weightShown = (d: { weight: number; wantedWeight?: number }) =>
  d.wantedWeight === undefined || d.wantedWeight === d.weight
    ? String(d.weight)
    : `${d.weight} (agent sets ${d.wantedWeight})`;

/** ipvsadm -Ln in spirit, with each real server's health beside its counters. */
function ipvsLines(vss: VirtualServerStatus[]): string[] {
  return vss.flatMap((vs) => [
    "",
    `${vs.service} ${vs.scheduler} (${vs.name})`,
    ...table([
      IPVS_HEADERS,
      ...vs.dests.map((d) => [
        // [2001:db8::1]:80 for IPv6, as ipvsadm writes it
        `  -> ${hostPort(d.address, d.port)}`,
        d.forwarding,
        weightShown(d),
        d.health,
        String(d.activeConns),
        String(d.inactiveConns),
        String(d.conns),
      ]),
    ]),
  ]);
}

function row(i: InstanceStatus): string[] {
  return [
    i.name,
    i.interface,
    String(i.vrid),
    `v${i.version}`,
    i.state,
    `${i.effectivePriority}/${i.priority}`,
    i.masterIp ?? "-",
    advert(i),
    i.vips.join(",") || "-",
  ];
}

/** "1s", "0.5s"; a backup following a master with another interval shows both. */
function advert(i: InstanceStatus): string {
  const own = `${i.advertIntervalCs / 100}s`;
  return i.masterAdvertIntervalCs === i.advertIntervalCs ? own : `${own} (master ${i.masterAdvertIntervalCs / 100}s)`;
}

function detailLines(i: InstanceStatus): string[] {
  const lines = [
    `${i.name}: ${i.state} since ${i.since}${i.lastTransitionReason ? ` (${i.lastTransitionReason})` : ""}`,
  ];
  if (i.wantsMaster) lines.push(`  wants MASTER (${i.wantsMaster}): waits for its sync group`);
  for (const f of i.faults) lines.push(`  fault: ${f}`);
  for (const t of i.tracks) {
    const weight = t.weight ? `, weight ${t.weight > 0 ? "+" : ""}${t.weight}` : ", no weight: down means FAULT";
    lines.push(`  track ${t.kind} ${t.name}: ${t.up ? "up" : "DOWN"}${weight}`);
  }
  return lines;
}

/** Left-aligned columns two spaces apart; the last column is not padded (no trailing blanks). */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join("  "));
}
