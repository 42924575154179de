// What the lab's hosts hold now, read as an operator would (thin I/O shell): each director's agent
// over SSH (`lvs-agent status --json`), each real server's ARP sysctls and loopback addresses, and the
// client's requests through the VIP.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ssh } from "./access.ts";
import { isRecordedProcess, type LabRecord } from "./record.ts";
import type { ProbeAnswer } from "./timeline.ts";
import { byRole, type LabHost, type Topology } from "./topology.ts";

export const AGENT = "/opt/lvs-agent/current/bin/lvs-agent";
const PROBE = fileURLToPath(new URL("./probe-main.ts", import.meta.url));

export interface DirectorView {
  name: string;
  address: string;
  /** MASTER, BACKUP, FAULT, ... or "unreachable" / "no agent" */
  state: string;
  vips: string[];
  /** real servers in the IPVS table: "10.200.0.21:80 w1 up" */
  realServers: string[];
}

export interface RealServerView {
  name: string;
  address: string;
  arpIgnore?: string;
  arpAnnounce?: string;
  loopback: string[];
  reachable: boolean;
}

interface AgentStatusJson {
  instances: { name: string; state: string; vips: string[] }[];
  virtualServers?: { name: string; dests: { address: string; port: number; weight: number; health: string }[] }[];
}

export function directorView(t: Topology, dir: string, h: LabHost): DirectorView {
  const r = ssh(t, dir, h, `${AGENT} status --json`, 20);
  const base = { name: h.name, address: h.address, vips: [], realServers: [] };
  if (r.code === 255) return { ...base, state: "unreachable" };
  if (r.code !== 0) return { ...base, state: "no agent" };
  const s = JSON.parse(r.stdout) as AgentStatusJson;
  const inst = s.instances[0];
  return {
    ...base,
    state: inst?.state ?? "no VIP",
    vips: inst?.vips ?? [],
    realServers: (s.virtualServers ?? []).flatMap((v) =>
      v.dests.map((d) => `${d.address}:${d.port} w${d.weight} ${d.health}`),
    ),
  };
}

export function realServerView(t: Topology, dir: string, h: LabHost): RealServerView {
  const r = ssh(
    t,
    dir,
    h,
    "cat /proc/sys/net/ipv4/conf/all/arp_ignore /proc/sys/net/ipv4/conf/all/arp_announce; ip -4 -o addr show dev lo",
    20,
  );
  if (r.code !== 0) return { name: h.name, address: h.address, loopback: [], reachable: false };
  const [ignore, announce, ...lo] = r.stdout.trim().split("\n");
  const loopback = lo.map((l) => /inet (\S+)/.exec(l)?.[1]).filter((a): a is string => !!a && !a.startsWith("127."));
  return { name: h.name, address: h.address, arpIgnore: ignore, arpAnnounce: announce, loopback, reachable: true };
}

export interface LabView {
  name: string;
  vip: string;
  phase: string;
  processes: { what: string; pid: number; alive: boolean }[];
  directors: DirectorView[];
  realServers: RealServerView[];
}

export function labView(t: Topology, dir: string, rec: LabRecord): LabView {
  return {
    name: t.options.name,
    vip: t.vip,
    phase: rec.phase,
    processes: rec.processes.map((p) => ({ what: p.what, pid: p.pid, alive: isRecordedProcess(p) })),
    directors: byRole(t, "director").map((h) => directorView(t, dir, h)),
    realServers: byRole(t, "realServer").map((h) => realServerView(t, dir, h)),
  };
}

export function formatView(v: LabView): string {
  const rows: string[][] = [["HOST", "ADDRESS", "STATE", "DETAIL"]];
  for (const d of v.directors)
    rows.push([d.name, d.address, d.state, [d.vips.join(","), d.realServers.join("; ")].filter(Boolean).join("  ")]);
  for (const r of v.realServers) {
    const detail = r.reachable
      ? `arp_ignore=${r.arpIgnore} arp_announce=${r.arpAnnounce} lo: ${r.loopback.join(",") || "-"}`
      : "";
    rows.push([r.name, r.address, r.reachable ? "real server" : "unreachable", detail]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
  const dead = v.processes.filter((p) => !p.alive).map((p) => `${p.what} (pid ${p.pid})`);
  return `lab ${v.name}: VIP ${v.vip}, ${v.phase}\n${table}${dead.length ? `\nnot running: ${dead.join(", ")}` : ""}`;
}

export interface Probe {
  /** the wall-clock time (epoch ms) of the probe's t = 0, once it runs */
  started: Promise<number>;
  answers: Promise<ProbeAnswer[]>;
}

/** Requests from the client namespace through the VIP (probe-main.ts, its own process), in time order. */
export function probe(t: Topology, count: number, intervalMs: number, timeoutMs = 500): Probe {
  const client = byRole(t, "client")[0]!;
  const argv = [
    "netns",
    "exec",
    client.ns,
    process.execPath,
    "--import",
    "tsx",
    PROBE,
    t.vip,
    String(count),
    String(intervalMs),
    String(timeoutMs),
  ];
  const child = spawn("ip", argv, { cwd: join(PROBE, "../../../.."), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  let markStarted: (ms: number) => void = () => undefined;
  const started = new Promise<number>((resolve) => (markStarted = resolve));
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
    const first = /^\{"start":(\d+)\}\n/.exec(out);
    if (first) markStarted(Number(first[1]));
  });
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const answers = new Promise<ProbeAnswer[]>((resolve, reject) => {
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`the client's probe failed (${code}): ${err}`));
      const lines = out.trim().split("\n").slice(1).filter(Boolean);
      resolve(lines.map((l) => JSON.parse(l) as ProbeAnswer));
    });
  });
  answers.catch(() => markStarted(Date.now()));
  return { started, answers };
}
