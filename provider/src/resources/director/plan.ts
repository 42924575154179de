// Director -> its desired state (pure): the agent's base fragment, and how its members reach the agent.
import { GlobalSettings, type AgentConfigInput } from "../../../../agent/src/config/schema.ts";
import type { DirectorInputs, DirectorOutputs } from "./schema.ts";
import { defined, fragmentPath, type HostFragment } from "../fragment/files.ts";

/** The director's own fragment on its host: conf.d/director.json. */
export function directorHostFragment(d: DirectorInputs): HostFragment {
  return {
    host: d.connection.host,
    connection: d.connection,
    path: fragmentPath("director"),
    config: directorFragment(d),
  };
}

/** The fragment's content: the agent's global settings and sysctls as given (the agent fills defaults). */
export function directorFragment(d: { global?: unknown; sysctls?: unknown }): AgentConfigInput {
  return defined({ global: d.global, sysctls: d.sysctls }) as AgentConfigInput;
}

/** The installed agent's CLI: the bundle's launcher in the `current` release. */
export const agentCommandIn = (installDir: string): string => `${installDir}/current/bin/lvs-agent`;

/** How Vip and VirtualServer reach this director's agent (their members' configDir, agentCommand, statusSocket). */
export function agentAccessOf(d: Pick<DirectorInputs, "installDir" | "configDir" | "global">): {
  configDir: string;
  agentCommand: string;
  statusSocket: string;
} {
  return {
    configDir: d.configDir,
    agentCommand: agentCommandIn(d.installDir),
    statusSocket: GlobalSettings.parse(d.global ?? {}).statusSocket,
  };
}

export function directorOutputs(d: DirectorInputs): Omit<DirectorOutputs, "agent"> {
  const { agentCommand, statusSocket } = agentAccessOf(d);
  return { host: d.connection.host, fragmentPath: `${d.configDir}/director.json`, agentCommand, statusSocket };
}
