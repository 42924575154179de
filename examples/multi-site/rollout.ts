// One change through every site with the SDK's rollout(): the plan (sites.yaml) names each site's
// cluster file, the canary and the waves; after each site its gates are read from the agents (one
// master per VIP, real servers healthy, no drift, an answer through each VIP), and the first failure
// stops the rollout (and rolls that site back with --rollback). `lvsctl rollout -f sites.yaml` is the
// same function; this is how a pipeline of your own calls it:
//   node --import tsx rollout.ts sites.yaml [--rollback] [--json]
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse } from "yaml";
import { rollout, type RolloutPlanInput } from "@pulumi/lvs";

const [planFile = "sites.yaml", ...flags] = process.argv.slice(2);
const plan = parse(readFileSync(planFile, "utf8")) as RolloutPlanInput;
const json = flags.includes("--json");

const report = await rollout(
  { ...plan, rollback: plan.rollback || flags.includes("--rollback") },
  {
    baseDir: dirname(resolve(planFile)),
    onEvent: (e) => {
      if (e.kind === "gate") console.error(`${e.site}: gate ${e.gate} ${e.ok ? "ok" : "FAILED"}: ${e.detail}`);
      else if (e.kind === "step") console.error(`${e.site}: ${e.step} ${e.ok ? "done" : "FAILED"} (${e.ms} ms)`);
      else if (e.kind === "wave") console.error(`wave ${e.wave}: ${e.sites.join(", ")}`);
    },
  },
);
if (json) console.log(JSON.stringify(report));
else console.log(report.ok ? "every site deployed" : `stopped at ${report.stopped?.site}: ${report.stopped?.at}`);
process.exit(report.ok ? 0 : 1);
