// IPv4 header codec (RFC 791). VRRP is sent with IP_HDRINCL because raw-socket cannot bind(), so the
// agent writes the header itself: TTL 255 (RFC 5798 5.1.1.3), protocol 112, its chosen source address.
import { bytesToIp, internetChecksum, ipToBytes } from "./ip.ts";

export const IPPROTO_VRRP = 112;
export const IPV4_HEADER_LEN = 20;

export interface Ipv4Header {
  src: string;
  dst: string;
  ttl: number;
  protocol: number;
  /** total length field */
  totalLength: number;
  headerLength: number;
  tos: number;
}

export interface Ipv4BuildOptions {
  src: string;
  dst: string;
  protocol?: number;
  ttl?: number;
  /** 0xc0 = precedence "internetwork control", what keepalived sends VRRP with */
  tos?: number;
  id?: number;
}

export function buildIpv4(opts: Ipv4BuildOptions, payload: Buffer): Buffer {
  const h = Buffer.alloc(IPV4_HEADER_LEN);
  h[0] = 0x45; // version 4, IHL 5 words
  h[1] = opts.tos ?? 0xc0;
  h.writeUInt16BE(IPV4_HEADER_LEN + payload.length, 2);
  h.writeUInt16BE(opts.id ?? 0, 4);
  h.writeUInt16BE(0x4000, 6); // DF, offset 0
  h[8] = opts.ttl ?? 255;
  h[9] = opts.protocol ?? IPPROTO_VRRP;
  ipToBytes(opts.src).copy(h, 12);
  ipToBytes(opts.dst).copy(h, 16);
  h.writeUInt16BE(internetChecksum(h), 10);
  return Buffer.concat([h, payload]);
}

export type Ipv4Parse = { ok: true; header: Ipv4Header; payload: Buffer } | { ok: false; detail: string };

/** Parse the header a raw socket hands us; payload is bounded by the header's total length. */
export function parseIpv4(buf: Buffer): Ipv4Parse {
  if (buf.length < IPV4_HEADER_LEN)
    return { ok: false, detail: `packet of ${buf.length} bytes is shorter than an IPv4 header` };
  const version = buf[0]! >> 4;
  const headerLength = (buf[0]! & 0x0f) * 4;
  if (version !== 4) return { ok: false, detail: `IP version ${version}` };
  if (headerLength < IPV4_HEADER_LEN || headerLength > buf.length)
    return { ok: false, detail: `bad IHL ${headerLength}` };
  // Linux hands raw sockets the total length in network order; trust the smaller of it and the buffer.
  const totalLength = Math.min(buf.readUInt16BE(2), buf.length);
  if (totalLength < headerLength) return { ok: false, detail: `total length ${totalLength} below header length` };
  const header: Ipv4Header = {
    src: bytesToIp(buf, 12),
    dst: bytesToIp(buf, 16),
    ttl: buf[8]!,
    protocol: buf[9]!,
    totalLength,
    headerLength,
    tos: buf[1]!,
  };
  return { ok: true, header, payload: buf.subarray(headerLength, totalLength) };
}
