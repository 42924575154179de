// One fuzz target run in a process of its own (forked by bench/fuzz.ts, so that targets run side by side
// and each one's memory is its own): argv NAME CASES SEED CORPUS. Progress goes to stderr; the figures go
// back to the parent as one IPC message. Not pure: it is the I/O shell around test/helpers/fuzz.
import { runFuzz, type FuzzStats } from "../test/helpers/fuzz/harness.ts";
import { fuzzTarget, type FuzzTargetName } from "../test/helpers/fuzz/targets.ts";

/** FuzzStats as sent over IPC (a Map does not survive JSON). */
export type SentStats = Omit<FuzzStats, "kinds"> & { kinds: [string, number][]; cpuMs: number };

const [name, cases, seed, corpus] = process.argv.slice(2) as [FuzzTargetName, string, string, string];
const target = fuzzTarget(name, corpus);
const cpu = process.cpuUsage();
const stats = runFuzz(target, {
  cases: Number(cases),
  seed: Number(seed),
  every: 100_000,
  progress: (done, s) =>
    process.stderr.write(
      `fuzz ${name}: ${done} cases, ${s.failureCount} failures, slowest ${s.slowestMs.toFixed(1)} ms\n`,
    ),
});
const used = process.cpuUsage(cpu);
const sent: SentStats = { ...stats, kinds: [...stats.kinds], cpuMs: (used.user + used.system) / 1000 };
process.send!(sent, () => process.exit(0));
