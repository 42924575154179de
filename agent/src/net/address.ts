// Interface addresses (the VIPs) over rtnetlink. Idempotent by asking the kernel, not by remembering:
// NLM_F_EXCL makes a duplicate add fail with EEXIST, and deleting a missing address fails with
// EADDRNOTAVAIL, so the answer reflects the kernel even after hand edits or an agent restart.
import { FlagsNew } from "netlink";
import { linkByName, netlinkErrno, rtnl } from "../native/rtnl.ts";
import { bytesToIp, ipToBytes, parseCidr, type Cidr } from "./ip.ts";

const AF_INET = 2;

/** The broadcast address `ip addr add ... brd +` sets: the address with the host bits all ones. */
export function broadcastOf(cidr: string): string {
  const { address, prefix } = parseCidr(cidr);
  const b = ipToBytes(address);
  const host = prefix >= 32 ? 0 : 0xffffffff >>> prefix;
  b.writeUInt32BE((b.readUInt32BE(0) | host) >>> 0, 0);
  return bytesToIp(b, 0);
}

async function addressRequest(ifname: string, cidr: string, broadcast?: string, scope?: number) {
  const { address, prefix } = parseCidr(cidr);
  const link = await linkByName(ifname);
  const local = ipToBytes(address);
  // IFA_ADDRESS = IFA_LOCAL on broadcast links, as `ip addr add` sends it.
  const attrs = { local, address: local };
  const brd = broadcast === "+" ? broadcastOf(cidr) : broadcast;
  return {
    data: { family: AF_INET, prefixlen: prefix, index: link.data.index, ...(scope ? { scope } : {}) },
    attrs: brd ? { ...attrs, broadcast: ipToBytes(brd) } : attrs,
  };
}

/** Adds cidr to ifname; scope is the kernel's number (0 global, 253 link, 254 host). */
export async function addAddress(
  ifname: string,
  cidr: string,
  broadcast?: string,
  scope?: number,
): Promise<"added" | "exists"> {
  const req = await addressRequest(ifname, cidr, broadcast, scope);
  try {
    await rtnl().newAddress(req.data, req.attrs, { flags: FlagsNew.CREATE | FlagsNew.EXCL });
    return "added";
  } catch (err) {
    if (netlinkErrno(err) === "EEXIST") return "exists";
    throw new Error(`adding ${cidr} to ${ifname} failed: ${(err as Error).message}`);
  }
}

export async function deleteAddress(ifname: string, cidr: string): Promise<"deleted" | "absent"> {
  const req = await addressRequest(ifname, cidr);
  try {
    await rtnl().delAddress(req.data, req.attrs);
    return "deleted";
  } catch (err) {
    if (netlinkErrno(err) === "EADDRNOTAVAIL") return "absent";
    throw new Error(`deleting ${cidr} from ${ifname} failed: ${(err as Error).message}`);
  }
}

/** IPv4 addresses on the interface with this index, in the kernel's order (primaries, then secondaries). */
export async function listAddressesByIndex(index: number): Promise<Cidr[]> {
  // A full dump filtered here: kernel-side dump filtering needs strict checking, which we do not set.
  const all = await rtnl().getAddresses({ family: AF_INET });
  return all
    .filter((a) => a.data.index === index && a.attrs.local)
    .map((a) => ({ address: bytesToIp(a.attrs.local!), prefix: a.data.prefixlen ?? 32 }));
}

export async function listAddresses(ifname: string): Promise<Cidr[]> {
  const link = await linkByName(ifname);
  return listAddressesByIndex(link.data.index!);
}
