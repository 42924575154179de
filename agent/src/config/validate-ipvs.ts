// Cross-field rules of the IPVS part of AgentConfig, on the raw input like validate.ts's rules, so
// every problem is reported at once, each naming the virtual server (and real server) it is about.
import { isIP } from "node:net";
import { sysctlProblems } from "../net/sysctl.ts";
import type { PathSegment, Problem } from "./problem.ts";

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function serviceKey(vs: Obj): string | undefined {
  if (typeof vs.fwmark === "number") return `fwmark ${vs.fwmark}`;
  if (typeof vs.address !== "string" || typeof vs.port !== "number") return undefined;
  const proto = typeof vs.protocol === "string" ? vs.protocol : "TCP";
  return `${proto} ${vs.address}:${vs.port}`;
}

function shapeRules(vs: Obj, at: (...p: PathSegment[]) => PathSegment[]): Problem[] {
  // The kernel takes such a service but schedules nothing on it ("port zero only supported in
  // persistent services"): refuse it here rather than black-hole its traffic.
  if (vs.port === 0 && !isObject(vs.persistence))
    return [{ path: at("port"), message: "port 0 (every port of the address) needs persistence, as IPVS requires" }];
  const hasAddr = vs.address !== undefined || vs.port !== undefined;
  if (vs.fwmark !== undefined && hasAddr)
    return [{ path: at(), message: "give either fwmark or address and port, not both" }];
  if (vs.fwmark === undefined && (vs.address === undefined || vs.port === undefined)) {
    return [{ path: at(), message: "needs address and port (or a fwmark)" }];
  }
  return [];
}

function realServerRules(vs: Obj, at: (...p: PathSegment[]) => PathSegment[]): Problem[] {
  if (!Array.isArray(vs.realServers)) return [];
  const seen = new Map<string, number>();
  const out: Problem[] = [];
  vs.realServers.forEach((rs: unknown, i) => {
    if (!isObject(rs) || typeof rs.address !== "string") return;
    const port = typeof rs.port === "number" ? rs.port : vs.port;
    // A port of another type is the schema's to report; as text an object may throw (its toString: 256).
    if (port !== undefined && typeof port !== "number") return;
    const key = `${rs.address}:${port ?? 0}`;
    const first = seen.get(key);
    if (first !== undefined)
      out.push({ path: at("realServers", i), message: `${key} is already realServers[${first}]` });
    else seen.set(key, i);
    const check = rs.healthCheck ?? vs.healthCheck;
    if (isObject(check) && check.type !== "script" && (port === undefined || port === 0) && check.port === undefined) {
      out.push({
        path: at("realServers", i, "healthCheck"),
        message:
          port === 0
            ? "a real server on port 0 (the port each client asked for) needs healthCheck.port (keepalived connect_port) to check"
            : "a fwmark service's real server needs a port (or healthCheck.port) to check",
      });
    }
  });
  return out;
}

const familyName = (v: number) => (v === 6 ? "IPv6" : "IPv4");

/**
 * One address family per service: IPVS keys a service by family and forwards to servers of that
 * family (a fwmark service takes its family from its real servers), and an IPv4 persistence netmask
 * is at most /32.
 */
function familyRules(vs: Obj, at: (...p: PathSegment[]) => PathSegment[]): Problem[] {
  const out: Problem[] = [];
  const servers = Array.isArray(vs.realServers) ? vs.realServers : [];
  const own = typeof vs.address === "string" ? isIP(vs.address) : 0;
  const firstRs = servers.find(
    (rs): rs is Obj => isObject(rs) && typeof rs.address === "string" && isIP(rs.address) !== 0,
  );
  const family = own || (firstRs ? isIP(firstRs.address as string) : 0);
  if (!family) return out;
  const what = own
    ? `the virtual server's ${vs.address as string}`
    : `the first real server's ${firstRs!.address as string}`;
  const check = (addr: unknown, path: PathSegment[]) => {
    if (typeof addr !== "string" || isIP(addr) === 0 || isIP(addr) === family) return;
    out.push({
      path,
      message: `${addr} is ${familyName(isIP(addr))} but ${what} is ${familyName(family)}: IPVS forwards a service only to servers of its own family; give an ${familyName(family)} address or put it in a virtual server of its own`,
    });
  };
  servers.forEach((rs: unknown, i) => isObject(rs) && check(rs.address, at("realServers", i, "address")));
  if (isObject(vs.sorryServer)) check(vs.sorryServer.address, at("sorryServer", "address"));
  const p = vs.persistence;
  if (family === 4 && isObject(p) && typeof p.netmask === "number" && p.netmask > 32)
    out.push({
      path: at("persistence", "netmask"),
      message: `an IPv4 service's netmask must be 0-32, got ${p.netmask}`,
    });
  return out;
}

export function ipvsProblems(input: Obj, instances: Obj): Problem[] {
  const out: Problem[] = [];
  const services = new Map<string, string>();
  const vss = isObject(input.virtualServers) ? input.virtualServers : {};
  for (const [name, vs] of Object.entries(vss)) {
    if (!isObject(vs)) continue;
    const at = (...rest: PathSegment[]): PathSegment[] => ["virtualServers", name, ...rest];
    out.push(...shapeRules(vs, at), ...realServerRules(vs, at), ...familyRules(vs, at));
    const key = serviceKey(vs);
    const owner = key && services.get(key);
    if (key && owner) out.push({ path: at(), message: `${key} is the same service as virtualServers.${owner}` });
    else if (key) services.set(key, name);
  }
  if (isObject(input.sysctls)) {
    for (const p of sysctlProblems(input.sysctls as Record<string, number | string>))
      out.push({ path: ["sysctls", p.key], message: p.message });
  }
  const sync = input.syncDaemon;
  if (isObject(sync) && typeof sync.followInstance === "string" && !(sync.followInstance in instances)) {
    out.push({
      path: ["syncDaemon", "followInstance"],
      message: `no VRRP instance "${sync.followInstance}" under instances`,
    });
  }
  return out;
}
