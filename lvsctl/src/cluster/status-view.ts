// `lvsctl status`: what each director's agent reported, as one view of the cluster (pure): each VIP and
// its master (one, none, or too many), each director's VRRP state per instance, and each virtual server's
// real servers with health, weight and live connections, read from the VIP's master (a backend of the
// spec missing from its table is shown "absent": a failed check took it out). A director that did not
// answer is shown as such; the rest still report.
import type { AgentStatus } from "../../../agent/src/status/format.ts";
import type { ClusterSpec } from "../../../provider/src/cluster/spec.ts";

/** One director as observed: its agent's status, or why there is none. */
export interface DirectorReading {
  name: string;
  host: string;
  status: AgentStatus | { error: string };
}

export interface VipView {
  name: string;
  addresses: string[];
  /** directors that are MASTER for it */
  masters: string[];
  verdict: "ok" | "no master" | "several masters";
}

export interface DirectorView {
  name: string;
  host: string;
  /** "unreachable: ..." when its agent did not answer */
  error?: string;
  /** instance name -> VRRP state */
  states: Record<string, string>;
}

export interface RealServerRow {
  server: string;
  health: string;
  weight: number;
  /** what the agent sets, when the kernel holds another weight (a hand edit) */
  wantedWeight?: number;
  activeConns: number;
  inactiveConns: number;
}

export interface VirtualServerView {
  name: string;
  service?: string;
  /** the director whose table is shown (the VIP's master, else any that reports it) */
  from?: string;
  realServers: RealServerRow[];
}

export interface ClusterView {
  vips: VipView[];
  directors: DirectorView[];
  virtualServers: VirtualServerView[];
}

const statusOf = (r: DirectorReading): AgentStatus | undefined => ("error" in r.status ? undefined : r.status);

function vipView(spec: ClusterSpec["vips"][number], readings: DirectorReading[]): VipView {
  const masters = readings
    .filter((r) => statusOf(r)?.instances.some((i) => i.name === spec.name && i.state === "MASTER"))
    .map((r) => r.name);
  const verdict = masters.length === 1 ? "ok" : masters.length === 0 ? "no master" : "several masters";
  return { name: spec.name, addresses: spec.addresses, masters, verdict };
}

/** "10.0.0.21:80" for each backend the spec gives the virtual server. */
function expectedBackends(spec: ClusterSpec, vs: ClusterSpec["virtualServers"][number]): string[] {
  return vs.backends.flatMap((b) => {
    const host = spec.realServers.find((r) => r.name === b.server);
    const port = b.port ?? vs.port;
    return host ? [port === undefined ? host.address : `${host.address}:${port}`] : [];
  });
}

/** A backend the spec gives but the director's table lacks: its check failed and took it out, or it was never added. */
const absent = (server: string): RealServerRow => ({
  server,
  health: "absent",
  weight: 0,
  activeConns: 0,
  inactiveConns: 0,
});

function virtualServerView(
  spec: ClusterSpec,
  vs: ClusterSpec["virtualServers"][number],
  vips: VipView[],
  readings: DirectorReading[],
): VirtualServerView {
  const master = vips.find((v) => v.name === vs.vip)?.masters[0];
  const order = [...readings].sort((a, b) => Number(b.name === master) - Number(a.name === master));
  for (const r of order) {
    const table = statusOf(r)?.virtualServers?.find((v) => v.name === vs.name);
    if (!table) continue;
    const realServers = table.dests.map((d) => ({
      server: `${d.address}:${d.port}`,
      health: d.health,
      weight: d.weight,
      ...(d.wantedWeight !== undefined && d.wantedWeight !== d.weight ? { wantedWeight: d.wantedWeight } : {}),
      activeConns: d.activeConns,
      inactiveConns: d.inactiveConns,
    }));
    const shown = new Set(realServers.map((x) => x.server));
    const missing = expectedBackends(spec, vs).filter(
      (b) => !shown.has(b) && ![...shown].some((x) => x.startsWith(`${b}:`)),
    );
    return {
      name: vs.name,
      service: table.service,
      from: r.name,
      realServers: [...realServers, ...missing.map(absent)],
    };
  }
  return { name: vs.name, realServers: [] };
}

export function clusterView(spec: ClusterSpec, readings: DirectorReading[]): ClusterView {
  const vips = spec.vips.map((v) => vipView(v, readings));
  const directors = readings.map((r): DirectorView => {
    const s = statusOf(r);
    if (!s) return { name: r.name, host: r.host, error: (r.status as { error: string }).error, states: {} };
    return { name: r.name, host: r.host, states: Object.fromEntries(s.instances.map((i) => [i.name, i.state])) };
  });
  return {
    vips,
    directors,
    virtualServers: spec.virtualServers.map((vs) => virtualServerView(spec, vs, vips, readings)),
  };
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd(),
  );
}

/** The view for people: VIPs, directors, then each virtual server's real servers. */
export function formatClusterView(v: ClusterView): string {
  const vips = table([
    ["VIP", "ADDRESSES", "MASTER", ""],
    ...v.vips.map((x) => [
      x.name,
      x.addresses.join(","),
      x.masters.join(",") || "-",
      x.verdict === "ok" ? "" : x.verdict.toUpperCase(),
    ]),
  ]);
  const names = [...new Set(v.directors.flatMap((d) => Object.keys(d.states)))];
  const directors = table([
    ["DIRECTOR", "HOST", ...names.map((n) => n.toUpperCase())],
    ...v.directors.map((d) =>
      d.error ? [d.name, d.host, d.error] : [d.name, d.host, ...names.map((n) => d.states[n] ?? "-")],
    ),
  ]);
  const services = v.virtualServers.flatMap((s) => [
    "",
    `${s.name}${s.service ? ` ${s.service}` : ""}${s.from ? ` (from ${s.from})` : ": no director reports it"}`,
    ...(s.realServers.length
      ? table([
          ["  REAL SERVER", "HEALTH", "WEIGHT", "ACTIVE", "INACTIVE"],
          ...s.realServers.map((r) => [
            `  ${r.server}`,
            r.health,
            r.wantedWeight === undefined ? String(r.weight) : `${r.weight} (agent sets ${r.wantedWeight})`,
            String(r.activeConns),
            String(r.inactiveConns),
          ]),
        ])
      : []),
  ]);
  return [...vips, "", ...directors, ...services].join("\n");
}
