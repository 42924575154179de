// `lvsctl up` killed at each step of a cluster's creation, for the lvsctl cluster test: SIGKILL of lvsctl,
// pulumi, its language host and the provider plugin at once (a stopped CI runner, the OOM killer), as
// soon as the engine shows a step (the provider reports each step as progress: "cluster-d1: 10.x.0.11:
// step 'upload bundle'") that no earlier run was killed at, keyed by resource type and step. Each run
// is killed at the first such step it reaches and the next run starts over, until one runs to the end.
// So every step of every resource's create is interrupted once, and the cluster still converges.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { byRole, type Topology } from "../../lvsctl/src/lab/topology.ts";
import { childrenOf } from "../helpers/sshd.ts";
import { processStart } from "../../lvsctl/src/cluster/stack-lock.ts";
import type { Run } from "./lab-cli.ts";

const REPO = new URL("../..", import.meta.url).pathname;

export interface KilledRun extends Run {
  /** "<resource type> '<step>'" the run was killed at; undefined when it ran to its end */
  killedAt?: string;
}

/** pid and every process below it. */
function tree(pid: number): number[] {
  return [pid, ...childrenOf(pid).flatMap(tree)];
}

/**
 * `lvsctl up -f file --json` in t's control namespace; killed (the whole process tree) when pick, given
 * each progress line on stderr, names a kill point.
 */
function upUntil(t: Topology, file: string, pick: (line: string) => string | undefined): Promise<KilledRun> {
  const control = byRole(t, "control")[0]!;
  const child = spawn(
    "ip",
    ["netns", "exec", control.ns, process.execPath, "--import", "tsx", join(REPO, "lvsctl/src/main.ts")].concat([
      "up",
      "-f",
      file,
      "--json",
    ]),
    { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] },
  );
  const run: KilledRun = { code: 1, out: "", err: "" };
  let partial = "";
  let killed: number[] = [];
  child.stdout.on("data", (b: Buffer) => (run.out += b.toString()));
  child.stderr.on("data", (b: Buffer) => {
    run.err += b.toString();
    partial += b.toString();
    const lines = partial.split("\n");
    partial = lines.pop()!;
    for (const line of lines) {
      const at = run.killedAt === undefined ? pick(line) : undefined;
      if (at === undefined) continue;
      run.killedAt = at;
      // Collected first: a killed parent's children would be re-parented and lost to the walk.
      killed = tree(child.pid!);
      for (const pid of killed) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          /* gone */
        }
      }
    }
  });
  return new Promise((resolve) =>
    child.on("close", (code) => {
      run.code = code ?? 1;
      // The next run starts once every process of this one is dead (gone, or a zombie not yet reaped).
      void untilDead(killed).then(() => resolve(run));
    }),
  );
}

async function untilDead(pids: number[]): Promise<void> {
  for (;;) {
    if (pids.every((pid) => processStart(pid) === undefined)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const CREATE = /^\s+create\s+lvs:index:(\w+)\s+(\S+)/;
const STEP = /^\s+\.\.\.\s+(\S+): \S+: step '([^']+)'/;

/**
 * Runs of `lvsctl up`, each killed at a step not killed at before (of those `wanted` keeps: every step
 * takes 34 runs and 9 minutes here), and the last one, which was not.
 */
export async function upKilledAtEachStep(
  t: Topology,
  file: string,
  wanted: (key: string, killedAt: ReadonlySet<string>) => boolean = () => true,
  maxRuns = 80,
): Promise<KilledRun[]> {
  const killedAt = new Set<string>();
  const typeOf = new Map<string, string>();
  const pick = (line: string) => {
    const c = CREATE.exec(line);
    if (c) typeOf.set(c[2]!, c[1]!);
    const s = STEP.exec(line);
    const key = s && `${typeOf.get(s[1]!) ?? s[1]} '${s[2]}'`;
    return key && !killedAt.has(key) && wanted(key, killedAt) ? key : undefined;
  };
  const runs: KilledRun[] = [];
  while (runs.length < maxRuns) {
    const t0 = Date.now();
    const run = await upUntil(t, file, pick);
    runs.push(run);
    console.log(
      `# lvsctl up ${runs.length}: ${run.killedAt ? `killed at ${run.killedAt}` : `exit ${run.code}`}, ${Date.now() - t0} ms`,
    );
    if (run.killedAt === undefined) return runs;
    killedAt.add(run.killedAt);
  }
  throw new Error(`lvsctl up was still reaching new steps after ${maxRuns} runs: ${[...killedAt].join(", ")}`);
}
