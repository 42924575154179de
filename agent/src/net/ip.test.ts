import { test } from "node:test";
import assert from "node:assert/strict";
import { internetChecksum, parseCidr, sameSubnet, ipToBytes, bytesToIp } from "./ip.ts";
import { buildIpv4, parseIpv4 } from "./ipv4.ts";

test("RFC 1071 checksum of a known IPv4 header", () => {
  // Header from RFC 1071-style worked example (wikipedia's IPv4 header checksum example).
  const hdr = Buffer.from("450000730000400040110000c0a80001c0a800c7", "hex");
  assert.equal(internetChecksum(hdr), 0xb861);
  hdr.writeUInt16BE(0xb861, 10);
  assert.equal(internetChecksum(hdr), 0);
});

test("odd-length checksum pads with zero", () => {
  assert.equal(internetChecksum(Buffer.from([0x01])), ~0x0100 & 0xffff);
});

test("cidr parsing and subnets", () => {
  assert.deepEqual(parseCidr("10.0.0.1/24"), { address: "10.0.0.1", prefix: 24 });
  assert.deepEqual(parseCidr("10.0.0.1"), { address: "10.0.0.1", prefix: 32 });
  assert.throws(() => parseCidr("10.0.0.300/24"), /not an IPv4/);
  assert.throws(() => parseCidr("10.0.0.1/33"), /prefix/);
  assert.ok(sameSubnet("10.0.0.1", "10.0.0.254", 24));
  assert.ok(!sameSubnet("10.0.0.1", "10.0.1.1", 24));
  assert.equal(bytesToIp(ipToBytes("1.2.3.4")), "1.2.3.4");
});

test("ipv4 header round trip", () => {
  const pkt = buildIpv4({ src: "10.1.1.1", dst: "224.0.0.18" }, Buffer.from([1, 2, 3]));
  assert.equal(internetChecksum(pkt.subarray(0, 20)), 0);
  const p = parseIpv4(pkt);
  assert.ok(p.ok);
  assert.equal(p.header.ttl, 255);
  assert.equal(p.header.protocol, 112);
  assert.equal(p.header.dst, "224.0.0.18");
  assert.deepEqual([...p.payload], [1, 2, 3]);
  assert.equal(parseIpv4(Buffer.alloc(5)).ok, false);
});
