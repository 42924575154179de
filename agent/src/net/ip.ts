// IPv4 address helpers shared by every codec: dotted quads <-> bytes, CIDR parsing, RFC 1071 checksum.
import { isIPv4 } from "node:net";

export function ipToBytes(ip: string): Buffer {
  if (!isIPv4(ip)) throw new Error(`not an IPv4 address: ${ip}`);
  return Buffer.from(ip.split(".").map(Number));
}

export function bytesToIp(buf: Buffer, offset = 0): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
}

export function ipToInt(ip: string): number {
  return ipToBytes(ip).readUInt32BE(0);
}

export interface Cidr {
  address: string;
  prefix: number;
}

/** "10.0.0.1/24" -> {address, prefix}; a bare address gets /32. */
export function parseCidr(text: string): Cidr {
  const [address = "", prefixText] = text.split("/");
  const prefix = prefixText === undefined ? 32 : Number(prefixText);
  if (!isIPv4(address)) throw new Error(`not an IPv4 address: ${address}`);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`bad prefix length in ${text}`);
  return { address, prefix };
}

/** True when both addresses fall in the same prefix-length network. */
export function sameSubnet(a: string, b: string, prefix: number): boolean {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return (ipToInt(a) & mask) >>> 0 === (ipToInt(b) & mask) >>> 0;
}

/**
 * RFC 1071 Internet checksum over the concatenation of bufs: the one's complement of the one's
 * complement sum of 16-bit words (an odd trailing byte is padded with zero).
 */
export function internetChecksum(...bufs: Buffer[]): number {
  const data = bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs);
  let sum = 0;
  for (let i = 0; i + 1 < data.length; i += 2) sum += data.readUInt16BE(i);
  if (data.length % 2 === 1) sum += data[data.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
