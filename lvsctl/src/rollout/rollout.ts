// rollout(plan): one change through many sites on the Pulumi engine (thin I/O shell over the cluster
// stacks). The canary first, then each wave; each site is deployed (`pulumi up` of its cluster file),
// then must pass its gates, read from its agents (gates.ts); the first site that fails stops the rollout,
// and, if the plan asks, is rolled back to the spec its stack held before (the stack's kept spec). Sites
// are deployed one at a time: the engine runs one inline program per process. Every step is an event.
import { dirname, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { ClusterSpec } from "../../../provider/src/cluster/spec.ts";
import {
  openCluster,
  runOnStack,
  specWithFileSsh,
  summaryLine,
  type OpenCluster,
  type OpReport,
} from "../cluster/commands.ts";
import { readDirectors } from "../cluster/observe.ts";
import { SPEC_OUTPUT } from "../cluster/stack.ts";
import { clusterView } from "../cluster/status-view.ts";
import { driftGate, healthGate, mastersGate, probeGate, type GateName, type GateResult } from "./gates.ts";
import { parseRolloutPlan, type Gates, type RolloutPlan, type RolloutPlanInput, type RolloutSite } from "./plan.ts";
import { pathText } from "../cluster/file-spec.ts";
import { probeServices } from "./probe.ts";

export type RolloutEvent =
  | { kind: "wave"; wave: number; sites: string[] }
  | { kind: "step"; site: string; step: "deploy" | "rollback"; ok: boolean; detail: string; ms: number }
  | { kind: "gate"; site: string; gate: GateName; ok: boolean; detail: string; ms: number; rollback: boolean }
  | { kind: "log"; site: string; line: string };

export type TimedGate = GateResult & { ms: number };

export type SiteOutcome = "deployed" | "failed" | "rolled back" | "rollback failed" | "not started";

export interface SiteReport {
  name: string;
  wave: number;
  outcome: SiteOutcome;
  deploy?: { ms: number; changes: Record<string, number> };
  gates: TimedGate[];
  rollback?: { ms: number; gates: TimedGate[]; error?: string };
  error?: string;
}

export interface RolloutReport {
  ok: boolean;
  /** where it stopped: the site, the gate (or "deploy") and what was seen */
  stopped?: { site: string; at: GateName | "deploy"; detail: string };
  sites: SiteReport[];
  ms: number;
}

type Emit = (e: RolloutEvent) => void;

/** Masters, health and probe are read until they pass or the wait ends; then drift, once. */
async function runGates(c: OpenCluster, site: string, spec: ClusterSpec, gates: Gates, emit: Emit, rollback: boolean) {
  const t0 = Date.now();
  const deadline = t0 + gates.waitSeconds * 1000;
  const passedAt = new Map<GateName, number>();
  let last: GateResult[] = [];
  for (;;) {
    const view = clusterView(spec, await readDirectors(spec));
    last = [mastersGate(view), healthGate(view, gates.unhealthyAllowed)];
    if (gates.probe) last.push(probeGate(await probeServices(spec)));
    for (const g of last) if (g.ok && !passedAt.has(g.gate)) passedAt.set(g.gate, Date.now() - t0);
    if (last.every((g) => g.ok) || Date.now() >= deadline) break;
    await sleep(1000);
  }
  const timed: TimedGate[] = last.map((g) => ({ ...g, ms: passedAt.get(g.gate) ?? Date.now() - t0 }));
  if (gates.drift && timed.every((g) => g.ok)) {
    const g0 = Date.now();
    const say = (line: string) => emit({ kind: "log", site, line });
    const r = await runOnStack(c, "preview", say, () => undefined);
    timed.push({ ...driftGate(r.changed, summaryLine(r)), ms: Date.now() - g0 });
  }
  for (const g of timed) emit({ kind: "gate", site, ...g, rollback });
  return timed;
}

async function deploy(c: OpenCluster, site: string, emit: Emit, step: "deploy" | "rollback"): Promise<OpReport> {
  const say = (line: string) => emit({ kind: "log", site, line });
  const t0 = Date.now();
  try {
    const r = await runOnStack(c, "up", say, () => undefined);
    emit({ kind: "step", site, step, ok: true, detail: summaryLine(r), ms: r.ms });
    return r;
  } catch (err) {
    emit({ kind: "step", site, step, ok: false, detail: (err as Error).message, ms: Date.now() - t0 });
    throw err;
  }
}

/** The site's spec before this rollout, deployed again, then its gates again. */
async function rollBack(site: RolloutSite, opts: SiteOptions, kept: unknown, c: OpenCluster, emit: Emit) {
  const t0 = Date.now();
  if (kept === undefined) return { ms: 0, gates: [], error: "the stack had no earlier deployment to go back to" };
  try {
    const spec = specWithFileSsh(kept, c.file, opts.file);
    const back = await openCluster(opts, (line) => emit({ kind: "log", site: site.name, line }), spec);
    await deploy(back, site.name, emit, "rollback");
    const gates = await runGates(back, site.name, spec, opts.gates, emit, true);
    return { ms: Date.now() - t0, gates };
  } catch (err) {
    return { ms: Date.now() - t0, gates: [], error: (err as Error).message };
  }
}

interface SiteOptions {
  file: string;
  stack: string;
  backend?: string;
  gates: Gates;
}

async function runSite(site: RolloutSite, wave: number, plan: RolloutPlan, baseDir: string, emit: Emit) {
  const opts: SiteOptions = {
    file: resolve(baseDir, site.file),
    stack: site.stack ?? site.name,
    backend: site.backend,
    gates: plan.gates,
  };
  const report: SiteReport = { name: site.name, wave, outcome: "failed", gates: [] };
  const c = await openCluster(opts, (line) => emit({ kind: "log", site: site.name, line }));
  const kept = (await c.stack.outputs())[SPEC_OUTPUT]?.value;
  let stopped: RolloutReport["stopped"];
  try {
    const r = await deploy(c, site.name, emit, "deploy");
    report.deploy = { ms: r.ms, changes: r.changes };
    report.gates = await runGates(c, site.name, c.file.spec, plan.gates, emit, false);
    const failed = report.gates.find((g) => !g.ok);
    if (!failed) return { report: { ...report, outcome: "deployed" as const } };
    stopped = { site: site.name, at: failed.gate, detail: failed.detail };
  } catch (err) {
    report.error = (err as Error).message;
    stopped = { site: site.name, at: "deploy", detail: report.error.split("\n").slice(0, 3).join(" ") };
  }
  if (plan.rollback) {
    report.rollback = await rollBack(site, opts, kept, c, emit);
    const good = !report.rollback.error && report.rollback.gates.every((g) => g.ok);
    report.outcome = good ? "rolled back" : "rollback failed";
  }
  return { report, stopped };
}

/** Run the plan; sites after a failure are reported as not started. Never throws for a site's failure. */
export async function runRollout(
  plan: RolloutPlan,
  waves: RolloutSite[][],
  o: { baseDir: string; onEvent?: Emit },
): Promise<RolloutReport> {
  const emit: Emit = o.onEvent ?? (() => undefined);
  const t0 = Date.now();
  const sites: SiteReport[] = [];
  let stopped: RolloutReport["stopped"];
  for (const [w, wave] of waves.entries()) {
    if (stopped) {
      sites.push(...wave.map((s) => ({ name: s.name, wave: w, outcome: "not started" as const, gates: [] })));
      continue;
    }
    emit({ kind: "wave", wave: w, sites: wave.map((s) => s.name) });
    for (const site of wave) {
      if (stopped) {
        sites.push({ name: site.name, wave: w, outcome: "not started", gates: [] });
        continue;
      }
      const r = await runSite(site, w, plan, o.baseDir, emit);
      sites.push(r.report);
      stopped = r.stopped;
    }
  }
  return { ok: !stopped, ...(stopped ? { stopped } : {}), sites, ms: Date.now() - t0 };
}

/**
 * The library's entry point (exported by the SDK): a plan as data, checked first (every problem at once,
 * nothing touched), then run. Site files are relative to baseDir (default: the working directory).
 */
export async function rollout(
  input: RolloutPlanInput,
  o: { baseDir?: string; onEvent?: Emit } = {},
): Promise<RolloutReport> {
  const r = parseRolloutPlan(input);
  if (!r.ok)
    throw new Error(
      `invalid rollout plan:\n  ${r.problems.map((p) => `${pathText(p.path)}: ${p.message}`).join("\n  ")}`,
    );
  return runRollout(r.plan, r.waves, { baseDir: o.baseDir ?? process.cwd(), onEvent: o.onEvent });
}

/** The plan file's directory: site files are relative to it. */
export const planBaseDir = (planFile: string) => dirname(resolve(planFile));
