// `npm run bench -- ipvs`: applying a big IPVS table, our agent's manager vs `ipvsadm -R`, and a no-op
// reconcile of it. The host kernel has no IPVS, so the measurement runs inside user-mode Linux
// (test/uml/run.ts) in one boot, both ways side by side; test/ipvs/helpers/bench-guest.ts is the guest.
// Returns the result lines:
//   ipvs apply services=1000 dests=10000 ours_ms=... ipvsadm_ms=... ratio=... runs=5 (medians)
//   ipvs noop services=1000 ms=... writes=0
import { findUmlKernel, runInUml } from "../test/uml/run.ts";

const GUEST = "test/ipvs/helpers/bench-guest.ts";

export async function benchIpvs(): Promise<string[]> {
  if (!findUmlKernel())
    throw new Error("bench ipvs needs user-mode Linux (apt-get install user-mode-linux): the host kernel has no IPVS");
  const r = await runInUml({ files: [GUEST], timeoutMs: 8 * 60_000 });
  const lines = r.output.split("\n");
  const results = lines.filter((l) => l.startsWith("ipvs "));
  // progress and per-run figures from the guest go to stderr, as the other benchmarks do
  for (const l of lines) if (l && !l.startsWith("ipvs ")) process.stderr.write(`uml: ${l}\n`);
  process.stderr.write(`uml: exit ${r.code}, timings ${JSON.stringify(r.timings)}\n`);
  if (r.code !== 0 || results.length !== 2)
    throw new Error(`bench ipvs failed inside UML (exit ${r.code}); output above`);
  return results;
}
