// Unit tests of test/helpers/loss-stats.ts (pure: no namespaces, no processes), on lines as tcpdump,
// `ip monitor` and the two implementations print them.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  bothHold,
  longestMs,
  masterDownMs,
  parseAddrEvent,
  parseNflogAdvert,
  statesEntered,
  takeoverBounds,
  totalMs,
} from "./loss-stats.ts";

test("Master_Down_Interval as RFC 5798 6.1 gives it", () => {
  assert.equal(masterDownMs(0.1, 100), 300 + 60.9375);
  assert.equal(masterDownMs(1, 100), 3609.375);
});

test("an NFLOG line from tcpdump gives the kernel time, source and priority; other lines nothing", () => {
  const a = parseNflogAdvert(
    "1796316104.790011 IP 10.68.0.11 > 224.0.0.18: VRRPv3, Advertisement, vrid 68, prio 150, intvl 10cs, length 12",
  );
  assert.deepEqual(a, { t: 1796316104790.011, src: "10.68.0.11", priority: 150 });
  assert.equal(
    parseNflogAdvert(
      "listening on nflog:7, link-type NFLOG (Linux netfilter log messages), snapshot length 262144 bytes",
    ),
    undefined,
  );
});

test("takeover bounds: none for gaps under the interval, one per gap well over it, either way just over it", () => {
  const mdi = 361;
  const at = (gaps: number[]) => gaps.reduce((ts, g) => [...ts, ts.at(-1)! + g], [0]);
  assert.deepEqual(takeoverBounds(at([100, 200, 300, 100, 310]), mdi), { min: 0, max: 0, overMdi: [], maxGapMs: 310 });
  const b = takeoverBounds(at([100, 400, 100, 500, 355]), mdi);
  assert.deepEqual([b.min, b.max, b.overMdi], [1, 3, [400, 500]]);
  assert.deepEqual(takeoverBounds([5], mdi), { min: 0, max: 0, overMdi: [], maxGapMs: 0 });
});

test("ip monitor lines about the VIP, added and deleted", () => {
  const vip = "10.70.0.100";
  assert.equal(
    parseAddrEvent(
      "2: eth0    inet 10.70.0.100/24 scope global secondary eth0\\       valid_lft forever preferred_lft forever",
      vip,
    ),
    true,
  );
  assert.equal(
    parseAddrEvent("Deleted 2: eth0    inet 10.70.0.100/24 scope global secondary eth0\\       valid_lft forever", vip),
    false,
  );
  assert.equal(parseAddrEvent("2: eth0    inet 10.70.0.11/24 scope global eth0", vip), undefined);
  assert.equal(parseAddrEvent("2: eth0    inet 10.70.0.1000/24 scope global eth0", vip), undefined);
});

test("both hold: the overlaps of two hosts' VIP timelines, clipped to the window", () => {
  const a = [{ t: 10, holds: true }];
  const b = [
    { t: 20, holds: true },
    { t: 30, holds: false },
    { t: 50, holds: true },
    { t: 70, holds: false },
  ];
  assert.deepEqual(bothHold(a, b, 0, 100), [
    { start: 20, end: 30 },
    { start: 50, end: 70 },
  ]);
  assert.deepEqual(bothHold(a, b, 25, 60), [
    { start: 25, end: 30 },
    { start: 50, end: 60 },
  ]);
  const both = bothHold(a, b, 0, 100);
  assert.deepEqual([totalMs(both), longestMs(both), longestMs([])], [30, 20, 0]);
  assert.deepEqual(bothHold([], b, 0, 100), []);
});

test("states entered, from the agent's JSON log and keepalived's", () => {
  const line = (text: string) => ({ t: 0, text });
  const agent = [
    '{"level":"info","msg":"transition","event":"vrrp.transition","instance":"VI_1","from":"BACKUP","to":"MASTER"}',
    '{"level":"info","msg":"transition","event":"vrrp.transition","instance":"VI_2","from":"BACKUP","to":"MASTER"}',
    '{"level":"warn","event":"vrrp.reassert","instance":"VI_1"}',
    "not json",
  ].map(line);
  assert.deepEqual(statesEntered("agent", "VI_1", agent), ["MASTER"]);
  const ka = [
    "(VI_1) Entering BACKUP STATE (init)",
    "(VI_1) Receive advertisement timeout",
    "(VI_1) Entering MASTER STATE",
  ].map(line);
  assert.deepEqual(statesEntered("keepalived", "VI_1", ka), ["BACKUP", "MASTER"]);
});
