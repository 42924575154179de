// `lvsctl rollout -f sites.yaml` (thin I/O shell): the plan file read and checked (every problem with
// its line, before any site is touched), then rollout() with each event printed as it happens.
import { ClusterFileError, readText } from "../cluster/commands.ts";
import { formatProblems, pathText } from "../cluster/file-spec.ts";
import { parseYamlSource } from "../cluster/source.ts";
import { parseRolloutPlan, type RolloutPlan, type RolloutSite } from "./plan.ts";
import { planBaseDir, runRollout, type RolloutEvent, type RolloutReport } from "./rollout.ts";

export function loadPlan(file: string, rollback: boolean): { plan: RolloutPlan; waves: RolloutSite[][] } {
  const src = parseYamlSource(readText(file));
  if (!src.ok)
    throw new ClusterFileError(
      formatProblems(
        file,
        src.problems.map((p) => ({ path: "", ...p })),
      ),
    );
  const value = src.source.value as Record<string, unknown>;
  const r = parseRolloutPlan(rollback ? { ...value, rollback: true } : value);
  if (!r.ok) {
    const problems = r.problems.map((p) => ({
      path: pathText(p.path),
      ...src.source.positionOf(p.path),
      message: p.message,
    }));
    throw new ClusterFileError(
      `${file}: ${problems.length} problem(s), no site was touched:\n${formatProblems(file, problems)}`,
    );
  }
  return r;
}

export async function rolloutCommand(
  file: string,
  rollback: boolean,
  onEvent: (e: RolloutEvent) => void,
): Promise<RolloutReport> {
  const { plan, waves } = loadPlan(file, rollback);
  return runRollout(plan, waves, { baseDir: planBaseDir(file), onEvent });
}
