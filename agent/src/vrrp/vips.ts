// The virtual addresses a master holds, added and removed over rtnetlink. Failures are collected per
// address so one bad address does not keep the others off the wire.
import type { VrrpInstanceConfig } from "../config/schema.ts";
import { addAddress, deleteAddress } from "../net/address.ts";

function withPrefix(address: string): string {
  return address.includes("/") ? address : `${address}/32`;
}

type Op = (ifname: string, cidr: string) => Promise<unknown>;

async function each(cfg: VrrpInstanceConfig, op: Op): Promise<string[]> {
  const errors: string[] = [];
  for (const v of cfg.virtualAddresses) {
    const dev = v.device ?? cfg.interface;
    try {
      await op(dev, withPrefix(v.address));
    } catch (err) {
      errors.push(`${v.address} dev ${dev}: ${(err as Error).message}`);
    }
  }
  return errors;
}

export function addVips(cfg: VrrpInstanceConfig): Promise<string[]> {
  return each(cfg, addAddress);
}

export function removeVips(cfg: VrrpInstanceConfig): Promise<string[]> {
  return each(cfg, deleteAddress);
}
