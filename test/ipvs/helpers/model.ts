// Builders for IPVS model values in tests: a service with no flags and per-client persistence mask, a
// destination without thresholds; `more` overrides any field.
import type { IpvsDest, IpvsService, IpvsServiceFlags, IpvsServiceKey } from "../../../agent/src/ipvs/codec.ts";

export const NO_FLAGS: IpvsServiceFlags = {
  persistent: false,
  onePacket: false,
  schedFlag1: false,
  schedFlag2: false,
  schedFlag3: false,
};

export const service = (key: IpvsServiceKey, scheduler: string, more: Partial<IpvsService> = {}): IpvsService =>
  ({
    ...key,
    scheduler,
    flags: NO_FLAGS,
    timeout: 0,
    netmask: "fwmark" in key && key.family === "inet6" ? 128 : 32,
    ...more,
  }) as IpvsService;

export const dest = (
  address: string,
  port: number,
  fwd: IpvsDest["fwd"],
  weight: number,
  more: Partial<IpvsDest> = {},
): IpvsDest => ({
  address,
  port,
  fwd,
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
  ...more,
});
