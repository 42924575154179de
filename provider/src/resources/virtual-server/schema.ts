// lvs.VirtualServer: an IPVS service with its real servers and health checks, written as
// conf.d/vs-<name>.json to each director that carries its VIP. The fields are the agent's VirtualServer.
import { z } from "zod";
import { VirtualServer } from "../../../../agent/src/config/ipvs.ts";
import { SCHEDULERS, schedulerProblem } from "../../../../agent/src/config/fields.ts";
import { Connection, agentAccess, deepStrict, directorStatusShape, resourceName } from "../../inputs/common.ts";

export const VirtualServerInputs = deepStrict(VirtualServer).extend({
  /** the service's name in the agent's config; defaults to the resource's name */
  name: resourceName,
  /** the directors that run this service (those of its VIP) */
  directors: z.array(Connection.extend(agentAccess)).min(1),
  scheduler: z.enum(SCHEDULERS, { error: (iss) => schedulerProblem(iss.input) }).default("wlc"),
});

/** One real server in a director's IPVS table, as its agent reported it at the last read. */
export const VirtualServerDestination = z.object({
  address: z.string(),
  port: z.number(),
  forwarding: z.string(),
  weight: z.number(),
  /** the weight the agent sets; differs from weight after a hand edit (ipvsadm -e) it has not repaired yet */
  wantedWeight: z.number().optional(),
  /** up, down, unknown (not checked yet) or unchecked (no health check) */
  health: z.string(),
  activeConns: z.number(),
  inactiveConns: z.number(),
});

export const VirtualServerDirectorStatus = z.object({
  ...directorStatusShape,
  scheduler: z.string().optional(),
  destinations: z.array(VirtualServerDestination).optional(),
});

/** Live state, filled by Read (refresh): the service in each director's IPVS table. */
export const VirtualServerLive = z.object({
  directorStatus: z.array(VirtualServerDirectorStatus),
});

export const VirtualServerOutputs = z.object({
  fragmentPath: z.string(),
  hosts: z.array(z.string()),
  /** "TCP 10.0.0.100:80" or "fwmark 7", as ipvsadm and the agent's status name it */
  service: z.string(),
  ...VirtualServerLive.partial().shape,
});

export type VirtualServerInputs = z.infer<typeof VirtualServerInputs>;
export type VirtualServerOutputs = z.infer<typeof VirtualServerOutputs>;
export type VirtualServerArgs = z.input<typeof VirtualServerInputs>;
export type VirtualServerLive = z.infer<typeof VirtualServerLive>;
