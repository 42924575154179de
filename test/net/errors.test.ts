// Clear errors for a missing interface and for a process without CAP_NET_RAW.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { Lab, type Host } from "../helpers/netns.ts";
import { Driver, randomSubnet } from "./fixtures/client.ts";

const net = randomSubnet();
let lab: Lab;
let a: Host;
let da: Driver;

/** A wrapper that runs the driver without CAP_NET_RAW: as nobody via setpriv, else capsh dropping it. */
function unprivilegedPrefix(): string[] | undefined {
  if (existsSync("/usr/bin/setpriv")) return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];
  if (existsSync("/usr/sbin/capsh") || existsSync("/sbin/capsh")) return ["capsh", "--drop=cap_net_raw", "--"];
  return undefined;
}

before(async () => {
  lab = Lab.create([{ name: "a", addr: `${net}.1/24` }]);
  a = lab.host("a");
  da = await Driver.start(a);
});

after(() => lab?.destroy());

test("a missing interface is named, whatever opens it", async () => {
  const message = "interface nosuch0 does not exist";
  await assert.rejects(da.call("getLink", { ifname: "nosuch0" }), { message });
  await assert.rejects(da.call("openTransport", { name: "x", ifname: "nosuch0", multicast: true }), { message });
  await assert.rejects(da.call("garp", { ifname: "nosuch0", vip: `${net}.100` }), { message });
});

test("without CAP_NET_RAW the transport says what it needs", async (t) => {
  const prefix = unprivilegedPrefix();
  if (!prefix) return t.skip("neither setpriv nor capsh is installed: cannot drop CAP_NET_RAW");
  const unpriv = await Driver.start(a, prefix);
  await assert.rejects(unpriv.call("openTransport", { name: "x", ifname: "eth0", multicast: true }), {
    message: "lvs-agent needs CAP_NET_RAW to open a VRRP socket on eth0 (run as root or grant the capability)",
  });
  // AF_PACKET needs the same capability; that error names the call, the interface and the errno.
  await assert.rejects(unpriv.call("garp", { ifname: "eth0", vip: `${net}.100` }), /socket on eth0 failed: EPERM/);
  // Reading state needs no privilege, so the unprivileged driver really was running our code.
  assert.equal((await unpriv.call<{ name: string }>("getLink", { ifname: "eth0" })).name, "eth0");
});
