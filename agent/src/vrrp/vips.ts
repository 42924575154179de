// The virtual addresses a master holds, added and removed over rtnetlink. Failures are collected per
// address so one bad address does not keep the others off the wire.
import type { VrrpInstanceConfig } from "../config/schema.ts";
import { addAddress, deleteAddress } from "../net/address.ts";

function withPrefix(address: string): string {
  return address.includes("/") ? address : `${address}/32`;
}

export interface VipChange {
  /** addresses the kernel really changed ("added" / "deleted"), as "addr dev ifname" */
  changed: string[];
  errors: string[];
}

type Op = (ifname: string, cidr: string, broadcast?: string) => Promise<string>;

async function each(cfg: VrrpInstanceConfig, op: Op, changedWord: string): Promise<VipChange> {
  const out: VipChange = { changed: [], errors: [] };
  for (const v of cfg.virtualAddresses) {
    const dev = v.device ?? cfg.interface;
    try {
      if ((await op(dev, withPrefix(v.address), v.broadcast)) === changedWord)
        out.changed.push(`${v.address} dev ${dev}`);
    } catch (err) {
      out.errors.push(`${v.address} dev ${dev}: ${(err as Error).message}`);
    }
  }
  return out;
}

export function addVips(cfg: VrrpInstanceConfig): Promise<VipChange> {
  return each(cfg, addAddress, "added");
}

export function removeVips(cfg: VrrpInstanceConfig): Promise<VipChange> {
  return each(cfg, deleteAddress, "deleted");
}
