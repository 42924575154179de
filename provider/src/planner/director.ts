// Director -> its desired state (pure): the agent's base fragment and the service that must run.
import type { AgentConfigInput } from "../../../agent/src/config/schema.ts";
import type { DirectorInputs, DirectorOutputs } from "../inputs/director.ts";
import { AGENT_SERVICE, defined, fragmentPath, type HostFragment } from "./fragments.ts";

export interface DirectorPlan {
  fragment: HostFragment;
  /** systemd unit that must be enabled and running */
  service: string;
}

export function planDirector(d: DirectorInputs): DirectorPlan {
  const fragment = { host: d.connection.host, connection: d.connection, path: fragmentPath("director"), config: directorFragment(d) };
  return { fragment, service: AGENT_SERVICE };
}

/** The fragment's content: the agent's global settings and sysctls as given (the agent fills defaults). */
export function directorFragment(d: { global?: unknown; sysctls?: unknown }): AgentConfigInput {
  return defined({ global: d.global, sysctls: d.sysctls }) as AgentConfigInput;
}

export function directorOutputs(d: DirectorInputs): DirectorOutputs {
  return { host: d.connection.host, fragmentPath: fragmentPath("director") };
}
