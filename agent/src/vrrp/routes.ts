// The routes a master holds with its VIPs (keepalived virtual_routes) and the addresses held all the
// time (static_ipaddress), added and removed over rtnetlink. As vips.ts: failures are collected per
// route or address, so one bad entry does not keep the others away.
import type { StaticAddressConfig, VirtualRouteConfig } from "../config/routes.ts";
import { addAddress, deleteAddress } from "../net/address.ts";
import { addRoute, deleteRoute, describeRoute } from "../net/route.ts";
import type { VipChange } from "./vips.ts";

async function each<T>(
  items: readonly T[],
  op: (x: T) => Promise<string>,
  word: string,
  name: (x: T) => string,
): Promise<VipChange> {
  const out: VipChange = { changed: [], errors: [] };
  for (const x of items) {
    try {
      if ((await op(x)) === word) out.changed.push(name(x));
    } catch (err) {
      out.errors.push(`${name(x)}: ${(err as Error).message}`);
    }
  }
  return out;
}

export const addRoutes = (routes: readonly VirtualRouteConfig[]) => each(routes, addRoute, "added", describeRoute);
// Removed newest first: a route through another of the list goes before it.
export const removeRoutes = (routes: readonly VirtualRouteConfig[]) =>
  each([...routes].reverse(), deleteRoute, "deleted", describeRoute);

const SCOPE = { global: 0, site: 200, link: 253, host: 254 } as const;
const withPrefix = (a: string) => (a.includes("/") ? a : `${a}/32`);
const staticName = (a: StaticAddressConfig) => `${a.address} dev ${a.device}`;

export const addStaticAddresses = (list: readonly StaticAddressConfig[]) =>
  each(list, (a) => addAddress(a.device, withPrefix(a.address), a.broadcast, SCOPE[a.scope]), "added", staticName);
export const removeStaticAddresses = (list: readonly StaticAddressConfig[]) =>
  each(list, (a) => deleteAddress(a.device, withPrefix(a.address)), "deleted", staticName);
