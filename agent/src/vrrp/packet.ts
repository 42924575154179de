// VRRP advertisement codec: VRRPv3 (RFC 5798) and VRRPv2 (RFC 3768) over IPv4. Pure: no sockets, no
// clock, no config lookups, so it can be tested against golden bytes and fuzzed.
//
// Wire layouts (one row = 32 bits):
//   v3: Version|Type  Virtual Rtr ID  Priority  Count IPvX Addr | Rsvd(4) Max Adver Int(12)  Checksum
//       IPvX Address(es)
//   v2: Version|Type  Virtual Rtr ID  Priority  Count IP Addrs  | Auth Type  Adver Int  Checksum
//       IP Address(es), Authentication Data (8 bytes)
import { bytesToIp, internetChecksum, ipToBytes } from "../net/ip.ts";
import { IPPROTO_VRRP, buildIpv4, parseIpv4 } from "../net/ipv4.ts";
import { ahProblem, IPPROTO_AH, parseAh, type ReceivedAh } from "./ipsec-ah.ts";

export type VrrpVersion = 2 | 3;
// v2 only: RFC 3768 type 1 = simple text, 8 bytes zero-padded; type 2 = IPsec AH (ipsec-ah.ts), whose
// password keys the AH ICV (a received advert's has none: the ICV is checked against the instance's).
export type VrrpAuth = { type: "none" } | { type: "pass"; password: string } | { type: "ah"; password?: string };
export interface Advertisement {
  version: VrrpVersion;
  vrid: number;
  priority: number;
  /** advertisement interval in centiseconds: v3 Max Adver Int (12 bits, cs); v2 Adver Int (8 bits, seconds) * 100 */
  intervalCs: number;
  addresses: string[]; // IPv4 dotted quads
  auth?: VrrpAuth; // v2 only
}
export type DropReason =
  "malformed" | "ttl" | "version" | "type" | "checksum" | "vrid" | "auth" | "interval" | "addresses";
export type ParseResult =
  | { ok: true; src: string; dst: string; ttl: number; advert: Advertisement; ah?: ReceivedAh }
  | { ok: false; reason: DropReason; detail: string };
export interface InstanceView {
  version: VrrpVersion;
  vrid: number;
  intervalCs: number;
  addresses: string[];
  auth?: VrrpAuth;
  /** AH only: unicast peers leave the TTL out of the ICV */
  unicast?: boolean;
}
/** What the per-instance checks need of the packet beyond the advert: its source and AH header. */
export interface Received {
  src: string;
  ah?: ReceivedAh;
}
export type CheckResult = { ok: true; addressMismatch: boolean } | { ok: false; reason: DropReason; detail: string };

type Drop = { ok: false; reason: DropReason; detail: string };

const HEADER_LEN = 8; // Version/Type through Checksum, both versions
const AUTH_DATA_LEN = 8; // v2 Authentication Data
const TYPE_ADVERTISEMENT = 1; // the only Type either RFC defines
const AUTH_TYPE_NONE = 0;
const AUTH_TYPE_SIMPLE = 1; // RFC 3768 5.3.6.1: simple text password
const AUTH_TYPE_AH = 2; // RFC 2338 5.3.6.3: IP Authentication Header (keepalived auth_type AH)
/** RFC 5798 5.1.1.3 / RFC 3768 5.2.3: a router sends with TTL 255 so receivers can reject off-link senders. */
export const VRRP_TTL = 255;
/** RFC 5798 5.1.1.3: precedence "internetwork control", as keepalived sends (captured fixtures agree). */
export const VRRP_TOS = 0xc0;
const MAX_ADVER_INT_MASK = 0x0fff; // low 12 bits of bytes 4-5; the top 4 are Rsvd

function drop(reason: DropReason, detail: string): Drop {
  return { ok: false, reason, detail };
}

// ---------------------------------------------------------------------------------------------
// Checksum

/**
 * RFC 1071 sum over what the Checksum covers: v2 only the VRRP message (RFC 3768 5.3.8); v3 an IPv4
 * pseudo-header (src, dst, zero, protocol 112, VRRP length) then the message (RFC 5798 5.2.8). With the
 * Checksum field zeroed this is the value to send; over a received message it is 0 when valid.
 */
function checksumOver(version: VrrpVersion, src: string, dst: string, msg: Buffer): number {
  if (version === 2) return internetChecksum(msg);
  const pseudo = Buffer.alloc(12);
  ipToBytes(src).copy(pseudo, 0);
  ipToBytes(dst).copy(pseudo, 4);
  pseudo[9] = IPPROTO_VRRP;
  pseudo.writeUInt16BE(msg.length, 10);
  return internetChecksum(pseudo, msg);
}

// ---------------------------------------------------------------------------------------------
// Encode

function requireInt(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`VRRP ${field} must be an integer in ${min}-${max}, got ${value}`);
  }
}

/** Password bytes as they sit in Authentication Data: UTF-8, zero-padded, cut at 8 (keepalived cuts too). */
function passwordField(password: string): Buffer {
  const field = Buffer.alloc(AUTH_DATA_LEN);
  Buffer.from(password, "utf8").copy(field, 0, 0, AUTH_DATA_LEN);
  return field;
}

function validateAdvert(adv: Advertisement): void {
  if (adv.version !== 2 && adv.version !== 3)
    throw new Error(`VRRP version must be 2 or 3, got ${String(adv.version)}`);
  requireInt("vrid", adv.vrid, 1, 255);
  requireInt("priority", adv.priority, 0, 255);
  if (adv.version === 3)
    requireInt("intervalCs (v3 Max Adver Int, centiseconds)", adv.intervalCs, 1, MAX_ADVER_INT_MASK);
  else if (adv.intervalCs % 100 !== 0)
    throw new Error(`VRRP intervalCs must be whole seconds for v2 (Adver Int), got ${adv.intervalCs}`);
  else requireInt("intervalCs (v2 Adver Int, seconds)", adv.intervalCs / 100, 1, 255);
  requireInt("addresses count (Count IPvX Addr)", adv.addresses.length, 0, 255);
  if (adv.auth?.type === "ah" && adv.version !== 2) throw new Error("VRRP auth is v2 only (RFC 5798 removed it)");
  if (adv.auth?.type === "pass") {
    if (adv.version !== 2) throw new Error("VRRP auth is v2 only (RFC 5798 removed authentication)");
    const bytes = Buffer.byteLength(adv.auth.password, "utf8");
    if (bytes > AUTH_DATA_LEN)
      throw new Error(`VRRP auth password must be at most ${AUTH_DATA_LEN} bytes, got ${bytes}`);
  }
}

function addressBytes(addresses: string[]): Buffer {
  return Buffer.concat(
    addresses.map((a, i) => {
      try {
        return ipToBytes(a);
      } catch {
        throw new Error(`VRRP addresses[${i}] is not an IPv4 address: ${a}`);
      }
    }),
  );
}

/** Bytes 4-5 and the trailer, the only parts where v2 and v3 differ. */
function writeVersionFields(adv: Advertisement, msg: Buffer, trailerAt: number): void {
  if (adv.version === 3) {
    msg.writeUInt16BE(adv.intervalCs, 4); // Rsvd stays 0
    return;
  }
  const auth = adv.auth ?? { type: "none" };
  msg[4] = auth.type === "pass" ? AUTH_TYPE_SIMPLE : auth.type === "ah" ? AUTH_TYPE_AH : AUTH_TYPE_NONE;
  msg[5] = adv.intervalCs / 100;
  if (auth.type === "pass") passwordField(auth.password).copy(msg, trailerAt);
}

/** VRRP payload (no IP header) with its Checksum; throws an Error naming the field on bad input. */
export function encodeAdvert(adv: Advertisement, srcIp: string, dstIp: string): Buffer {
  validateAdvert(adv);
  for (const [field, ip] of [
    ["srcIp", srcIp],
    ["dstIp", dstIp],
  ] as const) {
    try {
      ipToBytes(ip);
    } catch {
      throw new Error(`VRRP ${field} is not an IPv4 address: ${ip}`);
    }
  }
  const addrs = addressBytes(adv.addresses);
  const msg = Buffer.alloc(HEADER_LEN + addrs.length + (adv.version === 2 ? AUTH_DATA_LEN : 0));
  msg[0] = (adv.version << 4) | TYPE_ADVERTISEMENT;
  msg[1] = adv.vrid;
  msg[2] = adv.priority;
  msg[3] = adv.addresses.length;
  addrs.copy(msg, HEADER_LEN);
  writeVersionFields(adv, msg, HEADER_LEN + addrs.length);
  msg.writeUInt16BE(checksumOver(adv.version, srcIp, dstIp, msg), 6);
  return msg;
}

/** Full packet for an IP_HDRINCL raw socket. */
export function buildAdvertPacket(adv: Advertisement, srcIp: string, dstIp: string): Buffer {
  const payload = encodeAdvert(adv, srcIp, dstIp);
  return buildIpv4({ src: srcIp, dst: dstIp, ttl: VRRP_TTL, protocol: IPPROTO_VRRP, tos: VRRP_TOS }, payload);
}

// ---------------------------------------------------------------------------------------------
// Parse

// ignoreBOM keeps a leading U+FEFF: stripping it would let "\uFEFFab" on the wire match a password "ab".
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * RFC 3768 5.3.6: Auth Type 0 ignores Authentication Data; type 1 is the password, zero-padded (only
 * trailing zeros are padding: keepalived compares all 8 bytes); type 2 is IPsec AH, whose header
 * parseUnguarded requires. Other types and non-UTF-8 passwords can match no instance: drop here.
 */
function decodeAuth(authType: number, data: Buffer): VrrpAuth | Drop {
  if (authType === AUTH_TYPE_NONE) return { type: "none" };
  if (authType === AUTH_TYPE_AH) return { type: "ah" }; // Authentication Data unused (zero from keepalived)
  if (authType !== AUTH_TYPE_SIMPLE) return drop("auth", `unsupported Auth Type ${authType}`);
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  try {
    return { type: "pass", password: strictUtf8.decode(data.subarray(0, end)) };
  } catch {
    return drop("auth", "Authentication Data is not UTF-8 text");
  }
}

type VersionFields = { intervalCs: number; auth?: VrrpAuth };

function decodeVersionFields(version: VrrpVersion, msg: Buffer, trailerAt: number): VersionFields | Drop {
  if (version === 3) {
    const maxAdverInt = msg.readUInt16BE(4) & MAX_ADVER_INT_MASK; // Rsvd ignored on receipt
    // A backup learns this value (RFC 5798 6.4.2); 0 would make its Master_Down_Interval only the skew.
    return maxAdverInt === 0 ? drop("interval", "Max Adver Int 0") : { intervalCs: maxAdverInt };
  }
  const adverInt = msg[5]!;
  if (adverInt === 0) return drop("interval", "Adver Int 0");
  const auth = decodeAuth(msg[4]!, msg.subarray(trailerAt, trailerAt + AUTH_DATA_LEN));
  return "ok" in auth ? auth : { intervalCs: adverInt * 100, auth };
}

function hex16(n: number): string {
  return `0x${n.toString(16).padStart(4, "0")}`;
}

/** Checksum of a received message: undefined when valid, else a detail naming sent and expected values. */
function checksumProblem(version: VrrpVersion, src: string, dst: string, msg: Buffer): string | undefined {
  if (checksumOver(version, src, dst, msg) === 0) return undefined;
  const zeroed = Buffer.from(msg);
  zeroed.writeUInt16BE(0, 6);
  const scope = version === 3 ? ` (v3: pseudo-header ${src} -> ${dst})` : "";
  return `Checksum ${hex16(msg.readUInt16BE(6))}, expected ${hex16(checksumOver(version, src, dst, zeroed))}${scope}`;
}

/** The VRRP message checks, in RFC 3768 7.1 / RFC 5798 7.1 order, that need no instance config. */
function parseVrrp(msg: Buffer, src: string, dst: string): Advertisement | Drop {
  if (msg.length < HEADER_LEN)
    return drop("malformed", `VRRP message of ${msg.length} bytes is shorter than its ${HEADER_LEN}-byte header`);
  const version = msg[0]! >> 4;
  if (version !== 2 && version !== 3) return drop("version", `Version ${version}`);
  const type = msg[0]! & 0x0f;
  if (type !== TYPE_ADVERTISEMENT) return drop("type", `Type ${type} (only 1, ADVERTISEMENT, exists)`);
  const count = msg[3]!;
  const expected = HEADER_LEN + 4 * count + (version === 2 ? AUTH_DATA_LEN : 0);
  if (msg.length !== expected) {
    return drop(
      "malformed",
      `VRRPv${version} message is ${msg.length} bytes but Count IPvX Addr ${count} means ${expected}`,
    );
  }
  const bad = checksumProblem(version, src, dst, msg);
  if (bad) return drop("checksum", bad);
  const fields = decodeVersionFields(version, msg, HEADER_LEN + 4 * count);
  if ("ok" in fields) return fields;
  const addresses = Array.from({ length: count }, (_, i) => bytesToIp(msg, HEADER_LEN + 4 * i));
  const advert: Advertisement = { version, vrid: msg[1]!, priority: msg[2]!, intervalCs: fields.intervalCs, addresses };
  if (fields.auth) advert.auth = fields.auth;
  return advert;
}

function parseUnguarded(buf: Buffer): ParseResult {
  const ip = parseIpv4(buf);
  if (!ip.ok) return drop("malformed", ip.detail);
  const { header } = ip;
  let payload = ip.payload;
  let ah: ReceivedAh | undefined;
  if (header.protocol === IPPROTO_AH) {
    const parsed = parseAh(buf, header.headerLength, payload);
    if (!parsed.ok) return drop("malformed", parsed.detail);
    ({ ah, vrrp: payload } = parsed);
  } else if (header.protocol !== IPPROTO_VRRP)
    return drop("malformed", `IP protocol ${header.protocol}, not VRRP (${IPPROTO_VRRP}) or AH (${IPPROTO_AH})`);
  // parseIpv4 clips to the buffer; a Total Length beyond it means we hold a truncated packet.
  const totalLength = buf.readUInt16BE(2);
  if (totalLength > buf.length)
    return drop("malformed", `IPv4 Total Length ${totalLength} but only ${buf.length} bytes received`);
  if (header.ttl !== VRRP_TTL) return drop("ttl", `TTL ${header.ttl}, must be ${VRRP_TTL} (sender not on-link?)`);
  const advert = parseVrrp(payload, header.src, header.dst);
  if ("ok" in advert) return advert;
  if ((advert.auth?.type === "ah") !== (ah !== undefined))
    return drop(
      "auth",
      ah ? "AH header around an advert whose Auth Type is not 2" : "Auth Type 2 (AH) without an AH header",
    );
  const ok = { ok: true as const, src: header.src, dst: header.dst, ttl: header.ttl, advert };
  return ah ? { ...ok, ah } : ok;
}

/**
 * Parse a whole IPv4 packet as a raw socket delivers it and apply the config-free receive checks. The IP
 * header checksum is not verified: the kernel drops bad headers before raw delivery. Never throws.
 */
export function parsePacket(buf: Buffer): ParseResult {
  try {
    return parseUnguarded(buf);
  } catch (err) {
    // Not expected (the fuzz test asserts this detail never appears); a bug must not kill the receive loop.
    return drop("malformed", `internal parser error: ${String(err)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Per-instance checks

/** Describes an auth mismatch without ever echoing a password into logs; undefined when they match. */
function authProblem(
  got: VrrpAuth | undefined,
  view: InstanceView,
  received: Received | undefined,
): string | undefined {
  const g = got ?? { type: "none" };
  const w = view.auth ?? { type: "none" };
  if (g.type !== w.type) return `Auth Type ${g.type} received, ${w.type} configured`;
  if (w.type === "ah") {
    if (!received?.ah) return "AH configured but the packet has no AH header";
    return ahProblem(received.ah, received.src, w.password ?? "", view.unicast ?? false);
  }
  if (g.type === "pass" && w.type === "pass" && !passwordField(g.password).equals(passwordField(w.password))) {
    return "Authentication Data (password) differs from the configured one";
  }
  return undefined;
}

function sameAddressSet(a: string[], b: string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/** The per-instance receive checks of RFC 5798 7.1 / RFC 3768 7.1 (see the API notes in the design). */
export function checkAdvert(advert: Advertisement, view: InstanceView, received?: Received): CheckResult {
  if (advert.version !== view.version)
    return drop("version", `Version ${advert.version}, instance runs ${view.version}`);
  if (advert.vrid !== view.vrid) return drop("vrid", `Virtual Rtr ID ${advert.vrid}, instance has ${view.vrid}`);
  if (view.version === 2) {
    const auth = authProblem(advert.auth, view, received);
    if (auth) return drop("auth", auth);
    // v2 only: a v3 backup learns Max Adver Int from the master instead (RFC 5798 6.4.2).
    if (advert.intervalCs !== view.intervalCs) {
      return drop("interval", `Adver Int ${advert.intervalCs / 100} s, configured ${view.intervalCs / 100} s`);
    }
  }
  // RFC 3768 would drop a differing list unless Priority is 255; keepalived logs and accepts, as we do.
  return { ok: true, addressMismatch: !sameAddressSet(advert.addresses, view.addresses) };
}
