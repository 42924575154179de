// lvs.Director's spec for Pulumi's Check (pure): the rules across fields, what the agent's own validator
// says of the fragment the inputs make, what forces a replacement, the import id, the computed outputs.
import { AGENT_VERSION } from "../../../../agent/src/version.ts";
import { directorFragment, directorOutputs } from "./plan.ts";
import { agentVerdict, defineResource, type Problem } from "../../inputs/check.ts";
import { CONF_D, isObject, type Obj } from "../../inputs/common.ts";
import { unitValueProblem } from "../../host/unit-file.ts";
import { hasControlCharacter, shown } from "../../../../agent/src/config/fields.ts";
import { DirectorInputs, DirectorOutputs } from "./schema.ts";

/** The agent deletes installDir as a whole: a configDir inside it would go with it. */
function directorRules(raw: Obj): Problem[] {
  const install = typeof raw.installDir === "string" ? raw.installDir : "/opt/lvs-agent";
  const config = typeof raw.configDir === "string" ? raw.configDir : CONF_D;
  const problems: Problem[] = [];
  if (typeof raw.installDir === "string" && raw.installDir.split("/").length < 3) {
    problems.push({
      path: ["installDir"],
      message: `${shown(raw.installDir)} must be at least two levels deep (e.g. /opt/lvs-agent): it is removed as a whole on delete`,
    });
  }
  // The agent's schema refuses control characters; what else its unit cannot hold is refused here,
  // at Check, rather than when the unit is written.
  const global = isObject(raw.global) ? raw.global : {};
  for (const key of ["stateDir", "statusSocket"]) {
    const v = global[key];
    const why = typeof v === "string" && !hasControlCharacter(v) ? unitValueProblem(v) : undefined;
    if (why) problems.push({ path: ["global", key], message: `${shown(v as string)}: ${why}` });
  }
  if (`${config}/`.startsWith(`${install}/`))
    problems.push({
      path: ["configDir"],
      message: `must not be inside installDir (${install}), which is replaced and removed as a whole`,
    });
  return problems;
}

export const directorSpec = defineResource({
  token: "lvs:index:Director",
  description:
    "A host running lvs-agent, installed by the provider, with the agent's global settings and director sysctls.",
  schema: DirectorInputs,
  named: false,
  rules: directorRules,
  // The fragment is the raw global and sysctls sections, named as the inputs are (global.*, sysctls.<key>).
  agentProblems: (raw) => agentVerdict(directorFragment(raw), () => undefined),
  // Another host, install directory, conf.d or service manager is another installation: delete, then create.
  replaceOn: ["connection.host", "installDir", "configDir", "serviceManager"],
  connectionPaths: ["connection"],
  importInputs: (id) => {
    const m = /^([^:\s/]+):(\/\S+)$/.exec(id);
    if (!m)
      return `a Director's import id is <host>:<installDir>: for example 10.0.0.2:/opt/lvs-agent (got ${JSON.stringify(id)})`;
    return { connection: { host: m[1] }, installDir: m[2] };
  },
  complete: (d) =>
    d.agentVersion === undefined && d.agentBundle === undefined ? { ...d, agentVersion: AGENT_VERSION } : d,
  outputs: DirectorOutputs,
  computed: (d: DirectorInputs) => directorOutputs(d),
});
