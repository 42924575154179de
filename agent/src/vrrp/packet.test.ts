import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { internetChecksum } from "../net/ip.ts";
import { buildIpv4 } from "../net/ipv4.ts";
import {
  buildAdvertPacket,
  checkAdvert,
  encodeAdvert,
  parsePacket,
  type Advertisement,
  type DropReason,
  type InstanceView,
} from "./packet.ts";

const SRC = "10.0.0.1";
const MCAST = "224.0.0.18";
const V3: Advertisement = { version: 3, vrid: 7, priority: 100, intervalCs: 100, addresses: ["10.0.0.100"] };
const V2: Advertisement = {
  version: 2,
  vrid: 7,
  priority: 200,
  intervalCs: 100,
  addresses: ["10.0.0.100", "10.0.0.101"],
  auth: { type: "pass", password: "secret" },
};

function fixture(name: string): Buffer {
  return Buffer.from(readFileSync(new URL(`./fixtures/${name}.hex`, import.meta.url), "utf8").trim(), "hex");
}

function mustParse(pkt: Buffer) {
  const r = parsePacket(pkt);
  assert.ok(r.ok, `expected ok, got ${r.ok ? "" : `${r.reason}: ${r.detail}`}`);
  return r;
}

test("v3 golden bytes: every field and the pseudo-header Checksum", () => {
  // Version 3 | Type 1 = 0x31, Virtual Rtr ID 7, Priority 100 (0x64), Count IPvX Addr 1,
  // Rsvd 0 | Max Adver Int 100 cs = 0x0064, Checksum, IPvX Address 10.0.0.100.
  // Checksum by hand: pseudo-header 0a00+0001+e000+0012+0070(zero,proto 112)+000c(length 12) = 0xea8f;
  // message 3107+6401+0064+0000+0a00+0064 = 0x9fd0; 0xea8f+0x9fd0 = 0x18a5f -> fold 0x8a60 -> ~ = 0x759f.
  assert.equal(encodeAdvert(V3, SRC, MCAST).toString("hex"), "31076401" + "0064" + "759f" + "0a000064");
});

test("v2 golden bytes with PASS auth: Auth Type, Adver Int, zero-padded Authentication Data, Checksum", () => {
  // Version 2 | Type 1 = 0x21, Virtual Rtr ID 7, Priority 200 (0xc8), Count IP Addrs 2, Auth Type 1,
  // Adver Int 1 s, Checksum, 10.0.0.100, 10.0.0.101, "secret" + 2 zero bytes.
  // Checksum by hand (message only, no pseudo-header in v2): 2107+c802+0101+0a00+0064+0a00+0065+7365
  // +6372+6574+0000 = 0x23b1e -> fold 0x3b20 -> ~ = 0xc4df.
  const msg = encodeAdvert(V2, SRC, MCAST);
  assert.equal(msg.toString("hex"), "2107c802" + "01" + "01" + "c4df" + "0a000064" + "0a000065" + "7365637265740000");
  // v2's Checksum ignores the addresses it is sent between.
  assert.deepEqual(encodeAdvert(V2, "192.168.9.9", "192.168.9.10"), msg);
});

test("buildAdvertPacket golden IPv4 header: TOS 0xc0, DF, TTL 255, protocol 112", () => {
  // 45 c0 | Total Length 32 | ID 0 | DF | TTL ff | proto 70 | header checksum computed by hand:
  // 45c0+0020+0000+4000+ff70+0a00+0001+e000+0012 = 0x26f63 -> fold 0x6f65 -> ~ = 0x909a.
  const pkt = buildAdvertPacket(V3, SRC, MCAST);
  assert.equal(
    pkt.toString("hex"),
    "45c00020" + "00004000" + "ff70909a" + "0a000001" + "e0000012" + "310764010064759f0a000064",
  );
});

test("round trip encode -> parse for v2 and v3, edge values included", () => {
  const cases: Advertisement[] = [
    V3,
    V2,
    { version: 3, vrid: 255, priority: 0, intervalCs: 4095, addresses: [] },
    {
      version: 3,
      vrid: 1,
      priority: 255,
      intervalCs: 1,
      addresses: Array.from({ length: 255 }, (_, i) => `10.1.${i >> 8}.${i & 255}`),
    },
    { version: 2, vrid: 42, priority: 1, intervalCs: 25500, addresses: ["192.0.2.1"], auth: { type: "none" } },
    {
      version: 2,
      vrid: 42,
      priority: 1,
      intervalCs: 300,
      addresses: ["192.0.2.1"],
      auth: { type: "pass", password: "12345678" },
    },
    {
      version: 2,
      vrid: 42,
      priority: 1,
      intervalCs: 300,
      addresses: ["192.0.2.1"],
      auth: { type: "pass", password: "pä$$" },
    },
    {
      version: 2,
      vrid: 42,
      priority: 1,
      intervalCs: 300,
      addresses: ["192.0.2.1"],
      auth: { type: "pass", password: "\uFEFFab" },
    },
  ];
  for (const adv of cases) {
    const r = mustParse(buildAdvertPacket(adv, "172.16.0.5", MCAST));
    assert.deepEqual(r, { ok: true, src: "172.16.0.5", dst: MCAST, ttl: 255, advert: adv });
  }
  // v2 without auth goes out as Auth Type 0 and reads back as {type: "none"}.
  const { auth: _auth, ...noAuth } = V2;
  assert.deepEqual(mustParse(buildAdvertPacket(noAuth, SRC, MCAST)).advert.auth, { type: "none" });
  // Unicast: the v3 pseudo-header uses the real destination, so it parses with the packet's own dst.
  assert.equal(mustParse(buildAdvertPacket(V3, SRC, "10.0.0.2")).dst, "10.0.0.2");
});

/** A valid packet, with the VRRP message (after the 20-byte IP header) edited by `edit`. */
function crafted(adv: Advertisement, edit: (msg: Buffer) => void, fixChecksum = false): Buffer {
  const pkt = buildAdvertPacket(adv, SRC, MCAST);
  const msg = pkt.subarray(20);
  edit(msg);
  if (fixChecksum) {
    // v2-style recomputation; only used on v2 packets so the edit, not the Checksum, decides the outcome.
    msg.writeUInt16BE(0, 6);
    msg.writeUInt16BE(internetChecksum(msg), 6);
  }
  return pkt;
}

test("parsePacket gives each config-free DropReason for a crafted packet", () => {
  const cases: [string, Buffer, DropReason, RegExp][] = [
    [
      "TTL 254",
      buildIpv4({ src: SRC, dst: MCAST, ttl: 254, protocol: 112 }, encodeAdvert(V3, SRC, MCAST)),
      "ttl",
      /TTL 254/,
    ],
    ["Version 1", crafted(V3, (m) => (m[0] = 0x11)), "version", /Version 1/],
    ["Type 2", crafted(V3, (m) => (m[0] = 0x32)), "type", /Type 2/],
    ["bad Checksum", crafted(V3, (m) => (m[7]! ^= 0x01)), "checksum", /Checksum 0x759e, expected 0x759f/],
    ["v2 bad Checksum", crafted(V2, (m) => (m[6]! ^= 0x80)), "checksum", /expected 0xc4df/],
    ["truncated packet", buildAdvertPacket(V3, SRC, MCAST).subarray(0, 28), "malformed", /Total Length 32 but only 28/],
    ["shorter than an IP header", Buffer.from("45c000", "hex"), "malformed", /shorter than an IPv4 header/],
    ["empty buffer", Buffer.alloc(0), "malformed", /0 bytes/],
    [
      "VRRP header cut",
      buildIpv4({ src: SRC, dst: MCAST, protocol: 112 }, Buffer.from("3107", "hex")),
      "malformed",
      /shorter than its 8-byte/,
    ],
    [
      "Count IPvX Addr 2 with 1 address",
      crafted(V3, (m) => (m[3] = 2)),
      "malformed",
      /12 bytes but Count IPvX Addr 2 means 16/,
    ],
    [
      "v2 without Authentication Data",
      buildIpv4({ src: SRC, dst: MCAST, protocol: 112 }, encodeAdvert(V2, SRC, MCAST).subarray(0, 16)),
      "malformed",
      /means 24/,
    ],
    [
      "not protocol 112",
      buildIpv4({ src: SRC, dst: MCAST, protocol: 6 }, encodeAdvert(V3, SRC, MCAST)),
      "malformed",
      /protocol 6/,
    ],
    ["IPv6 version nibble", crafted(V3, () => undefined).fill(0x60, 0, 1), "malformed", /IP version 6/],
    ["v2 Adver Int 0", crafted(V2, (m) => (m[5] = 0), true), "interval", /Adver Int 0/],
    ["v2 Auth Type 2 (AH)", crafted(V2, (m) => (m[4] = 2), true), "auth", /Auth Type 2/],
    ["v2 password not UTF-8", crafted(V2, (m) => (m[16] = 0xff), true), "auth", /not UTF-8/],
  ];
  for (const [name, pkt, reason, detail] of cases) {
    const r = parsePacket(pkt);
    assert.equal(r.ok, false, name);
    if (r.ok) continue;
    assert.equal(r.reason, reason, `${name}: ${r.detail}`);
    assert.match(r.detail, detail, name);
  }
});

test("v3 Checksum covers the pseudo-header; Max Adver Int 0 and Rsvd handling", () => {
  // The same message received with another destination fails: the pseudo-header is in the sum.
  const unicast = buildIpv4({ src: SRC, dst: "10.0.0.2", protocol: 112 }, encodeAdvert(V3, SRC, MCAST));
  const r1 = parsePacket(unicast);
  assert.ok(!r1.ok && r1.reason === "checksum", "pseudo-header dst ignored");
  // A v3 message summed the v2 way (no pseudo-header) is rejected.
  const v2Style = crafted(V3, (m) => {
    m.writeUInt16BE(0, 6);
    m.writeUInt16BE(internetChecksum(m), 6);
  });
  const r2 = parsePacket(v2Style);
  assert.ok(!r2.ok && r2.reason === "checksum", "v3 accepted without pseudo-header");
  // Rsvd bits are ignored on receipt (RFC 5798 5.2.5): re-sum a v3 message with Rsvd set.
  const rsvd = encodeAdvert(V3, SRC, MCAST);
  rsvd[4]! |= 0xf0;
  rsvd.writeUInt16BE(0, 6);
  rsvd.writeUInt16BE(encodeChecksumV3(rsvd), 6);
  assert.equal(mustParse(buildIpv4({ src: SRC, dst: MCAST }, rsvd)).advert.intervalCs, 100);
  // Max Adver Int 0 with a correct Checksum is dropped as "interval" (a backup would learn it).
  const zero = encodeAdvert(V3, SRC, MCAST);
  zero.writeUInt32BE(0, 4);
  zero.writeUInt16BE(encodeChecksumV3(zero), 6);
  const r3 = parsePacket(buildIpv4({ src: SRC, dst: MCAST }, zero));
  assert.ok(!r3.ok && r3.reason === "interval" && /Max Adver Int 0/.test(r3.detail));
});

/** Independent v3 Checksum for SRC -> MCAST (pseudo-header written out by hand). */
function encodeChecksumV3(msg: Buffer): number {
  const pseudo = Buffer.from(`0a000001e000001200700${msg.length.toString(16).padStart(3, "0")}`, "hex");
  return internetChecksum(pseudo, msg);
}

test("checkAdvert: per-instance drops and acceptance", () => {
  const v2View: InstanceView = {
    version: 2,
    vrid: 7,
    intervalCs: 100,
    addresses: ["10.0.0.101", "10.0.0.100"],
    auth: { type: "pass", password: "secret" },
  };
  const v3View: InstanceView = { version: 3, vrid: 7, intervalCs: 100, addresses: ["10.0.0.100"] };
  const drops: [string, Advertisement, InstanceView, DropReason, RegExp][] = [
    ["vrid mismatch", { ...V3, vrid: 8 }, v3View, "vrid", /Virtual Rtr ID 8, instance has 7/],
    ["version mismatch", V3, { ...v3View, version: 2 }, "version", /Version 3, instance runs 2/],
    ["v2 wrong password", { ...V2, auth: { type: "pass", password: "secreT" } }, v2View, "auth", /password/],
    [
      "v2 no auth vs PASS",
      { ...V2, auth: { type: "none" } },
      v2View,
      "auth",
      /Auth Type none received, pass configured/,
    ],
    ["v2 PASS vs no auth", V2, { ...v2View, auth: undefined }, "auth", /Auth Type pass received, none configured/],
    ["v2 interval mismatch", { ...V2, intervalCs: 200 }, v2View, "interval", /Adver Int 2 s, configured 1 s/],
  ];
  for (const [name, adv, view, reason, detail] of drops) {
    const r = checkAdvert(adv, view);
    assert.deepEqual(r.ok ? r : { ok: r.ok, reason: r.reason }, { ok: false, reason }, name);
    if (!r.ok) assert.match(r.detail, detail, name);
    if (!r.ok) assert.doesNotMatch(r.detail, /secre/i, `${name}: password leaked into detail`);
  }
  assert.deepEqual(checkAdvert(V2, v2View), { ok: true, addressMismatch: false }, "same set, other order");
  assert.deepEqual(
    checkAdvert({ ...V3, intervalCs: 37 }, v3View),
    { ok: true, addressMismatch: false },
    "v3 learns the interval",
  );
  assert.deepEqual(checkAdvert({ ...V3, addresses: ["10.0.0.100", "10.0.0.9"] }, v3View), {
    ok: true,
    addressMismatch: true,
  });
  assert.deepEqual(checkAdvert({ ...V2, addresses: ["10.0.0.100"] }, v2View), { ok: true, addressMismatch: true });
  // Padding is not part of the password: "secret" and "secret\0" are the same 8 bytes on the wire.
  assert.deepEqual(checkAdvert({ ...V2, auth: { type: "pass", password: "secret\0" } }, v2View), {
    ok: true,
    addressMismatch: false,
  });
});

test("encodeAdvert rejects bad input with an Error naming the field", () => {
  const bad: [Partial<Advertisement>, RegExp][] = [
    [{ vrid: 0 }, /vrid must be an integer in 1-255, got 0/],
    [{ vrid: 256 }, /vrid/],
    [{ vrid: 1.5 }, /vrid/],
    [{ priority: -1 }, /priority must be an integer in 0-255/],
    [{ priority: 256 }, /priority/],
    [{ intervalCs: 0 }, /Max Adver Int.*1-4095, got 0/],
    [{ intervalCs: 4096 }, /Max Adver Int/],
    [{ version: 2, intervalCs: 150 }, /whole seconds for v2.*150/],
    [{ version: 2, intervalCs: 25600 }, /Adver Int, seconds\) must be an integer in 1-255, got 256/],
    [{ version: 2, intervalCs: 0 }, /Adver Int, seconds/],
    [{ version: 4 as 3 }, /version must be 2 or 3, got 4/],
    [{ addresses: ["10.0.0.1", "10.0.0.256"] }, /addresses\[1\] is not an IPv4 address: 10.0.0.256/],
    [{ addresses: Array.from({ length: 256 }, () => "10.0.0.1") }, /addresses count/],
    [{ version: 2, auth: { type: "pass", password: "123456789" } }, /password must be at most 8 bytes, got 9/],
    [{ version: 2, auth: { type: "pass", password: "ääää5" } }, /at most 8 bytes, got 9/],
    [{ version: 3, auth: { type: "pass", password: "x" } }, /auth is v2 only/],
  ];
  for (const [patch, msg] of bad)
    assert.throws(() => encodeAdvert({ ...V3, ...patch }, SRC, MCAST), msg, JSON.stringify(patch).slice(0, 60));
  assert.throws(() => encodeAdvert(V3, "10.0.0", MCAST), /srcIp is not an IPv4 address/);
  assert.throws(() => buildAdvertPacket(V3, SRC, "::1"), /dstIp is not an IPv4 address/);
});

/** keepalived's packet against ours: identical VRRP bytes, and an IP header equal but for ID and DF. */
function assertMatchesOurs(captured: Buffer, advert: Advertisement): void {
  const r = mustParse(captured);
  assert.deepEqual(encodeAdvert(advert, r.src, r.dst), captured.subarray(20), "VRRP bytes differ from our encoder");
  const ours = buildAdvertPacket(advert, r.src, r.dst);
  captured.copy(ours, 4, 4, 8); // keepalived: ID counts from 1, flags 0 (no DF); ours: ID 0 (kernel picks), DF
  ours.writeUInt16BE(0, 10);
  ours.writeUInt16BE(internetChecksum(ours.subarray(0, 20)), 10);
  assert.equal(ours.toString("hex"), captured.toString("hex"));
}

test("keepalived 2.2.7 v3 advert (fixture) parses and matches our encoder byte for byte", () => {
  const pkt = fixture("keepalived-v3");
  const r = mustParse(pkt);
  assert.deepEqual(r, {
    ok: true,
    src: "198.51.100.10",
    dst: MCAST,
    ttl: 255,
    advert: { version: 3, vrid: 51, priority: 150, intervalCs: 50, addresses: ["192.0.2.100", "192.0.2.101"] },
  });
  assert.equal(pkt[1], 0xc0, "TOS");
  assert.equal(pkt.readUInt16BE(4), 1, "IP ID of keepalived's first advert");
  assert.equal(pkt.readUInt16BE(6), 0, "flags/fragment: keepalived does not set DF");
  assert.equal(pkt.readUInt16BE(26), 0xa8fc, "Checksum");
  assertMatchesOurs(pkt, r.advert);
  const view: InstanceView = { version: 3, vrid: 51, intervalCs: 100, addresses: ["192.0.2.100", "192.0.2.101"] };
  assert.deepEqual(checkAdvert(r.advert, view), { ok: true, addressMismatch: false });
});

test("keepalived 2.2.7 v2 PASS advert (fixture) parses and matches our encoder byte for byte", () => {
  const pkt = fixture("keepalived-v2-pass");
  const r = mustParse(pkt);
  const advert: Advertisement = {
    version: 2,
    vrid: 51,
    priority: 150,
    intervalCs: 100,
    addresses: ["192.0.2.100", "192.0.2.101"],
    auth: { type: "pass", password: "lvs-pw" },
  };
  assert.deepEqual(r, { ok: true, src: "198.51.100.10", dst: MCAST, ttl: 255, advert });
  assert.equal(pkt.subarray(-8).toString("hex"), "6c76732d70770000", "password zero-padded to 8 bytes");
  assert.equal(pkt.readUInt16BE(26), 0x72e3, "Checksum");
  assertMatchesOurs(pkt, advert);
  const view: InstanceView = {
    version: 2,
    vrid: 51,
    intervalCs: 100,
    addresses: advert.addresses,
    auth: { type: "pass", password: "lvs-pw" },
  };
  assert.deepEqual(checkAdvert(r.advert, view), { ok: true, addressMismatch: false });
  const wrong = checkAdvert(r.advert, { ...view, auth: { type: "pass", password: "lvs-px" } });
  assert.ok(!wrong.ok && wrong.reason === "auth");
});

/** pcap file (LINKTYPE_IPV4 = 228: each record is a bare IPv4 packet). */
function pcapOf(packets: Buffer[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(228, 20);
  const records = packets.map((p) => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(p.length, 8);
    rec.writeUInt32LE(p.length, 12);
    return Buffer.concat([rec, p]);
  });
  return Buffer.concat([head, ...records]);
}

test("tshark decodes our v2 and v3 packets with a Good checksum (and a Bad one when corrupted)", (t) => {
  if (spawnSync("tshark", ["--version"]).error) return t.skip("tshark not installed");
  const corrupt = buildAdvertPacket(V3, SRC, MCAST);
  corrupt[27]! ^= 0x01;
  const dir = mkdtempSync(join(tmpdir(), "vrrp-tshark-"));
  try {
    const file = join(dir, "adverts.pcap");
    writeFileSync(
      file,
      pcapOf([
        buildAdvertPacket(V2, SRC, MCAST),
        buildAdvertPacket(V3, SRC, MCAST),
        buildAdvertPacket(V3, SRC, "10.0.0.2"),
        corrupt,
      ]),
    );
    // Pin the v3 checksum to RFC 5798 (pseudo-header), whatever the local preference says.
    const args = [
      "-r",
      file,
      "-o",
      "vrrp.v3_checksum_as_in_v2:FALSE",
      "-T",
      "fields",
      "-e",
      "vrrp.version",
      "-e",
      "vrrp.checksum.status",
    ];
    const res = spawnSync("tshark", args, { encoding: "utf8" });
    assert.equal(res.status, 0, res.stderr);
    // checksum.status is epan's proto_checksum_enum_e: 0 = Bad, 1 = Good, 2 = Unverified.
    const rows = res.stdout
      .trim()
      .split("\n")
      .map((l) => l.split("\t"));
    assert.deepEqual(rows, [
      ["2", "1"],
      ["3", "1"],
      ["3", "1"],
      ["3", "0"],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
