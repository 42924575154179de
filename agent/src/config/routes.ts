// Addresses and routes lvs-agent adds beside the VIPs (keepalived static_ipaddress, virtual_routes,
// virtual_ipaddress_excluded): their zod schemas, embedded by schema.ts. IPv4. Pure.
import { z } from "zod";
import { isIPv4 } from "node:net";
import { ifname, ipv4 } from "./fields.ts";

const prefix = z.string().refine(
  (s) => {
    const [a = "", p] = s.split("/");
    return isIPv4(a) && (p === undefined || (/^\d+$/.test(p) && Number(p) <= 32));
  },
  { message: "must be an IPv4 prefix (ADDRESS[/LEN]) or default" },
);

export const SCOPES = ["global", "site", "link", "host"] as const;

/** An address the agent holds all the time it runs (keepalived static_ipaddress). */
export const StaticAddress = z.object({
  address: prefix,
  device: ifname,
  scope: z.enum(SCOPES).default("global"),
  /** "+" = the prefix's broadcast address, or an address (keepalived brd) */
  broadcast: z.union([z.literal("+"), ipv4]).optional(),
});

/** A route the master holds with its VIPs (keepalived virtual_routes), in `ip route` terms. */
export const VirtualRoute = z.object({
  /** "default" or PREFIX[/LEN] */
  to: z.union([z.literal("default"), prefix]),
  via: ipv4.optional(),
  device: ifname.optional(),
  /** preferred source address (ip route ... src) */
  src: ipv4.optional(),
  scope: z.enum(SCOPES).optional(),
  metric: z.number().int().min(0).max(0xffffffff).optional(),
  /** routing table number; default main (254) */
  table: z.number().int().min(1).max(0xfffffffe).optional(),
  /** unicast (default) or a route that drops: blackhole, unreachable, prohibit */
  type: z.enum(["unicast", "blackhole", "unreachable", "prohibit"]).default("unicast"),
});

export type StaticAddressConfig = z.infer<typeof StaticAddress>;
export type VirtualRouteConfig = z.infer<typeof VirtualRoute>;
