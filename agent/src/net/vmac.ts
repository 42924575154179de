// The VRRP virtual MAC interface as keepalived's use_vmac makes it, as data: its address (RFC 5798 7.3,
// 00-00-5E-00-01-{VRID} for IPv4), the IFLA_LINKINFO that asks rtnetlink for a private-mode macvlan,
// and the sysctls that make ARP for the VIPs answered by the vmac (its virtual MAC) and not by the
// interface below it. Pure; net/vmac-link.ts does the I/O.

/** 00:00:5e:00:01:<vrid>, the IPv4 VRRP virtual router MAC. */
export function vmacAddress(vrid: number): string {
  if (!Number.isInteger(vrid) || vrid < 1 || vrid > 255) throw new RangeError(`VRID ${vrid} is not 1-255`);
  return `00:00:5e:00:01:${vrid.toString(16).padStart(2, "0")}`;
}

export function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(":").map((h) => parseInt(h, 16)));
}

// linux/if_link.h
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const IFLA_MACVLAN_MODE = 1;
/** MACVLAN_MODE_PRIVATE: the vmac talks to no other macvlan on the same interface, as keepalived's */
export const MACVLAN_MODE_PRIVATE = 1;

function nla(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  const out = Buffer.alloc((len + 3) & ~3);
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  payload.copy(out, 4);
  return out;
}

/**
 * The payload of IFLA_LINKINFO for a macvlan in `mode`: {KIND "macvlan", DATA {MACVLAN_MODE mode}},
 * byte for byte what iproute2 sends for `ip link add ... type macvlan mode private`.
 */
export function macvlanLinkInfo(mode = MACVLAN_MODE_PRIVATE): Buffer {
  const modeValue = Buffer.alloc(4);
  modeValue.writeUInt32LE(mode);
  return Buffer.concat([
    nla(IFLA_INFO_KIND, Buffer.from("macvlan")),
    nla(IFLA_INFO_DATA, nla(IFLA_MACVLAN_MODE, modeValue)),
  ]);
}

/**
 * keepalived's interface parameters for a vmac (vrrp_if_config.c): on the vmac, answer ARP only for its
 * own addresses (arp_ignore 1), take packets from the base interface's addresses (accept_local 1,
 * rp_filter 0) and keep secondaries when a primary goes (promote_secondaries 1); on the base,
 * arp_ignore 1 and arp_filter 1, so it stops answering for the VIPs with its own MAC.
 */
export function vmacSysctls(vmac: string, base: string): Record<string, number> {
  const conf = (dev: string, key: string) => `net.ipv4.conf.${dev.replace(/\./g, "/")}.${key}`;
  return {
    [conf(vmac, "arp_ignore")]: 1,
    [conf(vmac, "accept_local")]: 1,
    [conf(vmac, "rp_filter")]: 0,
    [conf(vmac, "promote_secondaries")]: 1,
    [conf(base, "arp_ignore")]: 1,
    [conf(base, "arp_filter")]: 1,
  };
}

/**
 * The instance as it runs with use_vmac: its virtual addresses that name no device live on the vmac
 * (keepalived's rule); those given a `dev` stay where they were put.
 */
export function withVmacDevices<
  T extends { vmac?: { name: string }; virtualAddresses: { address: string; device?: string }[] },
>(cfg: T): T {
  const vmac = cfg.vmac;
  if (!vmac) return cfg;
  return { ...cfg, virtualAddresses: cfg.virtualAddresses.map((v) => ({ ...v, device: v.device ?? vmac.name })) };
}
