// VRRP receive-path fuzz cases (moved here from agent/src/vrrp/packet.fuzz.test.ts, which uses them too):
// random buffers, random-payload IPv4 shells and mutated valid adverts (half of them re-summed so that
// mutations get past the Checksum), and the target that runs parsePacket and checkAdvert on them. Pure
// but for reading keepalived's own packets (the fixtures) once, at import.
import { readFileSync } from "node:fs";
import { internetChecksum } from "../../../agent/src/net/ip.ts";
import { buildIpv4 } from "../../../agent/src/net/ipv4.ts";
import {
  buildAdvertPacket,
  checkAdvert,
  parsePacket,
  type Advertisement,
  type DropReason,
  type InstanceView,
} from "../../../agent/src/vrrp/packet.ts";
import { int, pick, randomBytes, randomIp, type Rng } from "./gen.ts";
import { DROP_REASONS as METRIC_DROP_REASONS } from "../../../agent/src/status/metrics.ts";
import { ACCEPTED, PropertyFailure, refused, type FuzzTarget, type Outcome } from "./harness.ts";

/** Every reason a drop may give (the agent's metrics count each). */
export const DROP_REASONS: ReadonlySet<DropReason> = new Set(METRIC_DROP_REASONS);

/** keepalived's own packets, mutation seeds too. */
export const VRRP_FIXTURES: readonly Buffer[] = ["keepalived-v3", "keepalived-v2-pass"].map((n) =>
  Buffer.from(
    readFileSync(new URL(`../../../agent/src/vrrp/fixtures/${n}.hex`, import.meta.url), "utf8").trim(),
    "hex",
  ),
);

export function randomAdvert(rng: Rng): Advertisement {
  const addresses = Array.from({ length: int(rng, 0, 6) }, () => randomIp(rng));
  const base = { vrid: int(rng, 1, 255), priority: int(rng, 0, 255), addresses };
  if (rng() < 0.5) return { ...base, version: 3, intervalCs: int(rng, 1, 4095) };
  const password = String.fromCharCode(...Array.from({ length: int(rng, 0, 8) }, () => int(rng, 33, 126)));
  return {
    ...base,
    version: 2,
    intervalCs: 100 * int(rng, 1, 255),
    auth: rng() < 0.5 ? { type: "none" } : { type: "pass", password },
  };
}

/** Recompute the VRRP Checksum for whatever Version nibble the packet now claims (skipped if unsummable). */
export function resum(pkt: Buffer): void {
  if (pkt.length < 28 || (pkt[0]! & 0x0f) !== 5) return;
  const msg = pkt.subarray(20, Math.min(pkt.readUInt16BE(2), pkt.length));
  if (msg.length < 8) return;
  msg.writeUInt16BE(0, 6);
  const pseudo = Buffer.alloc(12);
  pkt.copy(pseudo, 0, 12, 20);
  pseudo[9] = 112;
  pseudo.writeUInt16BE(msg.length, 10);
  msg.writeUInt16BE(msg[0]! >> 4 === 3 ? internetChecksum(pseudo, msg) : internetChecksum(msg), 6);
}

const setByte = (at: number, value: (rng: Rng) => number) => (rng: Rng, p: Buffer) => {
  p[at] = value(rng);
  return p;
};

const MUTATIONS: ((rng: Rng, p: Buffer) => Buffer)[] = [
  (rng, p) => {
    p[int(rng, 0, p.length - 1)]! ^= 1 << int(rng, 0, 7);
    return p;
  },
  (rng, p) => setByte(int(rng, 0, p.length - 1), (r) => int(r, 0, 255))(rng, p),
  (rng, p) => setByte(int(rng, 20, p.length - 1), (r) => int(r, 0, 255))(rng, p), // inside the VRRP message
  (rng, p) => p.subarray(0, int(rng, 0, p.length)),
  (rng, p) => Buffer.concat([p, randomBytes(rng, int(rng, 1, 12))]),
  (rng, p) => {
    p.writeUInt16BE(int(rng, 0, p.length + 16), 2);
    return p;
  }, // IPv4 Total Length
  setByte(8, (r) => pick(r, [254, 1, 255, 0])), // TTL
  setByte(20, (r) => int(r, 0, 255)), // Version | Type
  setByte(23, (r) => int(r, 0, 255)), // Count IPvX Addr
  (_rng, p) => p.fill(0, 24, 26), // Rsvd/Max Adver Int, or Auth Type/Adver Int
  setByte(24, (r) => int(r, 0, 3)), // v2 Auth Type (v3: Rsvd + high bits of the interval)
];

function mutated(rng: Rng, seeds: readonly Buffer[]): Buffer {
  let p: Buffer = Buffer.from(
    rng() < 0.3
      ? pick(rng, seeds)
      : buildAdvertPacket(randomAdvert(rng), randomIp(rng), pick(rng, ["224.0.0.18", randomIp(rng)])),
  );
  for (let n = int(rng, 1, 3); n > 0 && p.length >= 28; n--) p = pick(rng, MUTATIONS)(rng, p);
  if (rng() < 0.5) resum(p);
  return p;
}

/** One received packet: random bytes (10%), a plausible IPv4 shell with random VRRP bytes (15%), or a mutated advert. */
export function randomPacket(rng: Rng, seeds: readonly Buffer[] = VRRP_FIXTURES): Buffer {
  const r = rng();
  if (r < 0.1) return randomBytes(rng, int(rng, 0, 96));
  if (r < 0.25) {
    const pkt = buildIpv4(
      { src: randomIp(rng), dst: "224.0.0.18", protocol: 112, ttl: 255 },
      randomBytes(rng, int(rng, 0, 48)),
    );
    if (rng() < 0.5) resum(pkt);
    return pkt;
  }
  return mutated(rng, seeds);
}

/** Instances an accepted advert is checked against: its own, and one differing in each checked field. */
export function viewsFor(advert: Advertisement): InstanceView[] {
  const same: InstanceView = {
    version: advert.version,
    vrid: advert.vrid,
    intervalCs: advert.intervalCs,
    addresses: [...advert.addresses].reverse(),
    auth: advert.auth,
  };
  return [
    same,
    { ...same, vrid: (advert.vrid % 255) + 1 },
    { ...same, version: advert.version === 2 ? 3 : 2 },
    { ...same, intervalCs: advert.intervalCs + 100 },
    {
      ...same,
      auth:
        advert.auth?.type === "pass"
          ? { type: "pass", password: `${advert.auth.password}x` }
          : { type: "pass", password: "x" },
    },
    { ...same, addresses: [...advert.addresses, "10.255.255.254"] },
  ];
}

/** A drop's properties: a known reason, a detail, and not the parser's own fault. */
export function dropOutcome(r: { reason: DropReason; detail: string }): Outcome {
  if (!DROP_REASONS.has(r.reason)) throw new PropertyFailure(`unknown drop reason ${String(r.reason)}`);
  if (/internal parser error/.test(r.detail)) throw new PropertyFailure(`the parser threw: ${r.detail}`);
  refused([r.detail]);
  return { accepted: false, kind: r.reason };
}

/**
 * parsePacket, then checkAdvert against each view: accepted when its own instance would take it (the
 * other views are there for their drops' properties).
 */
export const vrrpTarget: FuzzTarget<Buffer> = {
  name: "vrrp",
  generate: (rng) => randomPacket(rng),
  run(pkt) {
    const r = parsePacket(pkt);
    if (!r.ok) return dropOutcome(r);
    const [own, ...others] = viewsFor(r.advert).map((view) => checkAdvert(r.advert, view));
    for (const c of others) if (!c.ok) dropOutcome(c);
    return own!.ok ? ACCEPTED : dropOutcome(own!);
  },
  describe: (pkt) => pkt.toString("hex"),
};
