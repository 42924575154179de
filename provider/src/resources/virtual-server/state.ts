// lvs.VirtualServer between its inputs and its directors (pure): where each director's fragment goes,
// the service as its fragments say it is (Read's drift), and the live IPVS table its agents report.
// Drift: the service's fields come from the first director holding a readable fragment; a director
// whose fragment is not exactly that service (hand-edited, not JSON, missing) is left out of
// `directors`, so the engine's diff shows it and an update writes it back. A weight edited in a kernel
// (ipvsadm -e) and not yet put back by its agent shows as that real server's weight; the update then
// reloads that agent even though its files are right.
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import type { AgentStatus } from "../../../../agent/src/status/format.ts";
import { isObject, type Obj } from "../../inputs/common.ts";
import { VirtualServerInputs, VirtualServerLive } from "./schema.ts";
import { defined, fragmentPath } from "../fragment/files.ts";
import { planVirtualServer, virtualServerFragment } from "./plan.ts";
import { locate, normalized, place, type Location, type Placement } from "../fragment/plan.ts";

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

/**
 * Real servers whose weight in a director's kernel is not the one its agent sets, by "address:port":
 * a hand edit (ipvsadm -e) the agent has not repaired yet (the first director showing one wins).
 */
export function handEditedWeights(name: string, statuses: Array<AgentStatus | string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of statuses) {
    if (typeof s === "string") continue;
    for (const d of s.virtualServers?.find((v) => v.name === name)?.dests ?? []) {
      const key = `${d.address}:${d.port}`;
      if (d.wantedWeight !== undefined && d.weight !== d.wantedWeight && !out.has(key)) out.set(key, d.weight);
    }
  }
  return out;
}

/** The real servers with the weights the kernel holds where a hand edit changed them. */
function withKernelWeights(service: Obj, edited: Map<string, number>): Obj {
  if (edited.size === 0 || !Array.isArray(service.realServers)) return service;
  const port = typeof service.port === "number" ? service.port : 0;
  const realServers = (service.realServers as unknown[]).map((rs) => {
    if (!isObject(rs)) return rs;
    const weight = edited.get(`${String(rs.address)}:${typeof rs.port === "number" ? rs.port : port}`);
    return weight === undefined ? rs : { ...rs, weight };
  });
  return { ...service, realServers };
}

/**
 * The service's inputs as its directors' fragments (parsed, in directors' order) say, with the weights
 * their kernels hold where a hand edit changed one: the engine's diff then names that real server's weight.
 */
export function virtualServerAsFound(
  declared: Obj,
  configs: Array<Obj | undefined>,
  statuses: Array<AgentStatus | string> = [],
): Obj {
  const name = String(declared.name);
  const services = configs.map((c) =>
    isObject(c?.virtualServers) && isObject(c.virtualServers[name]) ? c.virtualServers[name] : undefined,
  );
  const listed = Array.isArray(declared.directors) ? (declared.directors as unknown[]) : [];
  const service = services.find((s) => s !== undefined);
  if (!service) return { ...declared, directors: [] };
  const candidate = { ...service, name, directors: listed };
  const planned = normalized({ config: virtualServerFragment(candidate) });
  const holding = listed.filter((_, i) => configs[i] !== undefined && isDeepStrictEqual(planned, configs[i]));
  return withKernelWeights({ ...candidate, directors: holding }, handEditedWeights(name, statuses));
}

/** Directors whose kernel, by a state's live outputs, holds a weight their agent did not set. */
export function virtualServerUnsettled(state: Obj): string[] {
  const live = VirtualServerLive.partial().safeParse(state);
  if (!live.success) return [];
  return (live.data.directorStatus ?? [])
    .filter((d) => d.destinations?.some((x) => x.wantedWeight !== undefined && x.weight !== x.wantedWeight))
    .map((d) => d.host);
}

/** The service in each director's IPVS table, as its agent reports it. */
export function virtualServerLive(
  name: string,
  locations: Location[],
  statuses: Array<AgentStatus | string>,
): VirtualServerLive {
  return {
    directorStatus: locations.map((l, i) => {
      const base = { host: l.conn.host, fragmentPath: l.path };
      const s = statuses[i]!;
      if (typeof s === "string") return { ...base, error: s };
      const vs = s.virtualServers?.find((x) => x.name === name);
      if (!vs) return { ...base, error: `the agent runs no virtual server ${name}` };
      const destinations = vs.dests.map((d) =>
        defined({
          address: d.address,
          port: d.port,
          forwarding: d.forwarding,
          weight: d.weight,
          wantedWeight: d.wantedWeight,
          health: d.health,
          activeConns: d.activeConns,
          inactiveConns: d.inactiveConns,
        }),
      );
      return defined({ ...base, scheduler: vs.scheduler, destinations });
    }),
  };
}
