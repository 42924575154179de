// keepalived's static_ipaddress (top level) and virtual_routes (in a vrrp_instance) into AgentConfig's
// staticAddresses and instances' virtualRoutes, and vrrp_strict's rules: keepalived 2.2.7 reports a
// config error for unicast peers, authentication, preempt_delay, no VIPs, state MASTER below priority
// 255 and accept with VRRPv2 in strict mode, so lvs-agent refuses each, naming its line. Pure.
import { isIPv4, isIPv6 } from "node:net";
import type { StaticAddressConfig, VirtualRouteConfig } from "../config/routes.ts";
import type { Token } from "./lexer.ts";
import type { Statement } from "./parser.ts";
import type { Cx } from "./cx.ts";

type Loc = Parameters<Cx["error"]>[0];

type Route = Partial<VirtualRouteConfig> & { to?: string };
const SCOPES = ["global", "site", "link", "host"];
const IPV6_ROUTES =
  "IPv6 routes are not supported (lvs-agent's VRRP instances and routes are IPv4): keep this route on keepalived, or add it by hand";

/** `<IPADDR>[/<MASK>] dev <IF> [scope <S>] [brd <ADDR>|+|-]`, one per line. */
export function staticAddresses(st: Statement, cx: Cx): StaticAddressConfig[] {
  const out: StaticAddressConfig[] = [];
  for (const item of st.block ?? []) {
    const opts = cx.itemOptions(item, ["dev", "scope", "brd"], "static_ipaddress");
    const dev = opts.get("dev")?.text;
    const scope = opts.get("scope");
    const brd = opts.get("brd")?.text;
    if (!dev) {
      cx.error(item.keyword, "static_ipaddress: each address needs 'dev <interface>'");
      continue;
    }
    if (scope && !SCOPES.includes(scope.text)) cx.error(scope, `scope takes ${SCOPES.join("|")}, got '${scope.text}'`);
    out.push({
      address: item.keyword.text,
      device: dev,
      scope: (scope?.text ?? "global") as StaticAddressConfig["scope"],
      ...(brd && brd !== "-" ? { broadcast: brd } : {}),
    });
  }
  return out;
}

const DROP_TYPES = ["blackhole", "unreachable", "prohibit"];

/**
 * One virtual_routes line, as keepalived reads it: `[src ADDR] [to] PREFIX|default [via [inet] GW]
 * [dev IF] [scope S] [table N] [metric N]`, or a blackhole/unreachable/prohibit PREFIX.
 */
export function readRoute(item: Statement, cx: Cx): Route | undefined {
  const t = [item.keyword, ...item.args];
  const r: Route = {};
  let i = 0;
  const next = (what: string): Token | undefined =>
    t[++i] ?? void cx.error(t[i - 1]!, `'${t[i - 1]!.text}' needs ${what}`);
  for (; i < t.length; i++) {
    const w = t[i]!;
    if (w.text === "src") r.src = next("an address")?.text;
    else if (w.text === "to") r.to = next("a prefix")?.text;
    else if (DROP_TYPES.includes(w.text)) r.type = w.text as Route["type"];
    else if (w.text === "via") {
      let gw = next("a gateway");
      if (gw?.text === "inet") gw = next("a gateway");
      if (gw?.text === "inet6") return void cx.error(gw, IPV6_ROUTES);
      r.via = gw?.text;
    } else if (w.text === "dev") r.device = next("an interface")?.text;
    else if (w.text === "scope") r.scope = next("a scope")?.text as Route["scope"];
    else if (w.text === "table") r.table = cx.numberAt(next("a table number"), "table");
    else if (w.text === "metric" || w.text === "preference" || w.text === "priority")
      r.metric = cx.numberAt(next("a number"), w.text);
    else if (r.to === undefined) r.to = w.text;
    else
      return void cx.error(
        w,
        `virtual_routes: '${w.text}' is not supported (supported: src, to, via, dev, scope, table, metric, blackhole|unreachable|prohibit)`,
      );
  }
  const v6 = [r.to?.split("/")[0], r.via, r.src].some((a) => a !== undefined && isIPv6(a));
  if (v6) return void cx.error(item.keyword, IPV6_ROUTES);
  if (r.to === undefined)
    return void cx.error(item.keyword, "virtual_routes: a route needs a destination (PREFIX or default)");
  if (r.to !== "default" && !isIPv4(r.to.split("/")[0]!))
    return void cx.error(item.keyword, `virtual_routes: '${r.to}' is not an IPv4 prefix or default`);
  return r;
}

export function virtualRoutes(st: Statement, cx: Cx): (Route & { to: string })[] {
  return (st.block ?? []).flatMap((item) => {
    const r = readRoute(item, cx);
    return r?.to === undefined ? [] : [{ ...r, to: r.to }];
  });
}

/** What vrrp_strict refuses of one instance; `at` finds the line a key came from. */
export interface StrictView {
  name: string;
  at: Token;
  unicastPeers?: unknown[];
  auth?: unknown;
  preemptDelay?: number;
  virtualAddresses?: unknown[];
  acceptMode?: boolean;
  priority?: number;
  version?: number;
  stateMaster?: Token;
}

export function strictProblems(v: StrictView, line: (key: string) => Loc | undefined, cx: Cx): void {
  const fix = "remove the line, or vrrp_strict";
  const refuse = (key: string, why: string) =>
    cx.error(line(key) ?? v.at, `vrrp_strict: ${why} (keepalived reports a config error); ${fix}`);
  if (v.unicastPeers?.length) refuse("unicastPeers", "unicast peers are not allowed in strict mode");
  if (v.auth !== undefined) refuse("auth", "strict mode does not support authentication");
  if (v.preemptDelay) refuse("preemptDelay", "preempt_delay is incompatible with strict mode");
  if (!v.virtualAddresses?.length)
    cx.error(v.at, `vrrp_strict: vrrp_instance ${v.name} has no virtual_ipaddress, which strict mode requires`);
  if (v.acceptMode === true && v.version === 2 && v.priority !== 255)
    refuse("acceptMode", "accept mode with VRRPv2 does not comply with RFC 3768");
  if (v.stateMaster && v.priority !== 255)
    cx.error(v.stateMaster, `vrrp_strict: state MASTER must match being the address owner (priority 255); ${fix}`);
}
