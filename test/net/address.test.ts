// VIP add/delete/list over rtnetlink, inside a namespace, checked against `ip` and a neighbour's ping.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Lab, type Host } from "../helpers/netns.ts";
import { Driver, randomSubnet } from "./fixtures/client.ts";

const net = randomSubnet();
const VIP24 = `${net}.100/24`;
const VIP32 = `${net}.101/32`;
let lab: Lab;
let a: Host, n: Host;
let da: Driver;

type Cidrs = { address: string; prefix: number }[];

before(async () => {
  lab = Lab.create([
    { name: "a", addr: `${net}.1/24` },
    { name: "n", addr: `${net}.2/24` },
  ]);
  [a, n] = [lab.host("a"), lab.host("n")];
  da = await Driver.start(a);
});

after(() => lab?.destroy());

const ping = (h: Host, ip: string) =>
  h.exec("ping", ["-c", "1", "-W", "1", ip], { allowFail: true }).includes(" 0% packet loss");

test("add, list, idempotent add, neighbour reaches the VIP", async () => {
  assert.equal(await da.call("addAddress", { ifname: "eth0", cidr: VIP24 }), "added");
  assert.equal(await da.call("addAddress", { ifname: "eth0", cidr: VIP32 }), "added");
  // Sorted: the kernel lists primaries before secondaries, so the /32 (its own subnet, hence a
  // primary) comes before the /24 VIP (a secondary of the host's own address).
  const listed = await da.call<Cidrs>("listAddresses", { ifname: "eth0" });
  assert.deepEqual(listed.map((c) => `${c.address}/${c.prefix}`).sort(), a.ip4Addrs().sort(), "`ip addr` agrees");
  assert.deepEqual(
    [...listed].sort((x, y) => x.address.localeCompare(y.address)),
    [
      { address: `${net}.1`, prefix: 24 },
      { address: `${net}.100`, prefix: 24 },
      { address: `${net}.101`, prefix: 32 },
    ],
  );
  assert.equal(await da.call("addAddress", { ifname: "eth0", cidr: VIP24 }), "exists");
  assert.equal(await da.call("addAddress", { ifname: "eth0", cidr: VIP32 }), "exists");
  assert.ok(ping(n, `${net}.100`), "neighbour pings the /24 VIP");
  assert.ok(ping(n, `${net}.101`), "neighbour pings the /32 VIP");
});

test("delete, then delete again is absent", async () => {
  assert.equal(await da.call("deleteAddress", { ifname: "eth0", cidr: VIP24 }), "deleted");
  assert.equal(await da.call("deleteAddress", { ifname: "eth0", cidr: VIP32 }), "deleted");
  assert.equal(await da.call("deleteAddress", { ifname: "eth0", cidr: VIP24 }), "absent");
  assert.equal(await da.call("deleteAddress", { ifname: "eth0", cidr: VIP32 }), "absent");
  assert.deepEqual(await da.call<Cidrs>("listAddresses", { ifname: "eth0" }), [{ address: `${net}.1`, prefix: 24 }]);
  assert.ok(!a.hasAddr(`${net}.100`) && !a.hasAddr(`${net}.101`));
});

test("keepalived's brd +: the kernel holds the prefix's broadcast address", async () => {
  const vip = `${net}.77/24`;
  assert.equal(await da.call("addAddress", { ifname: "eth0", cidr: vip, broadcast: "+" }), "added");
  const shown = JSON.parse(a.exec("ip", ["-j", "-4", "addr", "show", "dev", "eth0"])) as {
    addr_info: { local: string; broadcast?: string }[];
  }[];
  const info = shown[0]!.addr_info.find((x) => x.local === `${net}.77`);
  assert.equal(info?.broadcast, `${net}.255`);
  assert.equal(await da.call("deleteAddress", { ifname: "eth0", cidr: vip }), "deleted");
});

test("a missing interface or a malformed CIDR is a clear error", async () => {
  await assert.rejects(da.call("addAddress", { ifname: "eth9", cidr: VIP32 }), {
    message: "interface eth9 does not exist",
  });
  await assert.rejects(da.call("deleteAddress", { ifname: "eth9", cidr: VIP32 }), {
    message: "interface eth9 does not exist",
  });
  await assert.rejects(da.call("listAddresses", { ifname: "eth9" }), { message: "interface eth9 does not exist" });
  await assert.rejects(da.call("addAddress", { ifname: "eth0", cidr: `${net}.300/24` }), /not an IPv4 address/);
});
