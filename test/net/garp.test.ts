// Gratuitous ARP through GarpSender (AF_PACKET via koffi), verified by a neighbour's ARP table moving
// from the old owner's MAC to the new one without the neighbour sending anything to the VIP.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Lab, waitFor, type Host } from "../helpers/netns.ts";
import { Driver, randomSubnet } from "./fixtures/client.ts";

const net = randomSubnet();
const VIP = `${net}.100`;
let lab: Lab;
let a: Host, b: Host, client: Host;
let db: Driver;

before(async () => {
  lab = Lab.create([
    { name: "a", addr: `${net}.1/24` },
    { name: "b", addr: `${net}.2/24` },
    { name: "cl", addr: `${net}.3/24` },
  ]);
  [a, b, client] = [lab.host("a"), lab.host("b"), lab.host("cl")];
  db = await Driver.start(b);
});

after(() => lab?.destroy());

test("GARP from the new owner moves the neighbour's cached MAC for the VIP", async (t) => {
  a.exec("ip", ["addr", "add", `${VIP}/24`, "dev", "eth0"]);
  client.exec("ping", ["-c", "1", "-W", "1", VIP]);
  assert.equal(client.neighbourMac(VIP), a.mac, "client learned A's MAC for the VIP");

  // The VIP moves. Linux sends no ARP of its own on an address add, so nothing but our GARP can
  // correct the client, which still points at A.
  a.exec("ip", ["addr", "del", `${VIP}/24`, "dev", "eth0"]);
  assert.equal(await db.call("addAddress", { ifname: "eth0", cidr: `${VIP}/24` }), "added");
  assert.equal(client.neighbourMac(VIP), a.mac, "nothing else updated the client");

  // arp_accept=0 (the default) only stops an unsolicited ARP from *creating* an entry. For an entry
  // that exists, arp_process() updates it from a gratuitous request (sender IP = target IP) and, being
  // gratuitous, with override despite locktime (the client learned A's MAC well under 1 s ago).
  assert.equal(client.exec("sysctl", ["-n", "net.ipv4.conf.eth0.arp_accept"]).trim(), "0");
  const t0 = Date.now();
  assert.equal(await db.call("garp", { ifname: "eth0", vip: VIP }), 1);
  await waitFor(() => client.neighbourMac(VIP) === b.mac, 1000, "client's neighbour entry to show B's MAC");
  t.diagnostic(`neighbour updated ${Date.now() - t0} ms after the GARP request was made`);
});

test("GarpSender errors name the interface", async () => {
  await assert.rejects(db.call("garp", { ifname: "eth9", vip: VIP }), { message: "interface eth9 does not exist" });
  b.exec("ip", ["link", "set", "eth0", "down"]);
  try {
    await assert.rejects(db.call("garp", { ifname: "eth0", vip: VIP }), /sendto on eth0 failed: ENETDOWN/);
  } finally {
    b.exec("ip", ["link", "set", "eth0", "up"]);
  }
});
