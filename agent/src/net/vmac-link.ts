// Creating and removing a VRRP virtual MAC interface (net/vmac.ts) over rtnetlink, as keepalived's
// use_vmac does: a private-mode macvlan on the base interface with the virtual MAC, up, with ARP left
// to it; removed again on shutdown when this agent created it. I/O shell.
import { FlagsNew } from "netlink";
import { formatMac, linkByName, netlinkErrno, rtnl } from "../native/rtnl.ts";
import { readSysctls, writeSysctl } from "./sysctl.ts";
import { macBytes, macvlanLinkInfo, vmacAddress, vmacSysctls } from "./vmac.ts";

export interface Vmac {
  name: string;
  mac: string;
  /** created by this call (removed by removeVmac), or found already there (left alone) */
  created: boolean;
  /** the sysctls' values before, to put back on removal */
  saved: Record<string, string | undefined>;
}

/**
 * The vmac `name` on `base` for `vrid`, up: created, or an existing macvlan with the virtual MAC taken
 * over (a crashed run's). Another interface of that name is an error naming what to do.
 */
export async function ensureVmac(base: string, name: string, vrid: number): Promise<Vmac> {
  const mac = vmacAddress(vrid);
  const existing = await linkByName(name).catch(() => undefined);
  let created = false;
  if (existing) {
    const have = formatMac(existing.attrs.address);
    if (have !== mac)
      throw new Error(
        `interface ${name} already exists with MAC ${have}, not VRID ${vrid}'s virtual MAC ${mac}: remove it, or give use_vmac another name`,
      );
  } else {
    const lower = await linkByName(base);
    const link = Buffer.alloc(4);
    link.writeUInt32LE(lower.data.index!);
    try {
      await rtnl().newLink(
        {},
        { ifname: name, link, address: macBytes(mac), linkinfo: macvlanLinkInfo() },
        { flags: FlagsNew.CREATE | FlagsNew.EXCL },
      );
    } catch (err) {
      throw new Error(`creating vmac ${name} (macvlan on ${base}, ${mac}) failed: ${(err as Error).message}`);
    }
    created = true;
  }
  const index = (await linkByName(name)).data.index!;
  await rtnl().setLink({ index, flags: { up: true }, change: { up: true } });
  const wanted = vmacSysctls(name, base);
  const saved = await readSysctls(Object.keys(wanted));
  for (const [key, value] of Object.entries(wanted)) await writeSysctl(key, String(value));
  return { name, mac, created, saved };
}

/** Undo ensureVmac: the base interface's sysctls back, and the interface gone if this agent made it. */
export async function removeVmac(v: Vmac): Promise<void> {
  for (const [key, value] of Object.entries(v.saved))
    if (value !== undefined && !key.includes(`.${v.name.replace(/\./g, "/")}.`))
      await writeSysctl(key, value).catch(() => undefined);
  if (!v.created) return;
  try {
    const link = await linkByName(v.name);
    await rtnl().delLink({ index: link.data.index! });
  } catch (err) {
    if (netlinkErrno(err) !== "ENODEV" && !/does not exist/.test((err as Error).message)) throw err;
  }
}
