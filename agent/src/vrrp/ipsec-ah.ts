// IPsec AH (RFC 2402) around a VRRPv2 advert, byte for byte as keepalived 2.2.7 does it (vrrp.c
// vrrp_build_ipsecah / vrrp_update_pkt / vrrp_in_chk_ipsecah, vrrp_ipsecah.c hmac_md5): IPv4 protocol 51,
// then a 24-byte AH header (Next Header 112, Payload Len 4, SPI = the sender's IPv4 address, a sequence
// number, a 96-bit ICV), then the VRRP message with Auth Type 2 and zero Authentication Data. The ICV is
// HMAC-MD5 truncated to 12 bytes, keyed with auth_pass zero-padded to 8 bytes, over the IP header with
// its mutable fields zeroed (TOS, flags/fragment offset, header checksum; TTL too when unicast), the AH
// header with a zero ICV, and the VRRP message. Pure: no sockets, no state (the sequence counter is the
// instance's: see AhSequence).
import { createHmac, timingSafeEqual } from "node:crypto";
import { bytesToIp, internetChecksum, ipToBytes } from "../net/ip.ts";
import { IPPROTO_VRRP, IPV4_HEADER_LEN } from "../net/ipv4.ts";

export const IPPROTO_AH = 51;
/** Next Header, Payload Len, Reserved, SPI, Sequence Number, 12-byte ICV */
export const AH_LEN = 24;
/** RFC 2402 2.2: the AH length in 32-bit words minus 2 (keepalived IPSEC_AH_PLEN) */
const AH_PAYLOAD_LEN = 4;
const ICV_AT = 12;
const ICV_LEN = 12; // HMAC-MD5-96
const KEY_LEN = 8; // keepalived's auth_data: the password, zero-padded

export interface AhSend {
  src: string;
  dst: string;
  /** IP ID: keepalived counts up from 1, never 0 (the kernel would overwrite 0 after the ICV is made) */
  id: number;
  seq: number;
  password: string;
  /** unicast peers: the TTL is left out of the ICV (keepalived's VRRP_FLAG_UNICAST) */
  unicast: boolean;
}

export interface ReceivedAh {
  spi: string;
  seq: number;
  /** the whole packet as received, for the ICV check */
  packet: Buffer;
  headerLength: number;
}

function key(password: string): Buffer {
  const k = Buffer.alloc(KEY_LEN);
  Buffer.from(password, "utf8").copy(k, 0, 0, KEY_LEN);
  return k;
}

/** The 12-byte ICV over a packet whose IP header and AH header are `packet[0, vrrpAt)`. */
function icvOf(packet: Buffer, headerLength: number, password: string, unicast: boolean): Buffer {
  const signed = Buffer.from(packet);
  signed[1] = 0; // TOS
  signed.writeUInt16BE(0, 6); // flags, fragment offset
  signed.writeUInt16BE(0, 10); // header checksum
  if (unicast) signed[8] = 0; // TTL
  signed.fill(0, headerLength + ICV_AT, headerLength + ICV_AT + ICV_LEN);
  return createHmac("md5", key(password)).update(signed).digest().subarray(0, ICV_LEN);
}

/** A whole IPv4 + AH + VRRP packet for an IP_HDRINCL socket (TOS 0xc0, no DF, TTL 255, as keepalived). */
export function buildAhPacket(o: AhSend, vrrp: Buffer): Buffer {
  const total = IPV4_HEADER_LEN + AH_LEN + vrrp.length;
  const p = Buffer.alloc(total);
  p[0] = 0x45;
  p[1] = 0xc0;
  p.writeUInt16BE(total, 2);
  p.writeUInt16BE(o.id, 4);
  p[8] = 255;
  p[9] = IPPROTO_AH;
  ipToBytes(o.src).copy(p, 12);
  ipToBytes(o.dst).copy(p, 16);
  const ah = IPV4_HEADER_LEN;
  p[ah] = IPPROTO_VRRP;
  p[ah + 1] = AH_PAYLOAD_LEN;
  ipToBytes(o.src).copy(p, ah + 4); // SPI: the sender's address (keepalived's choice)
  p.writeUInt32BE(o.seq >>> 0, ah + 8);
  vrrp.copy(p, ah + AH_LEN);
  icvOf(p, IPV4_HEADER_LEN, o.password, o.unicast).copy(p, ah + ICV_AT);
  p.writeUInt16BE(internetChecksum(p.subarray(0, IPV4_HEADER_LEN)), 10);
  return p;
}

export type AhParse = { ok: true; ah: ReceivedAh; vrrp: Buffer } | { ok: false; detail: string };

/** The AH header after an IPv4 header of `headerLength` bytes; `payload` is everything after the IP header. */
export function parseAh(packet: Buffer, headerLength: number, payload: Buffer): AhParse {
  if (payload.length < AH_LEN) return { ok: false, detail: `AH header of ${payload.length} bytes, needs ${AH_LEN}` };
  if (payload[0] !== IPPROTO_VRRP) return { ok: false, detail: `AH Next Header ${payload[0]}, not VRRP` };
  if (payload[1] !== AH_PAYLOAD_LEN)
    return { ok: false, detail: `AH Payload Len ${payload[1]}, expected ${AH_PAYLOAD_LEN} (HMAC-MD5-96)` };
  const end = headerLength + payload.length;
  return {
    ok: true,
    ah: {
      spi: bytesToIp(payload, 4),
      seq: payload.readUInt32BE(8),
      packet: Buffer.from(packet.subarray(0, end)),
      headerLength,
    },
    vrrp: payload.subarray(AH_LEN),
  };
}

/** Why a received AH fails for this password and source, or undefined when the ICV and SPI hold. */
export function ahProblem(ah: ReceivedAh, src: string, password: string, unicast: boolean): string | undefined {
  const want = icvOf(ah.packet, ah.headerLength, password, unicast);
  const got = ah.packet.subarray(ah.headerLength + ICV_AT, ah.headerLength + ICV_AT + ICV_LEN);
  if (!timingSafeEqual(want, got))
    return `AH ICV (HMAC-MD5-96) differs: another auth_pass, or the peer ${unicast ? "does not send unicast" : "sends unicast"} as this instance does${unicast ? "" : " not"}`;
  if (ah.spi !== src) return `AH SPI ${ah.spi} is not the sender's address ${src}`;
  return undefined;
}

/**
 * The anti-replay counter keepalived keeps per instance: what it receives must be above it; what it
 * sends goes one above it; a lower-priority advert to a master moves it past that advert's number.
 */
export class AhSequence {
  constructor(private last = 0) {}

  get value(): number {
    return this.last;
  }

  /** The number for the next advert (the same for each unicast copy of it). */
  next(): number {
    if (this.last < 0xfffffffd) this.last++;
    return this.last;
  }

  /** True when seq is new (and taken as the counter); false for a replay. */
  accept(seq: number): boolean {
    if (seq <= this.last) return false;
    this.last = seq;
    return true;
  }

  /** keepalived: a master hearing a lower priority takes seq + 1. */
  syncPast(seq: number): void {
    this.last = Math.min(seq + 1, 0xfffffffd);
  }
}
