// Deterministic fuzz of the receive path: random buffers, random-payload IPv4 shells and mutated valid
// adverts (half of them re-summed so mutations get past the Checksum) go through parsePacket and
// checkAdvert. Properties: nothing throws, every drop has a known reason and a detail, and every accepted
// packet decodes losslessly (re-encoding it gives back the bytes that were received, up to the bits the
// RFCs say to ignore). The run must also reach every drop the parser and checker can produce.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { isIPv4 } from "node:net";
import { internetChecksum } from "../net/ip.ts";
import { buildIpv4 } from "../net/ipv4.ts";
import { mulberry32, type Rng } from "../../../test/helpers/prng.ts";
import {
  buildAdvertPacket,
  checkAdvert,
  encodeAdvert,
  parsePacket,
  type Advertisement,
  type DropReason,
  type InstanceView,
} from "./packet.ts";

const ITERATIONS = 60_000;
const REASONS = new Set<DropReason>([
  "malformed",
  "ttl",
  "version",
  "type",
  "checksum",
  "vrid",
  "auth",
  "interval",
  "addresses",
]);

// keepalived's own packets are mutation seeds too.
const FIXTURES = ["keepalived-v3", "keepalived-v2-pass"].map((n) =>
  Buffer.from(readFileSync(new URL(`./fixtures/${n}.hex`, import.meta.url), "utf8").trim(), "hex"),
);

const int = (rng: Rng, min: number, max: number): number => min + Math.floor(rng() * (max - min + 1));
const pick = <T>(rng: Rng, items: readonly T[]): T => items[int(rng, 0, items.length - 1)]!;
const randomBytes = (rng: Rng, n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(rng, 0, 255)));
const randomIp = (rng: Rng): string => Array.from({ length: 4 }, () => int(rng, 0, 255)).join(".");

function randomAdvert(rng: Rng): Advertisement {
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
function resum(pkt: Buffer): void {
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

const MUTATIONS: ((rng: Rng, p: Buffer) => Buffer)[] = [
  (rng, p) => {
    p[int(rng, 0, p.length - 1)]! ^= 1 << int(rng, 0, 7);
    return p;
  },
  (rng, p) => {
    p[int(rng, 0, p.length - 1)] = int(rng, 0, 255);
    return p;
  },
  (rng, p) => {
    p[int(rng, 20, p.length - 1)] = int(rng, 0, 255);
    return p;
  }, // inside the VRRP message
  (rng, p) => p.subarray(0, int(rng, 0, p.length)),
  (rng, p) => Buffer.concat([p, randomBytes(rng, int(rng, 1, 12))]),
  (rng, p) => {
    p.writeUInt16BE(int(rng, 0, p.length + 16), 2);
    return p;
  }, // IPv4 Total Length
  (rng, p) => {
    p[8] = pick(rng, [254, 1, 255, 0]);
    return p;
  }, // TTL
  (rng, p) => {
    p[20] = int(rng, 0, 255);
    return p;
  }, // Version | Type
  (rng, p) => {
    p[23] = int(rng, 0, 255);
    return p;
  }, // Count IPvX Addr
  (rng, p) => {
    p.fill(0, 24, 26);
    return p;
  }, // Rsvd/Max Adver Int, or Auth Type/Adver Int
  (rng, p) => {
    p[24] = int(rng, 0, 3);
    return p;
  }, // v2 Auth Type (v3: Rsvd + high bits of the interval)
];

function mutated(rng: Rng, seeds: Buffer[]): Buffer {
  let p: Buffer = Buffer.from(
    rng() < 0.3
      ? pick(rng, seeds)
      : buildAdvertPacket(randomAdvert(rng), randomIp(rng), pick(rng, ["224.0.0.18", randomIp(rng)])),
  );
  for (let n = int(rng, 1, 3); n > 0 && p.length >= 28; n--) p = pick(rng, MUTATIONS)(rng, p);
  if (rng() < 0.5) resum(p);
  return p;
}

function randomInput(rng: Rng, seeds: Buffer[]): Buffer {
  const r = rng();
  if (r < 0.1) return randomBytes(rng, int(rng, 0, 96));
  if (r < 0.25) {
    // A plausible IPv4 shell with random VRRP bytes, so random payloads reach the VRRP checks.
    const pkt = buildIpv4(
      { src: randomIp(rng), dst: "224.0.0.18", protocol: 112, ttl: 255 },
      randomBytes(rng, int(rng, 0, 48)),
    );
    if (rng() < 0.5) resum(pkt);
    return pkt;
  }
  return mutated(rng, seeds);
}

/** The received VRRP message with the bits the RFCs ignore cleared, and its Checksum zeroed. */
function normalised(msg: Buffer): Buffer {
  const m = Buffer.from(msg);
  m.writeUInt16BE(0, 6);
  if (m[0]! >> 4 === 3)
    m[4]! &= 0x0f; // Rsvd
  else if (m[4] === 0) m.fill(0, m.length - 8); // Auth Type 0: Authentication Data ignored
  return m;
}

function assertLossless(pkt: Buffer, src: string, dst: string, advert: Advertisement): void {
  assert.ok(
    advert.addresses.every((a) => isIPv4(a)),
    "addresses must be dotted quads",
  );
  assert.equal(advert.auth !== undefined, advert.version === 2, "auth present exactly for v2");
  const received = pkt.subarray(20, pkt.readUInt16BE(2));
  if (advert.vrid === 0) return; // legal to receive (checkAdvert drops it), not to send
  assert.deepEqual(normalised(encodeAdvert(advert, src, dst)), normalised(received), "decode is lossy");
}

function viewsFor(advert: Advertisement): InstanceView[] {
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

function assertDrop(r: { reason: DropReason; detail: string }, what: string): void {
  assert.ok(REASONS.has(r.reason), `${what}: unknown reason ${String(r.reason)}`);
  assert.ok(typeof r.detail === "string" && r.detail.length > 0, `${what}: empty detail`);
  assert.doesNotMatch(r.detail, /internal parser error/, `${what}: the parser threw`);
}

test(`fuzz: ${ITERATIONS} random and mutated packets through parsePacket + checkAdvert`, () => {
  const rng = mulberry32(0x5eed1e55);
  const parseSeen = new Map<string, number>();
  const checkSeen = new Map<string, number>();
  const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (let i = 0; i < ITERATIONS; i++) {
    const pkt = randomInput(rng, FIXTURES);
    const input = pkt.toString("hex");
    const r = parsePacket(pkt);
    if (!r.ok) {
      assertDrop(r, `input ${input}`);
      count(parseSeen, r.reason);
      continue;
    }
    count(parseSeen, "ok");
    assertLossless(pkt, r.src, r.dst, r.advert);
    for (const view of viewsFor(r.advert)) {
      const c = checkAdvert(r.advert, view);
      if (c.ok) count(checkSeen, c.addressMismatch ? "ok+mismatch" : "ok");
      else {
        assertDrop(c, `check of ${input}`);
        count(checkSeen, c.reason);
      }
    }
  }
  // The fuzz must exercise every path, or it proves little: each reachable outcome is hit many times.
  for (const k of ["ok", "malformed", "ttl", "version", "type", "checksum", "interval", "auth"]) {
    assert.ok(
      (parseSeen.get(k) ?? 0) >= 20,
      `parsePacket outcome ${k} seen ${parseSeen.get(k) ?? 0} times: ${JSON.stringify([...parseSeen])}`,
    );
  }
  for (const k of ["ok", "ok+mismatch", "version", "vrid", "auth", "interval"]) {
    assert.ok(
      (checkSeen.get(k) ?? 0) >= 20,
      `checkAdvert outcome ${k} seen ${checkSeen.get(k) ?? 0} times: ${JSON.stringify([...checkSeen])}`,
    );
  }
});

test("fuzz: same seed, same results (determinism)", () => {
  const run = () => {
    const rng = mulberry32(7);
    return Array.from({ length: 500 }, () => {
      const r = parsePacket(randomInput(rng, FIXTURES));
      return r.ok ? "ok" : r.reason;
    }).join(",");
  };
  assert.equal(run(), run());
});
