import { test } from "node:test";
import assert from "node:assert/strict";
import { countsForeignAdvert, type Listener } from "./foreign-vrid.ts";

const l = (
  name: string,
  vrid: number,
  multicast: boolean,
  ifname = "eth0",
  protocol = 112,
  running = true,
): Listener => ({
  name,
  interface: ifname,
  vrid,
  multicast,
  protocol,
  running,
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

test("a configured instance not started yet: its VRID is a sibling's; it does not count, the first running one does", () => {
  // The agent starts instances one by one: d2's VI_U (VRID 41) still to start while VI_M's socket hears
  // d1's VI_U adverts. They are not foreign (CI once saw one counted so).
  const all = [l("M", 40, true, "eth0", 112, false), l("U", 41, false), l("M2", 42, true)];
  const counters = (vrid: number) => all.filter((x) => countsForeignAdvert(all, x.name, vrid)).map((x) => x.name);
  assert.deepEqual(counters(40), []);
  assert.deepEqual(counters(99), ["M2"]);
});
