// VrrpTransport on the real kernel: multicast and unicast between namespaces on one bridge.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Lab, type Host } from "../helpers/netns.ts";
import { buildIpv4, IPPROTO_VRRP } from "../../agent/src/net/ipv4.ts";
import { Driver, randomSubnet, type DriverEvent } from "./fixtures/client.ts";

const net = randomSubnet();
let lab: Lab;
let a: Host, b: Host, c: Host;
let da: Driver, db: Driver, dc: Driver;

/** Packets seen by one transport of one driver. */
const seen = (d: Driver, name: string, marker: string) =>
  d.events.filter((e) => e.event === "packet" && e.name === name && String(e.hex).includes(marker));

/** Payload with a unique marker, so each test only looks at its own packet. */
function advert(marker: string): Buffer {
  return Buffer.concat([Buffer.from("2133ff01000100000a000064", "hex"), Buffer.from(marker, "hex")]);
}

/** The kernel fills in the IP ID (we send 0) and recomputes the checksum: compare everything else. */
function withoutIdAndChecksum(hex: string): string {
  const buf = Buffer.from(hex, "hex");
  buf.fill(0, 4, 6);
  buf.fill(0, 10, 12);
  return buf.toString("hex");
}

function assertSame(ev: DriverEvent, sent: Buffer, src: string, dst: string): void {
  assert.equal(withoutIdAndChecksum(String(ev.hex)), withoutIdAndChecksum(sent.toString("hex")));
  assert.equal(ev.src, src);
  assert.equal(ev.dst, dst);
  assert.equal(ev.ttl, 255);
}

before(async () => {
  lab = Lab.create([
    { name: "a", addr: `${net}.1/24` },
    { name: "b", addr: `${net}.2/24` },
    { name: "c", addr: `${net}.3/24` },
  ]);
  [a, b, c] = [lab.host("a"), lab.host("b"), lab.host("c")];
  // c gets a second interface (a veth pair inside its namespace: this kernel has no dummy driver).
  c.exec("ip", ["link", "add", "eth1", "type", "veth", "peer", "name", "eth1p"]);
  c.exec("ip", ["link", "set", "eth1", "up"]);
  c.exec("ip", ["link", "set", "eth1p", "up"]);
  [da, db, dc] = await Promise.all([Driver.start(a), Driver.start(b), Driver.start(c)]);
  await da.call("openTransport", { name: "main", ifname: "eth0", multicast: true });
  await db.call("openTransport", { name: "main", ifname: "eth0", multicast: true });
  await db.call("openTransport", { name: "unicast", ifname: "eth0", multicast: false });
  await dc.call("openTransport", { name: "main", ifname: "eth0", multicast: true });
  await dc.call("openTransport", { name: "other", ifname: "eth1", multicast: true });
});

after(() => lab?.destroy());

test("multicast advert reaches every host joined on the segment, and only there", async () => {
  const marker = "a1b2c3d4";
  const pkt = buildIpv4({ src: a.ip, dst: "224.0.0.18", protocol: IPPROTO_VRRP }, advert(marker));
  await da.call("send", { name: "main", hex: pkt.toString("hex") });
  const [atB, atC] = await Promise.all([
    db.waitEvent((e) => seen(db, "main", marker).includes(e), 2000),
    dc.waitEvent((e) => seen(dc, "main", marker).includes(e), 2000),
  ]);
  assertSame(atB, pkt, a.ip, "224.0.0.18");
  assertSame(atC, pkt, a.ip, "224.0.0.18");
  await new Promise((r) => setTimeout(r, 300)); // time for any stray copy to arrive
  assert.equal(seen(dc, "other", marker).length, 0, "transport bound to eth1 must not see eth0's advert");
  assert.equal(seen(db, "unicast", marker).length, 0, "unicast-only transport must not see multicast");
  assert.equal(seen(da, "main", marker).length, 0, "IP_MULTICAST_LOOP 0: the sender must not hear itself");
  assert.equal(seen(db, "main", marker).length, 1, "exactly one copy");
});

test("unicast advert reaches its destination only", async () => {
  const marker = "5e5e5e5e";
  const pkt = buildIpv4({ src: a.ip, dst: b.ip, protocol: IPPROTO_VRRP }, advert(marker));
  await da.call("send", { name: "main", hex: pkt.toString("hex") });
  const atB = await db.waitEvent((e) => seen(db, "unicast", marker).includes(e), 2000);
  assertSame(atB, pkt, a.ip, b.ip);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(seen(dc, "main", marker).length, 0, "c must not receive b's unicast");
  assert.equal(seen(dc, "other", marker).length, 0);
});

test("SO_BINDTODEVICE: a transport on eth1 does not see unicast arriving on eth0", async () => {
  // Unicast is not subject to IP_MULTICAST_ALL, so only the device binding keeps it out.
  const marker = "c0ffee00";
  const pkt = buildIpv4({ src: a.ip, dst: c.ip, protocol: IPPROTO_VRRP }, advert(marker));
  await da.call("send", { name: "main", hex: pkt.toString("hex") });
  assertSame(await dc.waitEvent((e) => seen(dc, "main", marker).includes(e), 2000), pkt, a.ip, c.ip);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(seen(dc, "other", marker).length, 0, "transport bound to eth1 must not see eth0's unicast");
});

test("a link flap: sending while down fails clearly, and the group membership survives", async () => {
  const pkt = (marker: string, src: string) => buildIpv4({ src, dst: "224.0.0.18" }, advert(marker)).toString("hex");
  c.linkSet("down");
  try {
    // ENETUNREACH, not ENETDOWN: with the device down its routes are gone, so the lookup fails first.
    await assert.rejects(
      dc.call("send", { name: "main", hex: pkt("d0d0d0d0", c.ip) }),
      /sending VRRP on eth0 to 224\.0\.0\.18 failed: sendto on eth0 failed: ENETUNREACH \(network is unreachable\)/,
    );
  } finally {
    c.linkSet("up");
  }
  // Admin down/up keeps the socket's IP_ADD_MEMBERSHIP (only unregistering the device drops it).
  const marker = "f1a9f1a9";
  await da.call("send", { name: "main", hex: pkt(marker, a.ip) });
  await dc.waitEvent((e) => seen(dc, "main", marker).includes(e), 2000);
});

test("send rejects a malformed packet with a clear error", async () => {
  await assert.rejects(da.call("send", { name: "main", hex: "4500" }), /malformed IPv4 packet on eth0/);
});
