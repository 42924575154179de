// Interface state over rtnetlink. watchLink subscribes to RTMGRP_LINK (npm netlink supports multicast
// groups), so a change is seen as soon as the kernel announces it: no polling.
import { createRtNetlink, rt } from "netlink";
import { formatMac, linkByName } from "../native/rtnl.ts";
import { listAddressesByIndex } from "./address.ts";

export interface LinkInfo {
  name: string;
  index: number;
  mac: string;
  up: boolean;
  /** operational: carrier and admin up */
  running: boolean;
  addresses: { address: string; prefix: number }[];
}

/**
 * Admin up (IFF_UP) and carrier (IFF_LOWER_UP), read directly. IFF_RUNNING would be the RFC 2863
 * operstate instead, which linkwatch derives from carrier asynchronously (it may batch non-urgent
 * changes for up to a second); carrier is what VRRP cares about. Both changed within ~5 ms on veth here.
 */
function isRunning(flags: rt.DeviceFlags | undefined): boolean {
  return Boolean(flags?.up && flags.lowerUp);
}

export async function getLink(ifname: string): Promise<LinkInfo> {
  const link = await linkByName(ifname);
  const index = link.data.index ?? 0;
  return {
    name: link.attrs.ifname ?? ifname,
    index,
    mac: formatMac(link.attrs.address),
    up: Boolean(link.data.flags?.up),
    running: isRunning(link.data.flags),
    addresses: await listAddressesByIndex(index),
  };
}

/**
 * Calls cb(running) whenever ifname's running state changes (not for the initial state; read that
 * with getLink). The interface disappearing counts as not running. Returns a stop function.
 */
export function watchLink(ifname: string, cb: (running: boolean) => void): () => void {
  const sock = createRtNetlink();
  // ref: the subscription alone must keep the process alive, like a timer would.
  sock.socket.ref(true);
  let last: boolean | undefined; // undefined until the first observation, which is not a change
  const report = (running: boolean) => {
    if (running === last) return;
    const changed = last !== undefined;
    last = running;
    if (changed) cb(running);
  };
  // Queried on the subscribed socket itself, so the reply and the notifications arrive in kernel order.
  const resync = () =>
    linkByName(ifname, sock).then(
      (l) => report(isRunning(l.data.flags)),
      () => report(false),
    );
  // The raw layer keeps the message type, which tells RTM_DELLINK (interface gone) from RTM_NEWLINK.
  sock.socket.on("message", (msgs) => {
    for (const m of msgs) {
      if (m.type !== rt.MessageType.NEWLINK && m.type !== rt.MessageType.DELLINK) continue;
      const link = rt.parseLinkMessage(m.data);
      if (link.attrs.ifname === ifname) report(m.type === rt.MessageType.NEWLINK && isRunning(link.data.flags));
    }
  });
  // ENOBUFS means the kernel dropped notifications on an overrun: re-read the state instead.
  sock.socket.on("error", () => void resync());
  sock.addMembership("LINK");
  void resync(); // after subscribing, so no change between the two is lost
  return () => sock.socket.close();
}
