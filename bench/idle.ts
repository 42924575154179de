// Idle cost of one VRRP instance as master: resident memory (VmRSS) and CPU over a 10 s window, for
// our agent and keepalived in the same run, measured side by side after a warm-up (default 30 s: in
// its first seconds node is still compiling and collecting, which triples its CPU for a while). A director alone in a fresh lab becomes master and then only
// sends adverts. keepalived's cost is the sum over its process group (parent and VRRP child); ours is
// the agent process and any children (it has none today). "ours" is the agent as the tests run it
// (TypeScript under tsx); "ours-bundled" is the project's esbuild bundle (npm run build), as a packaged
// agent runs, which also shows what the tsx loader itself costs.
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Lab } from "../test/helpers/netns.ts";
import { AGENT_TSX, REPO, startPeer, type Peer } from "../test/helpers/agent.ts";
import { nowMs } from "../test/helpers/procs.ts";
import {
  DIRECTORS,
  INSTANCE,
  MASTER_PRIO,
  SETTINGS,
  electionMs,
  instance,
  note,
  sleep,
  type Setting,
} from "./common.ts";

const WINDOW_MS = 10_000;

type IdleImpl = "ours" | "ours-bundled" | "keepalived";

export interface IdleSample {
  rssMb: number;
  cpuPct: number;
}

/** pid, ppid and process group of every process, from /proc/PID/stat. */
function procTable(): { pid: number; ppid: number; pgrp: number }[] {
  const out = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      // Fields after the command name, which may itself hold spaces and parentheses.
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.push({ pid: Number(d), ppid: Number(f[1]), pgrp: Number(f[2]) });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** root and its descendants; for keepalived (a group leader) also every member of its process group. */
function family(root: number): number[] {
  const table = procTable();
  const pids = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of table) {
      if (!pids.has(p.pid) && (pids.has(p.ppid) || p.pgrp === root)) {
        pids.add(p.pid);
        grew = true;
      }
    }
  }
  return [...pids];
}

/**
 * CPU time (ns) of every thread of pid: the first field of /proc/PID/task/TID/schedstat. utime and
 * stime in /proc/PID/stat count 10 ms ticks, too coarse for a daemon that idles at well under 1%.
 */
function cpuNs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      /* thread exited meanwhile */
    }
  }
  return ns;
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : 0;
}

async function measure(peer: Peer): Promise<IdleSample> {
  const pids = family(peer.pid);
  const cpu = () => pids.reduce((a, pid) => a + cpuNs(pid), 0);
  const [c0, t0] = [cpu(), nowMs()];
  await sleep(WINDOW_MS);
  const [c1, t1] = [cpu(), nowMs()];
  const after = family(peer.pid);
  if (after.join() !== pids.join())
    throw new Error(`${peer.kind}'s processes changed during the window: ${pids.join()} -> ${after.join()}`);
  const rss = after.reduce((a, pid) => a + rssKb(pid), 0);
  return { rssMb: rss / 1024, cpuPct: ((c1 - c0) / 1e6 / (t1 - t0)) * 100 };
}

/** The agent as the project's build bundles it (scripts/build.mjs -> dist/lvs-agent.mjs), built now. */
export function bundleAgent(): string[] {
  const res = spawnSync(process.execPath, [join(REPO, "scripts/build.mjs")], { cwd: REPO, encoding: "utf8" });
  if (res.status !== 0) throw new Error(`agent build failed: ${res.stderr || res.stdout}`);
  return [join(REPO, "dist/lvs-agent.mjs")];
}

async function idleOnce(impl: IdleImpl, s: Setting, bundled: string[], warmupMs: number): Promise<IdleSample> {
  const lab = Lab.create([DIRECTORS[0]!]);
  try {
    const entry = impl === "ours-bundled" ? bundled : AGENT_TSX;
    const peer = startPeer(
      impl === "keepalived" ? "keepalived" : "agent",
      lab.host("d1"),
      INSTANCE,
      instance(s, MASTER_PRIO),
      entry,
    );
    await peer.waitState(INSTANCE, "MASTER", electionMs(s));
    await sleep(warmupMs);
    return await measure(peer);
  } finally {
    lab.destroy();
  }
}

function line(impl: IdleImpl, s: Setting, r: IdleSample): string {
  return `idle impl=${impl} advert=${s.advert} version=${s.version} rss_mb=${r.rssMb.toFixed(1)} cpu_pct=${r.cpuPct.toFixed(3)}`;
}

function ratioLine(s: Setting, name: string, o: IdleSample, k: IdleSample): string {
  return `idle ratio ${name}/keepalived advert=${s.advert} rss=${(o.rssMb / k.rssMb).toFixed(2)} cpu=${(o.cpuPct / k.cpuPct).toFixed(1)}`;
}

/** The three implementations side by side (each alone in its own lab), one setting at a time. */
export async function benchIdle(opts: { warmupMs: number }): Promise<void> {
  const bundled = bundleAgent();
  const impls: IdleImpl[] = ["ours", "ours-bundled", "keepalived"];
  for (const s of SETTINGS) {
    note(`  idle advert=${s.advert}: ${opts.warmupMs / 1000} s warm-up as master, then a ${WINDOW_MS / 1000} s window`);
    const samples = await Promise.all(impls.map((impl) => idleOnce(impl, s, bundled, opts.warmupMs)));
    const r = Object.fromEntries(impls.map((impl, i) => [impl, samples[i]!])) as Record<IdleImpl, IdleSample>;
    for (const impl of impls) console.log(line(impl, s, r[impl]));
    console.log(ratioLine(s, "ours", r.ours, r.keepalived));
    console.log(ratioLine(s, "ours-bundled", r["ours-bundled"], r.keepalived));
  }
}
