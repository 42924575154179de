// Unit tests of the advert tally (pure): senders counted by interface, source, VRID and version, drops by
// reason, passwords never kept; keepalived's own captured adverts parse as senders.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { buildIpv4 } from "../net/ipv4.ts";
import { buildAdvertPacket, encodeAdvert } from "./packet.ts";
import { AdvertTally, formatAdverts, listenSeconds } from "./adverts.ts";

const MCAST = "224.0.0.18";
const v3 = (src: string, vrid: number, priority: number) =>
  buildAdvertPacket({ version: 3, vrid, priority, intervalCs: 20, addresses: ["10.0.0.100"] }, src, MCAST);

test("senders are counted by interface, source, VRID and version; the last priority wins", () => {
  const t = new AdvertTally(["eth0", "eth1"], 3);
  t.add("eth0", v3("10.0.0.11", 51, 150));
  t.add("eth0", v3("10.0.0.11", 51, 140));
  t.add("eth0", v3("10.0.0.3", 51, 1));
  t.add("eth1", v3("10.0.0.11", 51, 150));
  t.add("eth0", v3("10.0.0.11", 52, 100));
  const r = t.report();
  assert.deepEqual(
    r.senders.map((s) => [s.interface, s.src, s.vrid, s.priority, s.count]),
    [
      ["eth0", "10.0.0.11", 51, 140, 2],
      ["eth0", "10.0.0.3", 51, 1, 1],
      ["eth0", "10.0.0.11", 52, 100, 1],
      ["eth1", "10.0.0.11", 51, 150, 1],
    ],
  );
  assert.equal(r.senders[0]!.version, 3);
  assert.equal(r.senders[0]!.intervalCs, 20);
  assert.equal(r.senders[0]!.authType, undefined, "v3 has no auth");
  assert.deepEqual(r.dropped, {});
});

test("v2 adverts give their auth type, never the password", () => {
  const t = new AdvertTally(["eth0"], 1);
  const pkt = buildAdvertPacket(
    {
      version: 2,
      vrid: 7,
      priority: 100,
      intervalCs: 100,
      addresses: ["10.0.0.100"],
      auth: { type: "pass", password: "s3cret" },
    },
    "10.0.0.12",
    MCAST,
  );
  t.add("eth0", pkt);
  const r = t.report();
  assert.equal(r.senders[0]!.authType, "pass");
  assert.ok(!JSON.stringify(r).includes("s3cret"));
  assert.ok(!formatAdverts(r).includes("s3cret"));
});

test("packets the parser refuses are counted by reason, not as senders", () => {
  const t = new AdvertTally(["eth0"], 1);
  const msg = encodeAdvert({ version: 3, vrid: 9, priority: 1, intervalCs: 100, addresses: [] }, "10.0.0.5", MCAST);
  t.add("eth0", buildIpv4({ src: "10.0.0.5", dst: MCAST, ttl: 64 }, msg));
  t.add("eth0", Buffer.from("not a packet"));
  const r = t.report();
  assert.deepEqual(r.senders, []);
  assert.deepEqual(r.dropped, { eth0: { ttl: 1, malformed: 1 } });
  assert.match(formatAdverts(r), /none\n {2}eth0: 1 packet\(s\) dropped: ttl/);
});

test("keepalived's captured adverts are heard as senders", () => {
  const fixture = (name: string) =>
    Buffer.from(readFileSync(new URL(`./fixtures/${name}.hex`, import.meta.url), "utf8").trim(), "hex");
  const t = new AdvertTally(["eth0"], 1);
  t.add("eth0", fixture("keepalived-v3"));
  t.add("eth0", fixture("keepalived-v2-pass"));
  const r = t.report();
  assert.deepEqual(
    r.senders.map((s) => [s.src, s.vrid, s.version, s.authType]),
    [
      ["198.51.100.10", 51, 3, undefined],
      ["198.51.100.10", 51, 2, "pass"],
    ],
  );
  assert.match(
    formatAdverts(r),
    /198\.51\.100\.10 -> 224\.0\.0\.18 {2}VRID 51 {2}v2 {2}priority \d+ {2}interval 1s {2}auth pass/,
  );
});

test("--seconds: default 3, a positive number, else a message", () => {
  assert.equal(listenSeconds(undefined), 3);
  assert.equal(listenSeconds("0.5"), 0.5);
  assert.match(String(listenSeconds("0")), /--seconds takes/);
  assert.match(String(listenSeconds("x")), /--seconds takes/);
});
