// Agent config fragments: the provider writes one per resource into each director's conf.d, so
// resources stay independent; the agent merges them and reloads atomically (agent/src/config/load.ts).
import type { AgentConfigInput } from "../../../../agent/src/config/schema.ts";
import { CONF_D, type ConnectionT } from "../../inputs/common.ts";

/** One fragment on one director. */
export interface HostFragment {
  /** the director, as its connection names it */
  host: string;
  connection: ConnectionT;
  path: string;
  config: AgentConfigInput;
}

/** conf.d/director.json (one per director), conf.d/vip-<name>.json, conf.d/vs-<name>.json */
export function fragmentPath(kind: "director" | "vip" | "vs", name?: string): string {
  return kind === "director" ? `${CONF_D}/director.json` : `${CONF_D}/${kind}-${name}.json`;
}

/** The file's bytes: stable key order as planned, two-space indent, final newline. */
export function fragmentText(f: Pick<HostFragment, "config">): string {
  return `${JSON.stringify(f.config, null, 2)}\n`;
}

/** The object without its undefined fields (JSON would drop them anyway; tests compare objects). */
export function defined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
