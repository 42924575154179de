// `npm run bench -- fuzz [--fuzz-cases=N] [--fuzz-seed=S] [--fuzz-targets=a,b] [--fuzz-jobs=J]`: a million
// (N) deterministic cases (seed S) through each hostile-input target of test/helpers/fuzz/targets.ts (the
// VRRP parser, the IPVS netlink reply decoder, the keepalived.conf importer on slices of
// ../shared/keepalived-corpus, AgentConfig and ClusterSpec validation, the resources' Check), J targets
// at a time, each in a process of its own (bench/fuzz-worker.ts). One line a target on stdout: cases,
// seconds, cases/s, accepted and refused, kinds of refusal, the slowest case, memory. It fails when a
// case broke a property (printed with its seed and index, to replay) or took longer than --fuzz-max-ms.
// Needs no root.
import { fork } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { FUZZ_TARGETS, type FuzzTargetName } from "../test/helpers/fuzz/targets.ts";
import type { SentStats } from "./fuzz-worker.ts";

export const FUZZ_SEED = 0x5eed_f022;
export const DEFAULT_CORPUS = fileURLToPath(new URL("../../shared/keepalived-corpus", import.meta.url));

export interface FuzzOptions {
  cases: number;
  seed: number;
  targets: FuzzTargetName[];
  jobs: number;
  maxMs: number;
  corpus: string;
}

export function fuzzTargetNames(list: string | undefined): FuzzTargetName[] {
  const names = list?.split(",") ?? [...FUZZ_TARGETS];
  const bad = names.filter((n) => !(FUZZ_TARGETS as readonly string[]).includes(n));
  if (bad.length) throw new Error(`unknown fuzz target(s) ${bad.join(", ")}; known: ${FUZZ_TARGETS.join(", ")}`);
  return names as FuzzTargetName[];
}

export const defaultJobs = () => Math.max(1, availableParallelism());

function runWorker(name: FuzzTargetName, o: FuzzOptions): Promise<SentStats> {
  const worker = fileURLToPath(new URL("./fuzz-worker.ts", import.meta.url));
  const child = fork(worker, [name, String(o.cases), String(o.seed), o.corpus], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    let stats: SentStats | undefined;
    child.on("message", (m) => (stats = m as SentStats));
    child.on("exit", (code, signal) =>
      stats
        ? resolve(stats)
        : reject(new Error(`fuzz ${name}: the worker ended (${signal ?? `exit ${code}`}) without figures`)),
    );
  });
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

export function fuzzLine(s: SentStats, maxMs: number): string {
  const secs = s.ms / 1000;
  const verdict =
    s.failureCount > 0
      ? `FAIL (${s.failureCount} cases broke a property)`
      : s.slowestMs > maxMs
        ? `FAIL (a case over ${maxMs} ms)`
        : "ok";
  return [
    `fuzz ${s.target}: ${s.cases} cases in ${secs.toFixed(1)} s (${Math.round(s.cases / secs)}/s, cpu ${(s.cpuMs / 1000).toFixed(1)} s)`,
    `accepted ${s.accepted}, refused ${s.refused} (${s.kinds.length} kinds)`,
    `slowest ${s.slowestMs.toFixed(1)} ms (case ${s.slowestIndex})`,
    `rss ${mib(s.memory.before.rss)}->${mib(s.memory.after.rss)} MiB, heap ${mib(s.memory.before.heapUsed)}->${mib(s.memory.after.heapUsed)} MiB`,
    verdict,
  ].join(", ");
}

function reportFailures(s: SentStats): void {
  for (const f of s.failures)
    console.error(
      `fuzz ${s.target}: case ${f.index} (seed ${s.seed}): ${f.message}\n  input: ${f.input.slice(0, 600)}`,
    );
}

/** Runs the targets, `jobs` at a time, printing each one's line as it finishes; rejects if any failed. */
export async function benchFuzz(o: FuzzOptions): Promise<void> {
  console.error(`fuzz: ${o.cases} cases per target, seed ${o.seed}, ${o.jobs} at a time, corpus ${o.corpus}`);
  const queue = [...o.targets];
  const failed: string[] = [];
  const lane = async () => {
    for (let name = queue.shift(); name; name = queue.shift()) {
      const s = await runWorker(name, o).catch((err: Error) => {
        console.log(`fuzz ${name}: FAIL (${err.message})`);
        return undefined;
      });
      if (s) console.log(fuzzLine(s, o.maxMs));
      if (s) reportFailures(s);
      if (!s || s.failureCount > 0 || s.slowestMs > o.maxMs) failed.push(name);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.jobs, o.targets.length) }, lane));
  if (failed.length) throw new Error(`fuzz: ${failed.join(", ")} failed (see above)`);
}
