// IP addresses as IPVS carries them (pure): union nf_inet_addr (16 bytes whatever the family, an IPv4
// address in the first four), the address families' numbers, and the RFC 5952 text form decoding yields.
import { isIPv4, isIPv6 } from "node:net";
import { IpvsCodecError } from "./codec-error.ts";
import type { IpvsFamily } from "./types.ts";

const AF_INET = 2;
const AF_INET6 = 10;

export function familyOf(address: string): IpvsFamily {
  if (isIPv4(address)) return "inet";
  if (isIPv6(address)) return "inet6";
  throw new IpvsCodecError(`not an IP address: ${address}`);
}
export const afNumber = (f: IpvsFamily) => (f === "inet" ? AF_INET : AF_INET6);
export function afName(af: number): IpvsFamily {
  if (af === AF_INET) return "inet";
  if (af === AF_INET6) return "inet6";
  throw new IpvsCodecError(`unknown address family ${af}`);
}

function ipv6Groups(address: string): number[] {
  const withoutV4 = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a, b, c, d) =>
    [(+a << 8) | +b, (+c << 8) | +d].map((n) => n.toString(16)).join(":"),
  );
  const [head = "", tail] = withoutV4.split("::");
  const parse = (s: string) => (s === "" ? [] : s.split(":").map((g) => parseInt(g, 16)));
  const h = parse(head);
  const t = tail === undefined ? [] : parse(tail);
  return [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
}

/** union nf_inet_addr: 16 bytes, an IPv4 address in the first four. */
export function encodeInetAddr(address: string): Buffer {
  const out = Buffer.alloc(16);
  if (familyOf(address) === "inet") address.split(".").forEach((o, i) => out.writeUInt8(Number(o), i));
  else ipv6Groups(address).forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** RFC 5952 text form: lower case, the longest run (2+) of zero groups as "::". */
function formatIpv6(b: Buffer): string {
  const groups = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2));
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; i++) {
    let len = 0;
    while (i + len < 8 && groups[i + len] === 0) len++;
    if (len > best.len) best = { at: i, len };
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(":");
  return `${hex.slice(0, best.at).join(":")}::${hex.slice(best.at + best.len).join(":")}`;
}

export function decodeInetAddr(b: Buffer, family: IpvsFamily): string {
  if (b.length < (family === "inet" ? 4 : 16))
    throw new IpvsCodecError(`${family === "inet" ? "IPv4" : "IPv6"} address of ${b.length} bytes`);
  if (family === "inet") return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  return formatIpv6(b);
}

/** The form decoding yields (RFC 5952 for IPv6), for comparing configured addresses with listed ones. */
export function canonicalAddress(address: string): string {
  return decodeInetAddr(encodeInetAddr(address), familyOf(address));
}
