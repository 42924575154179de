// lvs.Vip: one VRRP instance carrying virtual addresses across its member directors. Each director
// gets conf.d/vip-<name>.json with the instance at its own priority (see planner/vip.ts).
import { z } from "zod";
import { isIPv4 } from "node:net";
import { TrackScript, VrrpInstance } from "../../../agent/src/config/schema.ts";
import { SyncDaemon } from "../../../agent/src/config/ipvs.ts";
import { parseCidr, sameSubnet } from "../../../agent/src/net/ip.ts";
import { planVip, scriptName, vipOutputs } from "../planner/vip.ts";
import { agentVerdict, defineResource, type PathSegment, type Problem } from "./check.ts";
import { Connection, agentAccess, cidr, deepStrict, directorStatusShape, isObject, resourceName, type Obj } from "./common.ts";
import { duplicateHosts, eachObject, parseNameAtHosts } from "./rules.ts";

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

const ip = (s: unknown): string | undefined => (typeof s === "string" && isIPv4(s.split("/")[0] ?? "") ? s.split("/")[0] : undefined);

function vipRules(raw: Obj): Problem[] {
  const out: Problem[] = [];
  const version = raw.version ?? 3;
  if (version === 3 && raw.auth !== undefined) {
    out.push({ path: ["auth"], message: "authentication is VRRPv2 only (RFC 5798 removed it): remove auth or set version: 2" });
  }
  const addresses = Array.isArray(raw.addresses) ? raw.addresses.map(ip) : [];
  out.push(...subnetRules(raw.subnet, addresses, raw.directors));
  eachObject(raw.directors, (d, i) => {
    const at = (...rest: PathSegment[]): PathSegment[] => ["directors", i, ...rest];
    const owner = ip(d.sourceIp) !== undefined && addresses.includes(ip(d.sourceIp));
    if (d.priority === 255 && !owner) {
      out.push({ path: at("priority"), message: "255 is only for the address owner (a director whose sourceIp is one of the addresses): use 1-254" });
    }
    if (raw.unicast === true && d.sourceIp === undefined) {
      out.push({ path: at("sourceIp"), message: "is required with unicast: true (the other directors send their adverts to it)" });
    }
  });
  return [...out, ...duplicateHosts(raw.directors, (d) => (isObject(d.connection) ? d.connection.host : undefined), (i) => ["directors", i, "connection", "host"])];
}

/** With a subnet given, each VIP and each director's sourceIp must lie inside it. */
function subnetRules(subnet: unknown, addresses: Array<string | undefined>, directors: unknown): Problem[] {
  if (typeof subnet !== "string" || ip(subnet) === undefined) return [];
  let net;
  try {
    net = parseCidr(subnet);
  } catch {
    return [];
  }
  const outside = (a: string) => !sameSubnet(a, net.address, net.prefix);
  const out: Problem[] = [];
  addresses.forEach((a, i) => {
    if (a !== undefined && outside(a)) out.push({ path: ["addresses", i], message: `${a} is outside the interface's subnet ${subnet}` });
  });
  eachObject(directors, (d, i) => {
    const a = ip(d.sourceIp);
    if (a !== undefined && outside(a)) out.push({ path: ["directors", i, "sourceIp"], message: `${a} is outside the interface's subnet ${subnet}` });
  });
  return out;
}

/** instances.<name>.<field> in a director's fragment -> the Vip input it came from. */
function mapAgentPath(member: number, v: VipInputs) {
  const scripts = new Map(Object.keys(v.trackScripts).map((n) => [scriptName(v, n), n]));
  return (path: PathSegment[]): PathSegment[] | undefined => {
    if (path[0] === "syncDaemon") return path;
    const script = path[0] === "scripts" ? scripts.get(String(path[1])) : undefined;
    if (script !== undefined) return ["trackScripts", script, ...path.slice(2)];
    if (path[0] !== "instances") return undefined;
    const [field, ...rest] = path.slice(2);
    if (field === "virtualAddresses") return ["addresses", ...rest.slice(0, 1)];
    if (field === "priority" || field === "sourceIp") return ["directors", member, field];
    if (field === "unicastPeers") return ["unicast"];
    return field === undefined ? [] : [field, ...rest];
  };
}

export const vipSpec = defineResource({
  token: "lvs:index:Vip",
  description: "A VRRP instance holding virtual addresses on a set of directors running lvs-agent.",
  schema: VipInputs,
  named: true,
  rules: vipRules,
  // The fragment needs the planner (per-director priority, unicast peers): checked once the schema passed.
  agentProblems: (_raw, v) => (v ? planVip(v).flatMap((f, m) => agentVerdict(f.config, mapAgentPath(m, v))) : []),
  replaceOn: ["name", "interface", "vrid"],
  connectionPaths: ["directors.*.connection"],
  importInputs: (id) => {
    const p = parseNameAtHosts(id);
    if (!p) return `a Vip's import id is <name>@<director>,<director>...: the VRRP instance's name and the directors holding it, for example web@10.0.0.2,10.0.0.3 (got ${JSON.stringify(id)})`;
    return { name: p.name, directors: p.hosts.map((host) => ({ connection: { host } })) };
  },
  outputs: VipOutputs,
  computed: vipOutputs,
});
