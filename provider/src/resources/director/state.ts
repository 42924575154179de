// lvs.Director as its host holds it (pure): Read's answer under the inputs' own keys, so the engine's
// diff shows each hand edit as the property it changed: `agentVersion` is the version the running agent
// reports (the installed one when none runs), `running` whether it runs, `global` and `sysctls` what
// director.json holds. What no input can show (files of the install modified, the service definition
// edited, director.json no longer JSON) goes to the `drift` output, which Diff also turns into an update.
import { isDeepStrictEqual } from "node:util";
import { GlobalSettings } from "../../../../agent/src/config/schema.ts";
import { isObject, type Obj } from "../../inputs/common.ts";
import { directorFragment } from "./plan.ts";
import { fragmentText } from "../fragment/files.ts";
import type { Found } from "./install/plan.ts";

/** The running agent's answer: its version, or why there is none. */
export interface AgentAnswer {
  version?: string;
  problem?: string;
}

function parsed(text: string | undefined): Obj | undefined {
  try {
    const v: unknown = JSON.parse(text ?? "");
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** global and sysctls as director.json holds them, when the planner would write exactly that file. */
function fragmentAsFound(text: string | undefined): { global?: unknown; sysctls?: unknown } | undefined {
  const config = parsed(text);
  if (!config) return undefined;
  const candidate = { global: config.global, sysctls: config.sysctls };
  return isDeepStrictEqual(parsed(fragmentText({ config: directorFragment(candidate) })), config)
    ? candidate
    : undefined;
}

/** importing: the version found is reported even when none was declared (it was declared nowhere yet). */
export function directorAsFound(
  declared: Obj,
  found: Found,
  wantedServiceText: string,
  answer: AgentAnswer,
  importing = false,
): { inputs: Obj; drift: string[] } {
  const drift: string[] = [];
  if (!found.installed.current) drift.push("not installed");
  else drift.push(...(found.files ?? ["files unreadable"]));
  if (found.installed.current && !found.installed.record) drift.push("install record missing");
  const fragment = fragmentAsFound(found.fragment);
  if (!fragment)
    drift.push(
      found.fragment === undefined ? "director.json missing" : "director.json is not a fragment this provider writes",
    );
  if (found.serviceText !== wantedServiceText)
    drift.push(found.serviceText === undefined ? "service definition missing" : "service definition changed");
  if (answer.problem) drift.push(`agent status: ${answer.problem}`);
  const version = answer.version ?? found.installed.record?.agentVersion;
  const inputs: Obj = {
    ...declared,
    // Declared, it is compared with the version running; undeclared (a bundle of its own), it is not.
    ...(version !== undefined && (declared.agentVersion !== undefined || importing) && { agentVersion: version }),
    running: found.service.running,
    ...(fragment && { global: fragment.global, sysctls: fragment.sysctls }),
  };
  // An import writes only what differs from the defaults, as a program would.
  if (importing && isObject(inputs.global)) inputs.global = withoutDefaults(inputs.global);
  // An input absent from the program stays absent when the host holds its default.
  for (const k of ["global", "sysctls"]) if (inputs[k] === undefined) delete inputs[k];
  return { inputs, drift };
}

const GLOBAL_DEFAULTS: Obj = GlobalSettings.parse({});

/** The global settings that are not at their default; undefined when none is. */
function withoutDefaults(global: Obj): Obj | undefined {
  const set = Object.entries(global).filter(([k, v]) => !isDeepStrictEqual(v, GLOBAL_DEFAULTS[k]));
  return set.length > 0 ? Object.fromEntries(set) : undefined;
}
