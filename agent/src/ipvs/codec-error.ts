// The IPVS codec's error (pure): a value the kernel would refuse, or a reply the codec cannot read. Its
// own file so that the codec's parts (inet-addr.ts, codec.ts) share it without importing each other.
import { NlaError } from "./nla.ts";

/** A value the kernel would refuse, or a reply we cannot read; malformed attributes throw its base, NlaError. */
export class IpvsCodecError extends NlaError {
  override name = "IpvsCodecError";
}
