// Garbage-collection pauses of our agent under CPU load (not pure: root, lab namespaces, the agents,
// tcpdump, busy processes). The bundled agent (dist/lvs-agent.mjs, as bench/idle.ts builds it) runs as
// master (priority 200) at VRRPv3 0.1 s adverts with node's --trace-gc, a second one as backup (100),
// while two busy processes (`node -e 'for(;;);'`) load both cores. Over a WINDOW_S window it reports the
// count, median, p99 and max of the master's GC pauses (the main-thread time of each collection, from the
// --trace-gc lines; an incremental Mark-Compact's marking steps are pauses of their own, reported by their
// largest), the advert rate the backup read (lvs_vrrp_adverts_received_total) beside the nominal 10/s,
// the longest gap between adverts on the backup's wire (tcpdump, kernel timestamps) beside its
// Master_Down_Interval, and how busy the machine was.
import { cpus } from "node:os";
import { Lab } from "../test/helpers/netns.ts";
import { startPair } from "../test/helpers/agent.ts";
import { Watched, nowMs, type Line } from "../test/helpers/procs.ts";
import { masterDownMs, parseNflogAdvert } from "../test/helpers/loss-stats.ts";
import { scrape } from "../test/agent/fixtures/ops.ts";
import { bundleAgent } from "./idle.ts";
import {
  BACKUP_PRIO,
  DIRECTORS,
  INSTANCE,
  MASTER_PRIO,
  TICKS_PER_S,
  electionMs,
  instance,
  machineBusyTicks,
  median,
  note,
  sleep,
  type Setting,
} from "./common.ts";

const SETTING: Setting = { version: 3, advert: 0.1 };
const WINDOW_S = 30;
const LOAD_PROCS = 2;
/** After the pair has settled, before the window: node's first seconds of compiling and collecting. */
const WARMUP_MS = 3000;

export interface GcPause {
  /** Scavenge, Mark-Compact, ... as --trace-gc names it */
  kind: string;
  /** main-thread time of the collection, ms */
  ms: number;
  /** an incremental Mark-Compact's largest marking step before it, ms */
  biggestStepMs?: number;
}

/**
 * One --trace-gc line (node 20), e.g. "[123:0x5f0e70]  1234 ms: Scavenge 3.8 (4.0) -> 3.4 (5.0) MB, 1.16 /
 * 0.00 ms  (average mu = ...) allocation failure;": the first of the two times is the pause.
 */
export function parseTraceGc(text: string): GcPause | undefined {
  const m =
    /^\[\d+:0x[0-9a-f]+\]\s+\d+ ms: (.+?) [\d.]+ \([\d.]+\) -> [\d.]+ \([\d.]+\) MB, ([\d.]+) \/ [\d.]+ ms(.*)$/.exec(
      text,
    );
  if (!m) return undefined;
  const step = /biggest step ([\d.]+) ms/.exec(m[3]!);
  return { kind: m[1]!, ms: Number(m[2]), biggestStepMs: step ? Number(step[1]) : undefined };
}

/** Nearest-rank percentile (p in 0-100) of xs. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

async function received(host: Parameters<typeof scrape>[0]): Promise<number> {
  return (await scrape(host)).get("lvs_vrrp_adverts_received_total", { instance: INSTANCE }) ?? 0;
}

function inWindow(lines: readonly Line[], t0: number, t1: number): Line[] {
  return lines.filter((l) => l.t >= t0 && l.t <= t1);
}

export async function benchGc(): Promise<void> {
  const entry = ["--trace-gc", ...bundleAgent()];
  const lab = Lab.create([...DIRECTORS]);
  try {
    const [d1, d2] = [lab.host(DIRECTORS[0]!.name), lab.host(DIRECTORS[1]!.name)];
    const wire = new Watched(d2.spawn("tcpdump", ["-l", "-n", "-tt", "-i", "eth0", "ip proto 112"]));
    await wire.waitLine((l) => l.text.startsWith("listening on"), 10_000, "tcpdump in d2");
    const m = { kind: "agent" as const, host: d1, inst: instance(SETTING, MASTER_PRIO) };
    const b = { kind: "agent" as const, host: d2, inst: instance(SETTING, BACKUP_PRIO) };
    const { master } = await startPair(INSTANCE, m, b, electionMs(SETTING), entry);
    await sleep(WARMUP_MS);
    // The load runs in d1's namespace only so that the lab ends it by PID if the bench throws.
    const load = Array.from({ length: LOAD_PROCS }, () => d1.spawn(process.execPath, ["-e", "for(;;);"]));
    try {
      await sleep(1000);
      note(`  gc: ${LOAD_PROCS} busy processes on ${cpus().length} cores, a ${WINDOW_S} s window`);
      const [r0, busy0, t0, rt0] = [await received(d2), machineBusyTicks(), nowMs(), Date.now()];
      await sleep(WINDOW_S * 1000);
      const [t1, rt1, busy1, r1] = [nowMs(), Date.now(), machineBusyTicks(), await received(d2)];
      const seconds = (t1 - t0) / 1000;
      const pauses = inWindow(master.lines, t0, t1).flatMap((l) => parseTraceGc(l.text) ?? []);
      const ms = pauses.map((p) => p.ms);
      const steps = pauses.flatMap((p) => (p.biggestStepMs === undefined ? [] : [p.biggestStepMs]));
      const adverts = wire.lines.flatMap((l) => {
        const a = parseNflogAdvert(l.text);
        // tcpdump's times are CLOCK_REALTIME: the window's bounds on that clock.
        return a && a.src === d1.ip && a.t >= rt0 && a.t <= rt1 ? [a.t] : [];
      });
      const gaps = adverts.slice(1).map((t, i) => t - adverts[i]!);
      const kinds = [...new Set(pauses.map((p) => p.kind))]
        .map((k) => `${k}:${pauses.filter((p) => p.kind === k).length}`)
        .join(",");
      const busyPct = ((busy1 - busy0) / (seconds * TICKS_PER_S * cpus().length)) * 100;
      const mdi = masterDownMs(SETTING.advert, BACKUP_PRIO);
      note(
        `  gc: pauses in the window (ms): ${pauses.map((p) => `${p.kind} ${p.ms.toFixed(2)}`).join(", ") || "none"}`,
      );
      console.log(
        `gc impl=ours-bundled advert=${SETTING.advert} load=${LOAD_PROCS}x-busy window_s=${seconds.toFixed(1)} machine_busy_pct=${busyPct.toFixed(1)}`,
      );
      console.log(`gc pauses count=${pauses.length} (${kinds || "none"})`);
      console.log(`gc pause_ms median=${median(ms).toFixed(2)}`);
      console.log(`gc pause_ms p99=${percentile(ms, 99).toFixed(2)}`);
      console.log(`gc pause_ms max=${(ms.length ? Math.max(...ms) : NaN).toFixed(2)}`);
      console.log(
        `gc marking_step_ms max=${(steps.length ? Math.max(...steps) : 0).toFixed(2)} (${steps.length} incremental Mark-Compacts)`,
      );
      console.log(
        `gc adverts_per_s received=${((r1 - r0) / seconds).toFixed(2)} nominal=${(1 / SETTING.advert).toFixed(2)}`,
      );
      console.log(
        `gc advert_gap_ms max=${(gaps.length ? Math.max(...gaps) : NaN).toFixed(1)} p99=${percentile(gaps, 99).toFixed(1)} master_down_interval=${mdi.toFixed(1)}`,
      );
    } finally {
      for (const p of load) if (p.pid) process.kill(p.pid, "SIGKILL");
    }
  } finally {
    lab.destroy();
  }
}
