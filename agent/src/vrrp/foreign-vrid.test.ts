import { test } from "node:test";
import assert from "node:assert/strict";
import { countsForeignAdvert, type Listener } from "./foreign-vrid.ts";

const l = (name: string, vrid: number, multicast: boolean, ifname = "eth0", protocol = 112): Listener => ({
  name,
  interface: ifname,
  vrid,
  multicast,
  protocol,
});

test("one instance of each interface and protocol counts a foreign VRID: the first multicast one", () => {
  const all = [
    l("U", 10, false),
    l("M1", 11, true),
    l("M2", 12, true),
    l("E1", 13, true, "eth1"),
    l("A", 14, true, "eth0", 51),
  ];
  const counters = (vrid: number) => all.filter((x) => countsForeignAdvert(all, x.name, vrid)).map((x) => x.name);
  assert.deepEqual(counters(99), ["M1", "E1", "A"]);
  // A sibling's VRID on the same interface is not foreign; on another interface it is.
  assert.deepEqual(counters(10), ["E1"]);
  assert.deepEqual(counters(13), ["M1", "A"]);
});

test("without a multicast instance the first unicast one counts; an unknown instance never does", () => {
  const all = [l("U1", 10, false), l("U2", 11, false)];
  assert.ok(countsForeignAdvert(all, "U1", 99));
  assert.ok(!countsForeignAdvert(all, "U2", 99));
  assert.ok(!countsForeignAdvert(all, "gone", 99));
});
