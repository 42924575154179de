// lvs.Director: a host that runs lvs-agent. Its own fragment (conf.d/director.json) carries the agent's
// global settings and the director sysctls; VIPs and virtual servers bring their own fragments.
import { z } from "zod";
import { AgentConfig, GlobalSettings } from "../../../agent/src/config/schema.ts";
import { directorFragment, directorOutputs } from "../planner/director.ts";
import { agentVerdict, defineResource } from "./check.ts";
import { Connection, deepStrict } from "./common.ts";

export const DirectorInputs = z.strictObject({
  connection: Connection,
  /** the agent's global settings (status socket, metrics listener, reconcile interval, ...) */
  global: deepStrict(GlobalSettings).optional(),
  /** director sysctls from the agent's table (e.g. net.ipv4.vs.expire_nodest_conn: 1) */
  sysctls: AgentConfig.shape.sysctls,
});

export const DirectorOutputs = z.object({
  host: z.string(),
  /** the director's base fragment */
  fragmentPath: z.string(),
});

export type DirectorInputs = z.infer<typeof DirectorInputs>;
export type DirectorOutputs = z.infer<typeof DirectorOutputs>;
export type DirectorArgs = z.input<typeof DirectorInputs>;

export const directorSpec = defineResource({
  token: "lvs:index:Director",
  description: "A host running lvs-agent, with the agent's global settings and director sysctls.",
  schema: DirectorInputs,
  named: false,
  rules: () => [],
  // The fragment is the raw global and sysctls sections, named as the inputs are (global.*, sysctls.<key>).
  agentProblems: (raw) => agentVerdict(directorFragment(raw), () => undefined),
  replaceOn: ["connection.host"],
  outputs: DirectorOutputs,
  computed: directorOutputs,
});
