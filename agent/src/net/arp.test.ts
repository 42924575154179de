import { test } from "node:test";
import assert from "node:assert/strict";
import { buildGratuitousArp, macToBytes } from "./arp.ts";

// Captured with tshark on a veth peer while keepalived 2.2.7 (Debian) took MASTER for 10.77.0.100 on
// an interface with MAC 02:00:00:aa:bb:cc (vrrp_garp_master_repeat 1).
const KEEPALIVED_GARP = [
  "ffffffffffff 020000aabbcc 0806", // Ethernet: broadcast <- our MAC, type ARP
  "0001 0800 06 04 0001", // Ethernet/IPv4, hlen 6, plen 4, op 1 (request)
  "020000aabbcc 0a4d0064", // sender MAC, sender IP = VIP
  "ffffffffffff 0a4d0064", // target MAC broadcast, target IP = VIP
]
  .join("")
  .replaceAll(" ", "");

test("gratuitous ARP matches keepalived's frame byte for byte", () => {
  const frame = buildGratuitousArp("02:00:00:aa:bb:cc", "10.77.0.100");
  assert.equal(frame.toString("hex"), KEEPALIVED_GARP);
  assert.equal(frame.length, 42);
});

test("MAC case does not matter; malformed MACs and IPs are rejected", () => {
  assert.deepEqual(
    buildGratuitousArp("02:00:00:AA:BB:CC", "10.77.0.100"),
    buildGratuitousArp("02:00:00:aa:bb:cc", "10.77.0.100"),
  );
  assert.throws(() => macToBytes("02:00:00:aa:bb"), /not a MAC address/);
  assert.throws(() => buildGratuitousArp("02:00:00:aa:bb:cc", "10.77.0"), /not an IPv4 address/);
});
