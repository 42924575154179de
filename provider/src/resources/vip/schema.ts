// lvs.Vip: one VRRP instance carrying virtual addresses across its member directors. Each director
// gets conf.d/vip-<name>.json with the instance at its own priority (see plan.ts).
import { z } from "zod";
import { TrackScript, VrrpInstance } from "../../../../agent/src/config/schema.ts";
import { SyncDaemon } from "../../../../agent/src/config/ipvs.ts";
import { Connection, agentAccess, cidr, deepStrict, directorStatusShape, resourceName } from "../../inputs/common.ts";

const I = VrrpInstance.shape;

export const VipDirector = z.strictObject({
  connection: Connection,
  /** 1-254; 255 only for the address owner: the director whose sourceIp is one of the addresses */
  priority: I.priority,
  /** this director's own address on the interface: the adverts' source and its peers' unicast target */
  sourceIp: I.sourceIp,
  ...agentAccess,
});

/** One director's VRRP state for this instance, from its agent (lvs-agent status) at the last read. */
export const VipDirectorStatus = z.object({
  ...directorStatusShape,
  /** MASTER, BACKUP, INIT or FAULT; absent when the agent's view is (see error) */
  state: z.string().optional(),
  effectivePriority: z.number().optional(),
  /** the master's address as this director sees it */
  masterIp: z.string().optional(),
  /** the addresses this director holds now */
  vips: z.array(z.string()).optional(),
});

export const VipInputs = z.strictObject({
  /** the VRRP instance's name on the directors; defaults to the resource's name */
  name: resourceName,
  interface: I.interface,
  vrid: I.vrid,
  version: I.version,
  advertInterval: I.advertInterval,
  /** "10.0.0.100/24", or a bare address for /32 */
  addresses: z.array(cidr).min(1),
  /** the interface's subnet ("10.0.0.0/24"); when given, every address must lie inside it */
  subnet: cidr.optional(),
  directors: z.array(VipDirector).min(1),
  /** advertise to the other directors' sourceIp instead of multicast 224.0.0.18 */
  unicast: z.boolean().default(false),
  auth: deepStrict(I.auth),
  preempt: I.preempt,
  preemptDelay: I.preemptDelay,
  acceptMode: I.acceptMode,
  garp: deepStrict(I.garp),
  trackInterfaces: deepStrict(I.trackInterfaces),
  /**
   * health scripts by name (keepalived vrrp_script + track_script): run on every member as an
   * unprivileged user; failing, they lower its priority by their weight, or with weight 0 put it in FAULT
   */
  trackScripts: z.record(resourceName, deepStrict(TrackScript)).default({}),
  /** the IPVS connection sync daemon, master while this instance is MASTER (keepalived lvs_sync_daemon) */
  syncDaemon: deepStrict(SyncDaemon.omit({ followInstance: true })).optional(),
});

/** Live state, filled by Read (refresh): each director's VRRP state and the master. */
export const VipLive = z.object({
  directorStatus: z.array(VipDirectorStatus),
  /** the director (its connection's host) that is MASTER, when exactly one is */
  master: z.string().optional(),
});

export const VipOutputs = z.object({
  /** the fragment on each director */
  fragmentPath: z.string(),
  /** the directors it is written to */
  hosts: z.array(z.string()),
  ...VipLive.partial().shape,
});

export type VipInputs = z.infer<typeof VipInputs>;
export type VipOutputs = z.infer<typeof VipOutputs>;
export type VipArgs = z.input<typeof VipInputs>;
export type VipDirector = z.infer<typeof VipDirector>;
export type VipLive = z.infer<typeof VipLive>;
