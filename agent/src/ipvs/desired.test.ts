import { test } from "node:test";
import assert from "node:assert/strict";
import { AgentVirtualServer, type VirtualServerConfig } from "../config/ipvs.ts";
import { desiredService, desiredTable, realServerId, type Health } from "./desired.ts";

function vs(over: object = {}): VirtualServerConfig {
  return AgentVirtualServer.parse({
    address: "10.0.0.100",
    port: 80,
    scheduler: "wrr",
    healthCheck: { type: "tcp", interval: 1 },
    realServers: [
      { address: "10.0.1.1", weight: 2 },
      { address: "10.0.1.2", weight: 3 },
    ],
    ...over,
  });
}

const id = (v: VirtualServerConfig, i: number) => realServerId("web", v, v.realServers[i]!);

function health(v: VirtualServerConfig, ...states: (Health | undefined)[]): Map<string, Health> {
  const m = new Map<string, Health>();
  states.forEach((h, i) => h && m.set(id(v, i), h));
  return m;
}

test("service fields map from keepalived-style config", () => {
  const v = vs({ persistence: { timeout: 50, netmask: 24 }, flags: { fallback: true }, scheduler: "sh" });
  const s = desiredService("web", v, new Map()).service;
  assert.deepEqual(s, {
    protocol: "tcp",
    address: "10.0.0.100",
    port: 80,
    scheduler: "sh",
    flags: { persistent: true, onePacket: false, schedFlag1: true, schedFlag2: false, schedFlag3: false },
    timeout: 50,
    netmask: 24,
  });
  assert.deepEqual(
    desiredService("fw", vs({ address: undefined, port: undefined, fwmark: 7 }), new Map()).service.timeout,
    0,
  );
});

test("healthy servers are in with their weights; failed ones are removed", () => {
  const v = vs();
  const d = desiredService("web", v, health(v, { up: true }, { up: false }));
  assert.deepEqual(
    d.dests.map((x) => [x.address, x.port, x.weight, x.fwd]),
    [["10.0.1.1", 80, 2, "dr"]],
  );
});

test("inhibitOnFailure keeps a failed server at weight 0", () => {
  const v = vs({ inhibitOnFailure: true });
  const d = desiredService("web", v, health(v, { up: true }, { up: false }));
  assert.deepEqual(
    d.dests.map((x) => x.weight),
    [2, 0],
  );
});

test("unknown health counts as up, unless alpha", () => {
  assert.equal(desiredService("web", vs(), new Map()).dests.length, 2);
  assert.equal(desiredService("web", vs({ alpha: true }), new Map()).dests.length, 0);
});

test("a dynamic weight from the check replaces the configured one", () => {
  const v = vs();
  const d = desiredService("web", v, health(v, { up: true, weight: 9 }, { up: true }));
  assert.deepEqual(
    d.dests.map((x) => x.weight),
    [9, 3],
  );
});

test("the sorry server serves when none is live, and when quorum is lost", () => {
  const sorry = { sorryServer: { address: "10.0.2.1", port: 8080 } };
  const v = vs(sorry);
  const none = desiredService("web", v, health(v, { up: false }, { up: false }));
  assert.deepEqual(
    none.dests.map((x) => `${x.address}:${x.port}/${x.weight}`),
    ["10.0.2.1:8080/1"],
  );
  const q = vs({ ...sorry, quorum: 4 });
  const lost = desiredService("web", q, health(q, { up: false }, { up: true }));
  assert.equal(lost.quorumLost, true);
  assert.deepEqual(
    lost.dests.map((x) => x.address),
    ["10.0.2.1"],
  );
  const kept = desiredService("web", q, health(q, { up: true }, { up: true }));
  assert.equal(kept.quorumLost, false);
  assert.equal(kept.dests.length, 2);
});

test("per-server forwarding and 'none' checks", () => {
  const v = vs({
    forwarding: "NAT",
    realServers: [{ address: "10.0.1.1", port: 8080, forwarding: "TUN", healthCheck: "none" }],
  });
  const d = desiredService("web", v, new Map([[id(v, 0), { up: false }]]));
  assert.deepEqual(
    d.dests.map((x) => [x.port, x.fwd]),
    [[8080, "tun"]],
  );
});

test("draining servers stay at weight 0 beside the configured ones", () => {
  const v = vs();
  const gone = { address: "10.0.1.9", port: 80, fwd: "dr" as const, weight: 5, upperThreshold: 0, lowerThreshold: 0 };
  const [t] = desiredTable({ web: v }, new Map(), new Map([["web", [gone]]]));
  assert.deepEqual(
    t!.dests.map((x) => `${x.address}/${x.weight}`),
    ["10.0.1.1/2", "10.0.1.2/3", "10.0.1.9/0"],
  );
});

test("an IPv6 service: per-client persistence is /128, a fwmark service takes its real servers' family", () => {
  const v6 = vs({
    address: "2001:db8::100",
    persistence: { timeout: 60 },
    realServers: [{ address: "2001:db8:1::1" }, { address: "2001:db8:1::2" }],
  });
  const d = desiredService("web6", v6, new Map());
  assert.equal(d.service.netmask, 128);
  assert.deepEqual(
    d.dests.map((x) => x.address),
    ["2001:db8:1::1", "2001:db8:1::2"],
  );
  assert.equal(desiredService("web4", vs({ persistence: { timeout: 60 } }), new Map()).service.netmask, 32);
  const fw6 = vs({ address: undefined, port: undefined, fwmark: 7, realServers: [{ address: "2001:db8:1::1" }] });
  assert.deepEqual(desiredService("fw6", fw6, new Map()).service, {
    ...desiredService("fw6", fw6, new Map()).service,
    family: "inet6",
    fwmark: 7,
  });
});

test("alpha with quorum: the sorry server serves until the tracked quorum is back", () => {
  const q = vs({ alpha: true, quorum: 2, sorryServer: { address: "10.0.2.1" } });
  // nothing checked yet: with alpha nobody is live, so a start has no quorum
  assert.equal(desiredService("web", q, new Map()).quorumLost, true);
  // the manager's tracked state wins over the start state (hysteresis keeps it up)
  const live = health(q, { up: true }, { up: false });
  assert.equal(desiredService("web", q, live, true).quorumLost, false);
  assert.equal(desiredService("web", q, live, false).dests[0]!.address, "10.0.2.1");
});
