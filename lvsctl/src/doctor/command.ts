// `lvsctl doctor -f cluster.yaml [--json]` (thin I/O shell): the file read (every problem listed before
// any host is touched), the hosts observed (collect.ts), the examinations run (examinations.ts), the
// report printed for people or as JSON; exit 0 when nothing failed, 1 when something did.
import { ClusterFileError, loadClusterFile } from "../cluster/commands.ts";
import { collect } from "./collect.ts";
import { examine } from "./examinations.ts";
import type { DoctorReport } from "./observations.ts";
import { doctorPlan } from "./plan.ts";
import { exitCode, formatReport } from "./report.ts";

export async function doctorCli(v: { file?: string; json?: boolean }): Promise<number> {
  if (!v.file) throw new ClusterFileError("lvsctl doctor: name the cluster file with -f cluster.yaml");
  const t0 = Date.now();
  const { spec } = loadClusterFile(v.file);
  const plan = doctorPlan(spec);
  const observed = await collect(spec, plan);
  const examinations = examine({ spec, plan, file: v.file }, observed);
  const report: DoctorReport = {
    file: v.file,
    ok: examinations.every((e) => e.verdict !== "fail"),
    examinations,
    ms: Date.now() - t0,
  };
  process.stdout.write(v.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return exitCode(report);
}
