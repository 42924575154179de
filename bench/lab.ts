// `npm run bench -- lab [--runs=N]`: the lab end to end, N times (5 by default): `lvsctl lab up` with
// the time of each phase (the `pulumi up` of the cluster among them), then a failover of each kind
// (crash: SIGKILL of the master's agent; stop: SIGTERM; link: its bridge port cut), each measured as the
// client sees it: the longest gap between two answered requests (every 20 ms, 200 ms timeout). Each run
// ends with `lab down`. Medians on stdout, every run's figures on stderr.
import { labDown, labFailover, labUp, type FaultKind } from "../lvsctl/src/lab/commands.ts";
import { median, sleep } from "./common.ts";
import { echoEngineTo } from "../lvsctl/src/lab/up.ts";

const KINDS: FaultKind[] = ["crash", "stop", "link"];

export async function benchLab(runs: number): Promise<string[]> {
  const phases = new Map<string, number[]>();
  const gaps = new Map<FaultKind, number[]>(KINDS.map((k) => [k, []]));
  const say = (l: string) => process.stderr.write(`${l}\n`);
  echoEngineTo(process.stderr); // stdout carries the result lines only
  for (let i = 0; i < runs; i++) {
    const name = `bench${i}`;
    try {
      const up = await labUp({ name }, say);
      let total = 0;
      for (const [phase, ms] of up.phases) {
        phases.set(phase, [...(phases.get(phase) ?? []), ms]);
        total += ms;
      }
      phases.set("total", [...(phases.get("total") ?? []), total]);
      for (const kind of KINDS) {
        // The VIP settles first: a restarted agent takes it back by preemption.
        await sleep(4000);
        const f = await labFailover(name, kind, say);
        gaps.get(kind)!.push(f.timeline.longestGapMs);
      }
    } finally {
      await labDown(name, say);
    }
  }
  const fmt = (xs: number[]) => `${median(xs)} ms (runs: ${xs.join(", ")})`;
  return [
    `lab up, median of ${runs}: ${[...phases].map(([p, xs]) => `${p} ${median(xs)} ms`).join(", ")}`,
    `lab up pulumi up of the cluster (8 resources): ${fmt(phases.get("pulumi up") ?? [])}`,
    ...KINDS.map((k) => `lab failover ${k}: longest gap between answers ${fmt(gaps.get(k)!)}`),
  ];
}
