import { test } from "node:test";
import assert from "node:assert/strict";
import type { IpvsDest, IpvsService } from "./codec.ts";
import { ownedAfter, reconcile, serviceId, type VirtualService } from "./reconcile.ts";

const flags = { persistent: false, onePacket: false, schedFlag1: false, schedFlag2: false, schedFlag3: false };

function svc(port: number, over: Partial<IpvsService> = {}): IpvsService {
  return {
    protocol: "tcp",
    address: "10.0.0.100",
    port,
    scheduler: "wrr",
    flags,
    timeout: 0,
    netmask: 32,
    ...over,
  } as IpvsService;
}

function dest(last: number, over: Partial<IpvsDest> = {}): IpvsDest {
  return { address: `10.0.1.${last}`, port: 80, fwd: "dr", weight: 1, upperThreshold: 0, lowerThreshold: 0, ...over };
}

function vs(s: IpvsService, ...dests: IpvsDest[]): VirtualService {
  return { service: s, dests };
}

test("an empty kernel gets every service and destination added", () => {
  const ops = reconcile([vs(svc(80), dest(1), dest(2))], []);
  assert.deepEqual(
    ops.map((o) => o.op),
    ["addService", "addDest", "addDest"],
  );
});

test("equal tables give no operations", () => {
  const t = [vs(svc(80), dest(1), dest(2)), vs(svc(443, { scheduler: "rr" }), dest(3))];
  const kernel = structuredClone(t).map((v) => ({ ...v, dests: [...v.dests].reverse() }));
  assert.deepEqual(reconcile(t, kernel, ownedAfter(t)), []);
});

test("hand edits are repaired: a deleted service, a deleted destination, an edited weight", () => {
  const want = [vs(svc(80), dest(1), dest(2)), vs(svc(81), dest(1))];
  const kernel = [vs(svc(80), dest(1, { weight: 7 }))];
  const ops = reconcile(want, kernel, ownedAfter(want));
  assert.deepEqual(ops, [
    { op: "editDest", key: want[0]!.service, dest: dest(1) },
    { op: "addDest", key: want[0]!.service, dest: dest(2) },
    { op: "addService", service: want[1]!.service },
    { op: "addDest", key: want[1]!.service, dest: dest(1) },
  ]);
});

test("service settings changes are edits, not delete+add (connections survive)", () => {
  const want = [vs(svc(80, { scheduler: "lc", timeout: 300, flags: { ...flags, persistent: true } }), dest(1))];
  const ops = reconcile(want, [vs(svc(80), dest(1))]);
  assert.deepEqual(ops, [{ op: "editService", service: want[0]!.service }]);
});

test("services not ours are left alone; ours that left the config are deleted", () => {
  const foreign = vs(svc(8080), dest(9));
  const stale = vs(svc(81), dest(1));
  const ops = reconcile(
    [vs(svc(80), dest(1))],
    [vs(svc(80), dest(1)), foreign, stale],
    new Set([serviceId(stale.service)]),
  );
  assert.deepEqual(ops, [{ op: "delService", key: stale.service }]);
});

test("removed destinations are deleted before new ones are added", () => {
  const ops = reconcile([vs(svc(80), dest(3))], [vs(svc(80), dest(1))]);
  assert.deepEqual(
    ops.map((o) => o.op),
    ["delDest", "addDest"],
  );
});

test("forwarding method, thresholds and tunnel settings are compared", () => {
  const base = [vs(svc(80), dest(1))];
  for (const over of [{ fwd: "nat" as const }, { upperThreshold: 10 }, { lowerThreshold: 2 }]) {
    assert.equal(reconcile([vs(svc(80), dest(1, over))], base)[0]?.op, "editDest", JSON.stringify(over));
  }
  const tun = (port: number) => dest(1, { fwd: "tun", tunnel: { type: "gue", port, checksum: "nocsum" } });
  assert.deepEqual(reconcile([vs(svc(80), tun(6080))], [vs(svc(80), tun(6080))]), []);
  assert.equal(reconcile([vs(svc(80), tun(6081))], [vs(svc(80), tun(6080))])[0]?.op, "editDest");
});

test("fwmark services are keyed by mark and family", () => {
  const fw = (mark: number): IpvsService => ({
    family: "inet",
    fwmark: mark,
    scheduler: "rr",
    flags,
    timeout: 0,
    netmask: 32,
  });
  assert.equal(serviceId(fw(7)), "fwm inet 7");
  assert.deepEqual(reconcile([vs(fw(7), dest(1))], [vs(fw(7), dest(1))]), []);
  assert.equal(reconcile([vs(fw(8), dest(1))], [vs(fw(7), dest(1))])[0]?.op, "addService");
});

test("a no-op reconcile of 1,000 services x 10 destinations is cheap and empty", () => {
  const t = Array.from({ length: 1000 }, (_, i) =>
    vs(svc(1000 + i), ...Array.from({ length: 10 }, (_, j) => dest(j + 1))),
  );
  assert.deepEqual(reconcile(t, structuredClone(t), ownedAfter(t)), []);
});
