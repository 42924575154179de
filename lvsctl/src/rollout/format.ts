// A rollout for people (pure): one line per wave, deployment and gate as they happen, and a closing
// summary naming where it stopped and which sites were not started.
import type { RolloutEvent, RolloutReport } from "./rollout.ts";

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The line for an event; engine progress (log) lines are indented under their site. */
export function eventLine(e: RolloutEvent): string {
  switch (e.kind) {
    case "wave":
      return `== wave ${e.wave}${e.wave === 0 ? " (canary)" : ""}: ${e.sites.join(", ")}`;
    case "step":
      return `${e.site}: ${e.step === "deploy" ? "deployed" : "rolled back"} ${e.ok ? "" : "FAILED "}(${secs(e.ms)}): ${e.detail.split("\n")[0]}`;
    case "gate":
      return `${e.site}: ${e.rollback ? "after rollback, " : ""}gate ${e.gate.padEnd(7)} ${e.ok ? "ok    " : "FAILED"} ${e.detail} (${secs(e.ms)})`;
    case "log":
      return `  ${e.site}: ${e.line.trimStart()}`;
  }
}

export function summary(r: RolloutReport): string {
  const deployed = r.sites.filter((s) => s.outcome === "deployed").map((s) => s.name);
  if (r.ok) return `rollout done: ${deployed.length} site(s) deployed and passed every gate (${secs(r.ms)})`;
  const s = r.stopped!;
  const failed = r.sites.find((x) => x.name === s.site)!;
  const notStarted = r.sites.filter((x) => x.outcome === "not started").map((x) => x.name);
  return [
    `rollout STOPPED at ${s.site}: ${s.at === "deploy" ? "its deployment failed" : `gate ${s.at} failed`}: ${s.detail}`,
    `  ${s.site}: ${failed.outcome}${failed.rollback?.error ? ` (${failed.rollback.error.split("\n")[0]})` : ""}`,
    `  deployed: ${deployed.join(", ") || "none"}; not started: ${notStarted.join(", ") || "none"} (${secs(r.ms)})`,
  ].join("\n");
}
