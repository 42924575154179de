// getLink and watchLink (rtnetlink RTMGRP_LINK subscription) inside a namespace.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Lab, type Host } from "../helpers/netns.ts";
import { Driver, randomSubnet } from "./fixtures/client.ts";

const net = randomSubnet();
let lab: Lab;
let a: Host;
let da: Driver;

interface LinkInfo {
  name: string;
  index: number;
  mac: string;
  up: boolean;
  running: boolean;
  addresses: { address: string; prefix: number }[];
}

before(async () => {
  lab = Lab.create([{ name: "a", addr: `${net}.1/24` }]);
  a = lab.host("a");
  // A veth pair inside the namespace: taking vb down drops va's carrier while va stays admin up.
  a.exec("ip", ["link", "add", "va", "type", "veth", "peer", "name", "vb"]);
  a.exec("ip", ["link", "set", "va", "up"]);
  a.exec("ip", ["link", "set", "vb", "up"]);
  da = await Driver.start(a);
});

after(() => lab?.destroy());

/** Run change() and resolve with how long the watcher took to report `running`. */
async function timeToReport(ifname: string, running: boolean, change: () => void): Promise<number> {
  const already = da.events.length;
  const t0 = Date.now();
  change();
  const ev = await da.waitEvent(
    (e) => da.events.indexOf(e) >= already && e.event === "link" && e.ifname === ifname && e.running === running,
    2000,
  );
  return ev.t - t0;
}

test("getLink reports name, index, MAC, state and addresses", async () => {
  const info = await da.call<LinkInfo>("getLink", { ifname: "eth0" });
  assert.equal(info.name, "eth0");
  assert.equal(info.mac, a.mac);
  assert.ok(info.index > 0);
  assert.equal(info.up, true);
  assert.equal(info.running, true);
  assert.deepEqual(info.addresses, [{ address: `${net}.1`, prefix: 24 }]);
});

test("watchLink reports admin down and up within 500 ms", async (t) => {
  await da.call("watchLink", { ifname: "eth0" });
  const down = await timeToReport("eth0", false, () => a.linkSet("down"));
  const info = await da.call<LinkInfo>("getLink", { ifname: "eth0" });
  assert.equal(info.up, false);
  assert.equal(info.running, false);
  const up = await timeToReport("eth0", true, () => a.linkSet("up"));
  t.diagnostic(`down reported after ${down} ms, up after ${up} ms`);
  // Event-driven (rtnetlink), not polled: well under a second even on a loaded machine.
  assert.ok(down < 2000, `down took ${down} ms`);
  assert.ok(up < 2000, `up took ${up} ms`);
});

test("watchLink reports carrier loss while the link stays admin up", async (t) => {
  await da.call("watchLink", { ifname: "va" });
  const lost = await timeToReport("va", false, () => a.exec("ip", ["link", "set", "vb", "down"]));
  const info = await da.call<LinkInfo>("getLink", { ifname: "va" });
  assert.equal(info.up, true, "admin state untouched");
  assert.equal(info.running, false, "no carrier");
  const back = await timeToReport("va", true, () => a.exec("ip", ["link", "set", "vb", "up"]));
  t.diagnostic(`carrier loss reported after ${lost} ms, return after ${back} ms`);
  assert.ok(lost < 500 && back < 500);
});

test("watchLink reports a deleted interface as not running", async () => {
  await timeToReport("va", false, () => a.exec("ip", ["link", "del", "va"]));
});
