// lvs.Vip's spec for Pulumi's Check (pure): the rules across fields, what the agent's own validator
// says of the fragment the inputs make, what forces a replacement, the import id, the computed outputs.
import { isIPv4 } from "node:net";
import { parseCidr, sameSubnet } from "../../../../agent/src/net/ip.ts";
import { planVip, scriptName, vipOutputs } from "./plan.ts";
import { agentVerdict, defineResource, type PathSegment, type Problem } from "../../inputs/check.ts";
import { isObject, type Obj } from "../../inputs/common.ts";
import { duplicateHosts, eachObject, parseNameAtHosts } from "../../inputs/rules.ts";
import { VipInputs, VipOutputs } from "./schema.ts";

const ip = (s: unknown): string | undefined =>
  typeof s === "string" && isIPv4(s.split("/")[0] ?? "") ? s.split("/")[0] : undefined;

function vipRules(raw: Obj): Problem[] {
  const out: Problem[] = [];
  const version = raw.version ?? 3;
  if (version === 3 && raw.auth !== undefined) {
    out.push({
      path: ["auth"],
      message: "authentication is VRRPv2 only (RFC 5798 removed it): remove auth or set version: 2",
    });
  }
  const addresses = Array.isArray(raw.addresses) ? raw.addresses.map(ip) : [];
  out.push(...subnetRules(raw.subnet, addresses, raw.directors));
  eachObject(raw.directors, (d, i) => {
    const at = (...rest: PathSegment[]): PathSegment[] => ["directors", i, ...rest];
    const owner = ip(d.sourceIp) !== undefined && addresses.includes(ip(d.sourceIp));
    if (d.priority === 255 && !owner) {
      out.push({
        path: at("priority"),
        message: "255 is only for the address owner (a director whose sourceIp is one of the addresses): use 1-254",
      });
    }
    if (raw.unicast === true && d.sourceIp === undefined) {
      out.push({
        path: at("sourceIp"),
        message: "is required with unicast: true (the other directors send their adverts to it)",
      });
    }
  });
  return [
    ...out,
    ...duplicateHosts(
      raw.directors,
      (d) => (isObject(d.connection) ? d.connection.host : undefined),
      (i) => ["directors", i, "connection", "host"],
    ),
  ];
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
    if (a !== undefined && outside(a))
      out.push({ path: ["addresses", i], message: `${a} is outside the interface's subnet ${subnet}` });
  });
  eachObject(directors, (d, i) => {
    const a = ip(d.sourceIp);
    if (a !== undefined && outside(a))
      out.push({ path: ["directors", i, "sourceIp"], message: `${a} is outside the interface's subnet ${subnet}` });
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
    if (!p)
      return `a Vip's import id is <name>@<director>,<director>...: the VRRP instance's name and the directors holding it, for example web@10.0.0.2,10.0.0.3 (got ${JSON.stringify(id)})`;
    return { name: p.name, directors: p.hosts.map((host) => ({ connection: { host } })) };
  },
  outputs: VipOutputs,
  computed: vipOutputs,
});
