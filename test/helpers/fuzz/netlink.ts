// IPVS generic netlink reply fuzz cases: the replies the agent reads from the kernel (a service, a real
// server, a sync daemon, the timeouts, the version), built valid with the codec's own encoders and then
// damaged at the attribute level (attributes dropped, repeated, retyped, given values of the wrong size)
// and at the byte level (flips, truncation, length fields). The target decodes each with the codec and
// checks: a refusal is an NlaError (or its IpvsCodecError) with a message; a decoded reply holds real
// addresses. Pure.
import { isIP } from "node:net";
import {
  daemonAttr,
  decodeDaemon,
  decodeDest,
  decodeInfo,
  decodeService,
  decodeTimeouts,
  destAttr,
  IPVS_DEST_ATTR,
  IPVS_INFO_ATTR,
  IPVS_STATS_ATTR,
  IPVS_SVC_ATTR,
  NlaError,
  serviceAttr,
  timeoutAttrs,
  type IpvsFamily,
  type IpvsService,
} from "../../../agent/src/ipvs/codec.ts";
import { nla, u32 } from "../../../agent/src/ipvs/nla.ts";
import { EDGE_NUMBERS, int, pick, randomBytes, randomIp, type Rng } from "./gen.ts";
import { ACCEPTED, PropertyFailure, typedRefusal, type FuzzTarget } from "./harness.ts";

const DECODERS = ["service", "dest", "daemon", "timeouts", "info"] as const;
type Decoder = (typeof DECODERS)[number];

export interface NetlinkCase {
  decoder: Decoder;
  payload: Buffer;
  /** decodeDest's fallback family */
  family: IpvsFamily;
}

const randomV6 = (rng: Rng): string =>
  pick(rng, [
    "::",
    "::1",
    "2001:db8::1",
    "fe80::1:2:3:4",
    Array.from({ length: 8 }, () => int(rng, 0, 0xffff).toString(16)).join(":"),
  ]);
const address = (rng: Rng, family: IpvsFamily) => (family === "inet" ? randomIp(rng) : randomV6(rng));
const u32v = (rng: Rng) => (rng() < 0.3 ? int(rng, 0, 0xffffffff) : int(rng, 0, 100));
const flags = (rng: Rng) => ({
  persistent: rng() < 0.5,
  onePacket: rng() < 0.2,
  schedFlag1: rng() < 0.2,
  schedFlag2: rng() < 0.2,
  schedFlag3: rng() < 0.1,
});

function randomService(rng: Rng, family: IpvsFamily): IpvsService {
  const rest = {
    scheduler: pick(rng, ["rr", "wrr", "lc", "wlc", "sh", "mh"]),
    flags: flags(rng),
    timeout: u32v(rng),
    netmask: family === "inet" ? int(rng, 0, 32) : int(rng, 1, 128),
    ...(rng() < 0.2 ? { pe: "sip" } : {}),
  };
  if (rng() < 0.2) return { family, fwmark: int(rng, 1, 0xffffffff), ...rest };
  return {
    protocol: pick(rng, ["tcp", "udp", "sctp"] as const),
    address: address(rng, family),
    port: int(rng, 0, 65535),
    ...rest,
  };
}

/** The counters of a STATS or STATS64 nest, each of 4 or 8 bytes. */
function stats(rng: Rng): Attr[] {
  return Object.values(IPVS_STATS_ATTR).map((type) => ({
    type,
    value: rng() < 0.5 ? u32(0, u32v(rng)).subarray(4) : randomBytes(rng, 8),
  }));
}

interface Attr {
  type: number;
  value: Buffer;
}

/** The attributes of a buffer, as far as they are well formed. */
function split(buf: Buffer): Attr[] {
  const out: Attr[] = [];
  for (let off = 0; off + 4 <= buf.length;) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) break;
    out.push({ type: buf.readUInt16LE(off + 2), value: buf.subarray(off + 4, off + len) });
    off += (len + 3) & ~3;
  }
  return out;
}
const join = (attrs: readonly Attr[]): Buffer => Buffer.concat(attrs.map((a) => nla(a.type, a.value)));

const ATTR_MUTATIONS: ((rng: Rng, attrs: Attr[]) => void)[] = [
  (rng, a) => a.splice(int(rng, 0, a.length - 1), 1), // dropped
  (rng, a) => a.push({ ...pick(rng, a) }), // repeated (the last wins)
  (rng, a) => (pick(rng, a).value = randomBytes(rng, pick(rng, [0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, int(rng, 0, 40)]))),
  (rng, a) => {
    const at = pick(rng, a);
    at.value = at.value.subarray(0, int(rng, 0, at.value.length));
  }, // shortened
  (rng, a) => (pick(rng, a).type = int(rng, 0, 24) | pick(rng, [0, 0x4000, 0x8000])), // retyped
  (rng, a) => (pick(rng, a).value = Buffer.alloc(pick(rng, [1, 2, 4, 8, 16]), pick(rng, [0, 0xff]))),
  (rng, a) =>
    (pick(rng, a).value = u32(
      0,
      pick(
        rng,
        EDGE_NUMBERS.filter((n) => n >= 0 && n < 2 ** 32 && Number.isInteger(n)),
      ),
    ).subarray(4)),
  (rng, a) => {
    const at = pick(rng, a);
    const inner = split(at.value);
    if (inner.length > 0) {
      pick(rng, ATTR_MUTATIONS)(rng, inner);
      at.value = join(inner);
    }
  }, // inside a nest
];

const BYTE_MUTATIONS: ((rng: Rng, p: Buffer) => Buffer)[] = [
  (rng, p) => {
    p[int(rng, 0, p.length - 1)]! ^= 1 << int(rng, 0, 7);
    return p;
  },
  (rng, p) => p.subarray(0, int(rng, 0, p.length)),
  (rng, p) => {
    const at = pick(rng, [0, 4, int(rng, 0, p.length)]) & ~3;
    if (at + 2 <= p.length) p.writeUInt16LE(int(rng, 0, 0xffff) % (p.length + 16), at);
    return p;
  }, // a length field
  (rng, p) => Buffer.concat([p, randomBytes(rng, int(rng, 1, 12))]),
];

/** The command's attribute (a nest of `children`) with 0 to 3 attribute-level mutations inside it. */
function damaged(rng: Rng, top: Buffer, extra: Attr[]): Buffer {
  const [outer] = split(top);
  const children = [...split(outer!.value), ...extra];
  for (let n = int(rng, 0, 3); n > 0 && children.length > 0; n--) pick(rng, ATTR_MUTATIONS)(rng, children);
  return nla(outer!.type, join(children));
}

function reply(rng: Rng, decoder: Decoder, family: IpvsFamily): Buffer {
  const statsNest = (types: number[]) => [{ type: pick(rng, types), value: join(stats(rng)) }];
  if (decoder === "service")
    return damaged(
      rng,
      serviceAttr(randomService(rng, family)),
      statsNest([IPVS_SVC_ATTR.STATS64, IPVS_SVC_ATTR.STATS]),
    );
  if (decoder === "dest")
    return damaged(rng, destAttr(randomDest(rng, family)), [
      ...statsNest([IPVS_DEST_ATTR.STATS64, IPVS_DEST_ATTR.STATS]),
      ...conns(rng),
    ]);
  if (decoder === "daemon") return damaged(rng, daemonAttr(randomDaemon(rng, family)), []);
  // timeouts and info are flat: wrapped in a nest of type 0 for the mutations, unwrapped after
  const flat =
    decoder === "timeouts"
      ? Buffer.concat(timeoutAttrs({ tcp: u32v(rng), tcpFin: u32v(rng), udp: u32v(rng) }))
      : Buffer.concat([u32(IPVS_INFO_ATTR.VERSION, u32v(rng)), u32(IPVS_INFO_ATTR.CONN_TAB_SIZE, u32v(rng))]);
  return damaged(rng, nla(0, flat), []).subarray(4);
}

function randomDest(rng: Rng, family: IpvsFamily) {
  const fwd = pick(rng, ["nat", "local", "tun", "dr"] as const);
  const tunnel = {
    type: pick(rng, ["ipip", "gue", "gre"] as const),
    port: int(rng, 0, 65535),
    checksum: pick(rng, ["nocsum", "csum", "remcsum"] as const),
  };
  return {
    address: address(rng, family),
    port: int(rng, 0, 65535),
    fwd,
    weight: int(rng, 0, 0x7fffffff),
    upperThreshold: u32v(rng),
    lowerThreshold: u32v(rng),
    ...(fwd === "tun" && rng() < 0.5 ? { tunnel } : {}),
  };
}

const conns = (rng: Rng): Attr[] =>
  [IPVS_DEST_ATTR.ACTIVE_CONNS, IPVS_DEST_ATTR.INACT_CONNS, IPVS_DEST_ATTR.PERSIST_CONNS].map((type) => ({
    type,
    value: u32(0, u32v(rng)).subarray(4),
  }));

function randomDaemon(rng: Rng, family: IpvsFamily) {
  return {
    state: pick(rng, ["master", "backup"] as const),
    ifname: pick(rng, ["eth0", "ens3", "bond0.100", "x"]),
    syncId: int(rng, 0, 255),
    ...(rng() < 0.5 ? { syncMaxLen: int(rng, 0, 0xffff) } : {}),
    ...(rng() < 0.5 ? { mcastGroup: address(rng, family) } : {}),
    ...(rng() < 0.5 ? { mcastPort: int(rng, 0, 65535) } : {}),
    ...(rng() < 0.5 ? { mcastTtl: int(rng, 1, 255) } : {}),
  };
}

/** A reply: valid, damaged at the attribute level, then (half the time) at the byte level; or random bytes. */
export function randomReply(rng: Rng): NetlinkCase {
  const decoder = pick(rng, DECODERS);
  const family: IpvsFamily = rng() < 0.6 ? "inet" : "inet6";
  if (rng() < 0.05) return { decoder, family, payload: randomBytes(rng, int(rng, 0, 64)) };
  let payload: Buffer = Buffer.from(reply(rng, decoder, family));
  for (let n = rng() < 0.5 ? int(rng, 1, 2) : 0; n > 0 && payload.length > 0; n--)
    payload = pick(rng, BYTE_MUTATIONS)(rng, payload);
  return { decoder, family, payload };
}

function decode(c: NetlinkCase): unknown {
  if (c.decoder === "service") return decodeService(c.payload);
  if (c.decoder === "dest") return decodeDest(c.payload, c.family);
  if (c.decoder === "daemon") return decodeDaemon(c.payload);
  return c.decoder === "timeouts" ? decodeTimeouts(c.payload) : decodeInfo(c.payload);
}

/** Every address a decoded reply holds is an address. */
function checkDecoded(v: unknown): void {
  const o = v as { service?: { address?: string }; dest?: { address: string }; mcastGroup?: string };
  for (const a of [o.service?.address, o.dest?.address, o.mcastGroup])
    if (a !== undefined && isIP(a) === 0)
      throw new PropertyFailure(`decoded a reply into the address ${JSON.stringify(a)}`);
}

export const netlinkTarget: FuzzTarget<NetlinkCase> = {
  name: "netlink",
  generate: randomReply,
  run(c) {
    let decoded: unknown;
    try {
      decoded = decode(c);
    } catch (err) {
      return typedRefusal(err, NlaError);
    }
    checkDecoded(decoded);
    return ACCEPTED;
  },
  describe: (c) => `${c.decoder} (${c.family}) ${c.payload.toString("hex")}`,
};
