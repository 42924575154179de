// The health gates a site passes after its deployment (pure): exactly one master per VIP, its real
// servers healthy (or no more down than the plan allows), no drift, and an answer through each VIP.
// Each gate says what it saw, so a failed rollout names the gate, the site and the reason.
import type { ClusterView } from "../cluster/status-view.ts";

export type GateName = "masters" | "health" | "drift" | "probe";

export interface GateResult {
  gate: GateName;
  ok: boolean;
  /** what was seen: "web: d1" or "web: no master" */
  detail: string;
}

export function mastersGate(view: ClusterView): GateResult {
  const bad = view.vips.filter((v) => v.verdict !== "ok");
  const unreachable = view.directors.filter((d) => d.error).map((d) => `${d.name} ${d.error}`);
  const detail = view.vips
    .map(
      (v) =>
        `${v.name}: ${v.verdict === "ok" ? v.masters[0] : `${v.verdict}${v.masters.length ? ` (${v.masters.join(", ")})` : ""}`}`,
    )
    .concat(unreachable)
    .join("; ");
  return { gate: "masters", ok: bad.length === 0 && unreachable.length === 0, detail: detail || "no VIP" };
}

export function healthGate(view: ClusterView, allowed: number): GateResult {
  const rows = view.virtualServers.flatMap((vs) => vs.realServers.map((r) => ({ vs: vs.name, ...r })));
  const missing = view.virtualServers.filter((vs) => !vs.from).map((vs) => `${vs.name}: no director reports it`);
  const down = rows.filter((r) => r.health !== "up").map((r) => `${r.vs} ${r.server} ${r.health}`);
  const ok = missing.length === 0 && down.length <= allowed;
  const detail = [...missing, ...down].join("; ") || `${rows.length} real server(s) up`;
  return { gate: "health", ok, detail: down.length && ok ? `${detail} (${allowed} allowed)` : detail };
}

export function driftGate(changed: number, summary: string): GateResult {
  return { gate: "drift", ok: changed === 0, detail: changed === 0 ? "no changes" : summary };
}

export interface ProbeAnswer {
  target: string;
  ok: boolean;
  detail: string;
}

export function probeGate(answers: ProbeAnswer[]): GateResult {
  const failed = answers.filter((a) => !a.ok);
  const detail = answers.map((a) => `${a.target} ${a.detail}`).join("; ") || "nothing to probe";
  return { gate: "probe", ok: failed.length === 0, detail };
}
