// lvs.VirtualServer between its inputs and its directors (pure): where each director's fragment goes,
// the service as its fragments say it is (Read's drift), and the live IPVS table its agents report.
// Drift: the service's fields come from the first director holding a readable fragment; a director
// whose fragment is not exactly that service (hand-edited, not JSON, missing) is left out of
// `directors`, so the engine's diff shows it and an update writes it back.
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import type { AgentStatus } from "../../../agent/src/status/format.ts";
import { isObject, type Obj } from "../inputs/common.ts";
import { VirtualServerInputs, type VirtualServerLive } from "../inputs/virtual-server.ts";
import { defined, fragmentPath } from "../planner/fragments.ts";
import { planVirtualServer, virtualServerFragment } from "../planner/virtual-server.ts";
import { locate, normalized, place, type Location, type Placement } from "./fragment-plan.ts";

export const VIRTUAL_SERVER_INPUT_KEYS = Object.keys(VirtualServerInputs.shape);

export const virtualServerId = (name: string): string => `vs-${name}`;

export function virtualServerPlacements(vs: VirtualServerInputs): Placement[] {
  return planVirtualServer(vs).map((f, i) => place(f, vs.directors[i]!));
}

const Where = z.object({ name: z.string(), directors: VirtualServerInputs.shape.directors });

export function virtualServerLocations(state: Obj): Location[] {
  const w = Where.parse(state);
  return w.directors.map((d) => locate(d, d, fragmentPath("vs", w.name)));
}

/** The service's inputs as its directors' fragments (parsed, in directors' order) say. */
export function virtualServerAsFound(declared: Obj, configs: Array<Obj | undefined>): Obj {
  const name = String(declared.name);
  const services = configs.map((c) => (isObject(c?.virtualServers) && isObject(c.virtualServers[name]) ? c.virtualServers[name] : undefined));
  const listed = Array.isArray(declared.directors) ? (declared.directors as unknown[]) : [];
  const service = services.find((s) => s !== undefined);
  if (!service) return { ...declared, directors: [] };
  const candidate = { ...service, name, directors: listed };
  const planned = normalized({ config: virtualServerFragment(candidate) });
  return { ...candidate, directors: listed.filter((_, i) => configs[i] !== undefined && isDeepStrictEqual(planned, configs[i])) };
}

/** The service in each director's IPVS table, as its agent reports it. */
export function virtualServerLive(name: string, locations: Location[], statuses: Array<AgentStatus | string>): VirtualServerLive {
  return {
    directorStatus: locations.map((l, i) => {
      const base = { host: l.conn.host, fragmentPath: l.path };
      const s = statuses[i]!;
      if (typeof s === "string") return { ...base, error: s };
      const vs = s.virtualServers?.find((x) => x.name === name);
      if (!vs) return { ...base, error: `the agent runs no virtual server ${name}` };
      const destinations = vs.dests.map((d) => ({ address: d.address, port: d.port, forwarding: d.forwarding, weight: d.weight, health: d.health, activeConns: d.activeConns, inactiveConns: d.inactiveConns }));
      return defined({ ...base, scheduler: vs.scheduler, destinations });
    }),
  };
}
