// Routes over rtnetlink (keepalived virtual_routes): the request for one route is built by a pure
// function (routeMessage, unit-tested); add and delete are idempotent by asking the kernel: NLM_F_EXCL
// makes a duplicate add fail with EEXIST, and deleting a missing route fails with ESRCH.
import { FlagsNew } from "netlink";
import type { VirtualRouteConfig } from "../config/routes.ts";
import { linkByName, netlinkErrno, rtnl } from "../native/rtnl.ts";
import { ipToBytes, parseCidr } from "./ip.ts";

const AF_INET = 2;
const TABLE_MAIN = 254;
const PROTO_BOOT = 3; // what `ip route add` marks routes with
const SCOPE = { global: 0, site: 200, link: 253, host: 254 } as const;
const TYPE = { unicast: 1, blackhole: 6, unreachable: 7, prohibit: 8 } as const;

export interface RouteMessage {
  data: { family: number; dstLen: number; table: number; protocol: number; scope: number; type: number };
  attrs: { dst?: Buffer; gateway?: Buffer; oif?: number; prefsrc?: Buffer; priority?: number; table?: number };
}

/**
 * The RTM_NEWROUTE/DELROUTE body for a route, as `ip route` sends it: scope link for a unicast route
 * without a gateway unless given, the table in the header (and as RTA_TABLE past 255). Pure.
 */
export function routeMessage(r: VirtualRouteConfig, oif: number | undefined): RouteMessage {
  const dst = r.to === "default" ? undefined : parseCidr(r.to);
  const table = r.table ?? TABLE_MAIN;
  const unicast = r.type === "unicast";
  const scope = r.scope ? SCOPE[r.scope] : unicast && !r.via ? SCOPE.link : SCOPE.global;
  const attrs: RouteMessage["attrs"] = {};
  if (dst && dst.prefix > 0) attrs.dst = ipToBytes(dst.address);
  if (r.via) attrs.gateway = ipToBytes(r.via);
  if (oif !== undefined) attrs.oif = oif;
  if (r.src) attrs.prefsrc = ipToBytes(r.src);
  if (r.metric !== undefined) attrs.priority = r.metric;
  if (table > 255) attrs.table = table;
  return {
    data: {
      family: AF_INET,
      dstLen: dst?.prefix ?? 0,
      table: table > 255 ? 0 : table,
      protocol: PROTO_BOOT,
      scope,
      type: TYPE[r.type],
    },
    attrs,
  };
}

/** `to [via] [dev]` as logs show a route. */
export function describeRoute(r: VirtualRouteConfig): string {
  const parts = [
    r.type === "unicast" ? "" : r.type,
    r.to,
    r.via ? `via ${r.via}` : "",
    r.device ? `dev ${r.device}` : "",
  ];
  return parts.filter(Boolean).join(" ");
}

async function request(r: VirtualRouteConfig): Promise<RouteMessage> {
  const oif = r.device ? (await linkByName(r.device)).data.index : undefined;
  return routeMessage(r, oif);
}

export async function addRoute(r: VirtualRouteConfig): Promise<"added" | "exists"> {
  const m = await request(r);
  try {
    await rtnl().newRoute(m.data, m.attrs, { flags: FlagsNew.CREATE | FlagsNew.EXCL });
    return "added";
  } catch (err) {
    if (netlinkErrno(err) === "EEXIST") return "exists";
    throw new Error(`adding route ${describeRoute(r)} failed: ${(err as Error).message}`);
  }
}

export async function deleteRoute(r: VirtualRouteConfig): Promise<"deleted" | "absent"> {
  const m = await request(r);
  try {
    await rtnl().delRoute(m.data, m.attrs);
    return "deleted";
  } catch (err) {
    if (netlinkErrno(err) === "ESRCH") return "absent";
    throw new Error(`deleting route ${describeRoute(r)} failed: ${(err as Error).message}`);
  }
}
