// Deterministic fuzz of the receive path: random buffers, random-payload IPv4 shells and mutated valid
// adverts (generators in test/helpers/fuzz/vrrp.ts, shared with `npm run bench -- fuzz`) go through
// parsePacket and checkAdvert. Properties: nothing throws, every drop has a known reason and a detail, and
// every accepted packet decodes losslessly (re-encoding it gives back the bytes that were received, up to
// the bits the RFCs say to ignore). The run must also reach every drop the parser and checker can produce.
import { test } from "node:test";
import assert from "node:assert/strict";
import { isIPv4 } from "node:net";
import { mulberry32 } from "../../../test/helpers/prng.ts";
import { DROP_REASONS, randomPacket, viewsFor, vrrpTarget } from "../../../test/helpers/fuzz/vrrp.ts";
import { assertFuzz } from "../../../test/helpers/fuzz/check.ts";
import { checkAdvert, encodeAdvert, parsePacket, type Advertisement, type DropReason } from "./packet.ts";

const ITERATIONS = 60_000;

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

function assertDrop(r: { reason: DropReason; detail: string }, what: string): void {
  assert.ok(DROP_REASONS.has(r.reason), `${what}: unknown reason ${String(r.reason)}`);
  assert.ok(typeof r.detail === "string" && r.detail.length > 0, `${what}: empty detail`);
  assert.doesNotMatch(r.detail, /internal parser error/, `${what}: the parser threw`);
}

test(`fuzz: ${ITERATIONS} random and mutated packets through parsePacket + checkAdvert`, () => {
  const rng = mulberry32(0x5eed1e55);
  const parseSeen = new Map<string, number>();
  const checkSeen = new Map<string, number>();
  const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (let i = 0; i < ITERATIONS; i++) {
    const pkt = randomPacket(rng);
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
      const r = parsePacket(randomPacket(rng));
      return r.ok ? "ok" : r.reason;
    }).join(",");
  };
  assert.equal(run(), run());
});

test("fuzz: the bench's vrrp target holds its properties on 5,000 cases", () => {
  assertFuzz(vrrpTarget, { cases: 5_000, seed: 0x5eed, kinds: 6 });
});
