// VRRPv2 with IPsec AH against keepalived 2.2.7's own packets (fixtures/keepalived-v2-ah-*.hex): we
// build the same bytes, and accept its packets only with its password and its unicast setting.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { AhSequence, buildAhPacket } from "./ipsec-ah.ts";
import { checkAdvert, encodeAdvert, parsePacket, type Advertisement, type InstanceView } from "./packet.ts";

function fixture(name: string): Buffer {
  return Buffer.from(readFileSync(new URL(`./fixtures/${name}.hex`, import.meta.url), "utf8").trim(), "hex");
}

// The captures' instance: VRID 7, priority 150, advert_int 1, VIP 10.99.0.100, auth_pass secret12,
// sent from 10.99.0.1 (fixtures/README.md).
const ADV: Advertisement = {
  version: 2,
  vrid: 7,
  priority: 150,
  intervalCs: 100,
  addresses: ["10.99.0.100"],
  auth: { type: "ah" },
};
const SRC = "10.99.0.1";
const view = (unicast: boolean, password = "secret12"): InstanceView => ({
  version: 2,
  vrid: 7,
  intervalCs: 100,
  addresses: ["10.99.0.100"],
  auth: { type: "ah", password },
  unicast,
});

for (const [name, dst, unicast] of [
  ["keepalived-v2-ah-multicast", "224.0.0.18", false],
  ["keepalived-v2-ah-unicast", "10.99.0.2", true],
] as const) {
  test(`${name}: our AH packet is keepalived's, byte for byte`, () => {
    const vrrp = encodeAdvert(ADV, SRC, dst);
    const ours = buildAhPacket({ src: SRC, dst, id: 1, seq: 1, password: "secret12", unicast }, vrrp);
    assert.equal(ours.toString("hex"), fixture(name).toString("hex"));
  });

  test(`${name}: parsed and accepted with its password and unicast setting only`, () => {
    const r = parsePacket(fixture(name));
    assert.ok(r.ok, r.ok ? "" : r.detail);
    assert.equal(r.ah?.seq, 1);
    assert.equal(r.ah?.spi, SRC);
    assert.deepEqual(r.advert.auth, { type: "ah" });
    const rx = { src: r.src, ah: r.ah };
    assert.deepEqual(checkAdvert(r.advert, view(unicast), rx), { ok: true, addressMismatch: false });
    const wrong = checkAdvert(r.advert, view(unicast, "secret13"), rx);
    assert.ok(!wrong.ok && wrong.reason === "auth" && /ICV/.test(wrong.detail));
    assert.ok(!checkAdvert(r.advert, view(!unicast), rx).ok, "the unicast flag is part of the ICV");
    assert.ok(!checkAdvert(r.advert, view(unicast), { src: "10.99.0.9", ah: r.ah }).ok, "SPI is the sender");
    const pass = checkAdvert(r.advert, { ...view(unicast), auth: { type: "pass", password: "secret12" } }, rx);
    assert.ok(!pass.ok && pass.reason === "auth");
  });
}

test("a tampered byte anywhere past the mutable fields fails the ICV", () => {
  const pkt = fixture("keepalived-v2-ah-multicast");
  for (const at of [4, 12, 20 + 8, 20 + 24 + 2, pkt.length - 5]) {
    const bad = Buffer.from(pkt);
    bad[at]! ^= 1;
    const r = parsePacket(bad);
    if (!r.ok) continue; // the VRRP checksum or the header caught it first
    assert.ok(!checkAdvert(r.advert, view(false), { src: r.src, ah: r.ah }).ok, `byte ${at}`);
  }
  // TOS and the fragment field are outside the ICV (zeroed), as RFC 2402 says of mutable fields.
  const tos = Buffer.from(pkt);
  tos[1] = 0;
  const r = parsePacket(tos);
  assert.ok(r.ok && checkAdvert(r.advert, view(false), { src: r.src, ah: r.ah }).ok);
});

test("Auth Type 2 without AH, or AH around another Auth Type, is dropped at parse", () => {
  const pkt = fixture("keepalived-v2-ah-multicast");
  const bare = Buffer.concat([pkt.subarray(0, 20), pkt.subarray(44)]);
  bare[9] = 112;
  bare.writeUInt16BE(bare.length, 2);
  const r = parsePacket(bare);
  assert.ok(!r.ok && r.reason === "auth");
});

test("AhSequence: replays dropped, sends go one past what was seen, a lower priority moves it on", () => {
  const s = new AhSequence();
  assert.equal(s.next(), 1);
  assert.equal(s.accept(1), false, "a number already used");
  assert.equal(s.accept(5), true);
  assert.equal(s.next(), 6);
  s.syncPast(40);
  assert.equal(s.next(), 42);
  assert.equal(s.accept(41), false);
});
