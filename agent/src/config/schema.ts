// AgentConfig: the one contract for what a director's lvs-agent runs. Fragments in conf.d are each a
// partial AgentConfig; the loader merges them and validates the whole with this schema.
// Cross-field rules live in superRefine so every problem is reported at once, each with its path.
import { z } from "zod";
import { AgentVirtualServer, DirectorSysctls, IpvsTimeouts, SyncDaemon } from "./ipvs.ts";
import { StaticAddress, VirtualRoute } from "./routes.ts";
import { absolutePath, ifname, ipv4, ipv4Cidr as cidr } from "./fields.ts";

const weight = z.number().int().min(-254).max(254);

export const VirtualAddress = z.object({
  /** "10.0.0.100/24"; a bare address means /32 */
  address: cidr,
  /** defaults to the instance's interface */
  device: ifname.optional(),
  /** keepalived `brd`: "+" = the prefix's broadcast address (as `ip addr add ... brd +`), or an address */
  broadcast: z.union([z.literal("+"), ipv4]).optional(),
});

export const GarpSettings = z.object({
  /** gratuitous ARPs sent per VIP on becoming master (keepalived garp_master_repeat) */
  count: z.number().int().min(1).max(100).default(5),
  /** spacing between them, ms (keepalived vrrp_garp_interval) */
  intervalMs: z.number().int().min(0).max(10_000).default(0),
  /** seconds after becoming master to send a second burst (garp_master_delay); 0 = none */
  repeatDelay: z.number().min(0).max(3600).default(5),
  /** while master, resend every this many seconds (garp_master_refresh); 0 = never */
  refresh: z.number().min(0).max(86_400).default(0),
});

export const TrackRef = z.object({
  name: z.string().min(1),
  /** absent: the tracked object going down puts the instance in FAULT; otherwise priority += weight */
  weight: weight.optional(),
});

export const NotifyHooks = z.object({
  master: z.string().optional(),
  backup: z.string().optional(),
  fault: z.string().optional(),
  stop: z.string().optional(),
  /** called on every transition with the new state as an argument (keepalived `notify`) */
  any: z.string().optional(),
});

export const VrrpInstance = z.object({
  interface: ifname,
  vrid: z.number().int().min(1).max(255),
  /** 255 only for the address owner: a router whose sourceIp is one of its virtual addresses (validate.ts) */
  priority: z.number().int().min(1).max(255).default(100),
  version: z.union([z.literal(2), z.literal(3)]).default(3),
  /** seconds; v2: whole seconds 1-255, v3: centiseconds 0.01-40.95 */
  advertInterval: z.number().positive().default(1),
  virtualAddresses: z.array(VirtualAddress).min(1),
  /** source address of adverts; defaults to the interface's primary address */
  sourceIp: ipv4.optional(),
  /** unicast peers instead of multicast 224.0.0.18 (keepalived unicast_peer) */
  unicastPeers: z.array(ipv4).default([]),
  /**
   * v2 only: PASS, a simple text password (RFC 2338 type 1); AH, IPsec AH with HMAC-MD5-96 keyed by the
   * password, as keepalived's auth_type AH (RFC 2338 type 2). At most 8 bytes either way.
   */
  auth: z
    .object({
      type: z.enum(["PASS", "AH"]),
      password: z.string().min(1).max(8, "must be at most 8 characters (VRRPv2 carries 8 bytes)"),
    })
    .optional(),
  preempt: z.boolean().default(true),
  /** seconds a higher-priority backup waits before preempting (keepalived preempt_delay) */
  preemptDelay: z.number().min(0).max(1000).default(0),
  /** RFC 5798 Accept_Mode: when false a non-owner master does not answer traffic to the VIP itself */
  acceptMode: z.boolean().default(true),
  garp: GarpSettings.default({ count: 5, intervalMs: 0, repeatDelay: 5, refresh: 0 }),
  trackInterfaces: z.array(TrackRef).default([]),
  trackScripts: z.array(TrackRef).default([]),
  notify: NotifyHooks.default({}),
});

/**
 * The instances of the agent's own config: the provider's Vip instance (VrrpInstance) and what only the
 * agent reads so far (keepalived.conf import): tracked processes, and instances without addresses.
 */
export const AgentVrrpInstance = VrrpInstance.extend({
  /** none: the instance only elects a master and runs its notify hooks (keepalived: "No VIP specified" warns) */
  virtualAddresses: z.array(VirtualAddress).default([]),
  /** names under `trackProcesses`, with keepalived track_process weights (absent: down is a fault) */
  trackProcesses: z.array(TrackRef).default([]),
  /** routes added with the VIPs on becoming master and removed on leaving it (keepalived virtual_routes) */
  virtualRoutes: z.array(VirtualRoute).default([]),
  /**
   * keepalived vrrp_strict: adverts whose address list differs from ours are dropped (RFC 3768 7.1);
   * the converter refuses what strict mode forbids (unicast, authentication, preempt_delay, no VIPs)
   */
  strict: z.boolean().default(false),
  /**
   * keepalived use_vmac with vmac_xmit_base: the agent creates macvlan interface `name` (private mode)
   * on `interface` with the VRRP virtual MAC 00:00:5e:00:01:<vrid> (RFC 5798 7.3); virtual addresses
   * without a device live on it, so GARPs and ARP replies carry the virtual MAC; adverts still go out
   * on `interface` (net/vmac.ts)
   */
  vmac: z.object({ name: ifname }).optional(),
});

/** Instances that change state together (keepalived vrrp_sync_group): one going to FAULT or BACKUP takes the others. */
export const SyncGroup = z.object({
  instances: z.array(z.string().min(1)).min(1),
});

/** A process watched in /proc (keepalived vrrp_track_process): up while quorum..quorumMax copies run. */
export const TrackProcess = z.object({
  /** the name the kernel gives it (/proc/PID/comm, 15 characters), or its full path (argv[0]) */
  process: z.string().min(1),
  /** with it, only processes whose arguments (after argv[0], space-separated) are these count */
  args: z.string().optional(),
  /** args matches the start of the arguments only (keepalived param_match initial) */
  argsPrefix: z.boolean().default(false),
  quorum: z.number().int().min(0).default(1),
  quorumMax: z.number().int().min(0).optional(),
  /** applied to instances that track it without their own weight */
  weight: weight.default(0),
  /** seconds between two looks at /proc */
  interval: z.number().positive().max(3600).default(1),
});

export const TrackScript = z.object({
  /** path of an executable followed by arguments, split on spaces (keepalived `script`) */
  script: z.string().min(1),
  /** seconds between runs */
  interval: z.number().positive().default(1),
  /** seconds before a run counts as failed; defaults to interval */
  timeout: z.number().positive().optional(),
  rise: z.number().int().min(1).default(1),
  fall: z.number().int().min(1).default(1),
  /** applied to instances that track it without their own weight */
  weight: weight.default(0),
  /** the unprivileged user it runs as (never root) */
  user: z.string().default("nobody"),
});

export const GlobalSettings = z.object({
  routerId: z.string().optional(),
  /** root-only unix socket for `lvs-agent status` and `reload` */
  statusSocket: absolutePath.default("/run/lvs-agent/agent.sock"),
  /** host:port for Prometheus /metrics; empty string disables */
  metricsListen: z.string().default("127.0.0.1:9572"),
  /** user for track scripts and notify hooks that do not name one */
  scriptUser: z.string().default("nobody"),
  /**
   * seconds between IPVS reconciles: a hand edit of the table is repaired within this period. 0: no
   * periodic pass; as with keepalived, a hand edit stays until the next reload or health change
   * (`lvs-agent status` shows it, and the provider's refresh reports it as drift).
   */
  ipvsReconcileInterval: z
    .number()
    .max(3600)
    .refine((v) => v === 0 || v >= 0.1, "must be 0 (repair on reload only) or 0.1 to 3600 seconds")
    .default(5),
  /** where the agent keeps state across restarts (services it owns) */
  stateDir: absolutePath.default("/run/lvs-agent"),
});

/**
 * Opt-ins that loosen the agent's script rules, each named where it is used. keepalived.conf import sets
 * allowRoot for `script_user root` (with a warning); JSON configs rarely should.
 */
export const ScriptSecurity = z.object({
  /** track scripts and notify hooks whose user is "root" (by that name) run as root */
  allowRoot: z.boolean().default(false),
});

export const AgentConfig = z.object({
  global: GlobalSettings.default(GlobalSettings.parse({})),
  instances: z.record(z.string().min(1), AgentVrrpInstance).default({}),
  syncGroups: z.record(z.string().min(1), SyncGroup).default({}),
  trackProcesses: z.record(z.string().min(1), TrackProcess).default({}),
  scripts: z.record(z.string().min(1), TrackScript).default({}),
  virtualServers: z.record(z.string().min(1), AgentVirtualServer).default({}),
  sysctls: DirectorSysctls.default({}),
  syncDaemon: SyncDaemon.optional(),
  ipvsTimeouts: IpvsTimeouts.optional(),
  scriptSecurity: ScriptSecurity.default({ allowRoot: false }),
  /** addresses held while the agent runs, whatever the VRRP state (keepalived static_ipaddress) */
  staticAddresses: z.array(StaticAddress).default([]),
});

export type VirtualAddress = z.infer<typeof VirtualAddress>;
export type GarpSettings = z.infer<typeof GarpSettings>;
export type TrackRef = z.infer<typeof TrackRef>;
export type VrrpInstanceConfig = z.infer<typeof VrrpInstance>;
export type AgentVrrpInstanceConfig = z.infer<typeof AgentVrrpInstance>;
export type SyncGroupConfig = z.infer<typeof SyncGroup>;
export type TrackProcessConfig = z.infer<typeof TrackProcess>;
export type TrackScriptConfig = z.infer<typeof TrackScript>;
export type GlobalSettings = z.infer<typeof GlobalSettings>;
export type AgentConfig = z.infer<typeof AgentConfig>;
/** What a fragment file holds before defaults: any subset of the sections. */
export type AgentConfigInput = z.input<typeof AgentConfig>;
