// The seeds' keepalived.conf files (fixtures/) and error cases through the whole pure pipeline:
// lex -> parse -> convert -> the agent's own validation, problems mapped back to file:line.
//
// Fixtures, from /work/shared/seeds (Chinese keepalived/LVS guides), tokens verbatim:
//   keepalived-master.conf, keepalived-slave.conf   seed 001, line breaks restored (the page flattened them,
//                                                    and its '#' comments would otherwise swallow the rest)
//   keepalived-slave.flattened.conf                  seed 001's slave exactly as the page has it: one line
//   lvs-dr.conf                                      seed 002's three blocks (its "..." placeholder line left out)
//   lvs-dr-ens33.conf                                seed 003's director config, line breaks restored
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { convertFiles, okConfig, problemsOf } from "./test-helpers.ts";

const FIXTURES = join(import.meta.dirname, "fixtures");
const fixtureText = (name: string) => readFileSync(join(FIXTURES, name), "utf8");
const fixture = (name: string, edit: (s: string) => string = (s) => s) =>
  convertFiles({ [name]: edit(fixtureText(name)) });
const ok = (r: ReturnType<typeof fixture>) => okConfig(r).config;
const problems = problemsOf;

const tcpCheck = (over: Record<string, unknown>) => ({ type: "tcp", rise: 1, fall: 1, ...over });

test("seed 001 master: unicast VRRPv2 with PASS auth, a track script, and a DR virtual server", () => {
  const r = fixture("keepalived-master.conf");
  const c = ok(r);
  assert.deepEqual(c.instances, {
    VI_1: {
      interface: "eth0",
      vrid: 33,
      priority: 200,
      version: 2,
      advertInterval: 1,
      virtualAddresses: [{ address: "172.20.128.4/24", device: "eth0" }],
      sourceIp: "172.20.128.2",
      unicastPeers: ["172.20.128.3"],
      auth: { type: "PASS", password: "letmein" },
      preempt: true,
      preemptDelay: 0,
      acceptMode: true,
      garp: { count: 5, intervalMs: 0, repeatDelay: 5, refresh: 0 },
      trackInterfaces: [],
      trackScripts: [{ name: "chk_nginx" }],
      trackProcesses: [],
      virtualRoutes: [],
      strict: false,
      notify: {},
    },
  });
  assert.deepEqual(c.scripts, {
    chk_nginx: { script: "/usr/bin/pidof nginx", interval: 2, rise: 1, fall: 1, weight: 0, user: "nobody" },
  });
  const vs = c.virtualServers["172.20.128.2:80"]!;
  assert.deepEqual(
    { ...vs, realServers: undefined },
    {
      address: "172.20.128.2",
      port: 80,
      protocol: "TCP",
      scheduler: "rr",
      forwarding: "DR",
      persistence: { timeout: 50 },
      flags: { onePacket: false, fallback: false, port: false },
      alpha: false,
      inhibitOnFailure: false,
      drain: 0,
      realServers: undefined,
    },
  );
  const check = tcpCheck({ interval: 15, warmup: 15, connectTimeout: 3, retries: 3, delayBeforeRetry: 4, port: 80 });
  assert.deepEqual(
    vs.realServers,
    ["172.16.16.177", "172.16.16.178"].map((address) => ({
      address,
      port: 80,
      weight: 1,
      upperThreshold: 0,
      lowerThreshold: 0,
      healthCheck: check,
    })),
  );
  assert.deepEqual(r.notes, [
    "keepalived-master.conf:3: 'script': pidof resolved on PATH to /usr/bin/pidof, as keepalived does (lvs-agent runs commands without a shell or PATH lookup)",
    "keepalived-master.conf:9: state MASTER is only keepalived's start-up hint; lvs-agent starts as BACKUP (MASTER at once only with priority 255) and elects by priority",
    "keepalived-master.conf:44: 'nat_mask' is ignored by keepalived 2.x (an unknown keyword there); lvs-agent ignores it too",
    "keepalived-master.conf:53: 'nb_get_retry' is keepalived 1.x's name for retry: keepalived 2.x no longer knows it and ignores it (checking with retry 1); lvs-agent applies it as retry",
    "keepalived-master.conf:63: 'nb_get_retry' is keepalived 1.x's name for retry: keepalived 2.x no longer knows it and ignores it (checking with retry 1); lvs-agent applies it as retry",
  ]);
});

test("seed 001 slave: the same VRID at priority 100 with the peer addresses swapped; its one-line original reads the same", () => {
  const c = ok(fixture("keepalived-slave.conf"));
  const vi = c.instances.VI_1!;
  assert.deepEqual(
    [vi.vrid, vi.priority, vi.sourceIp, vi.unicastPeers, vi.auth, vi.virtualAddresses],
    [
      33,
      100,
      "172.20.128.3",
      ["172.20.128.2"],
      { type: "PASS", password: "letmein" },
      [{ address: "172.20.128.4/24", device: "eth0" }],
    ],
  );
  assert.deepEqual(c.virtualServers, {});
  const flat = fixture("keepalived-slave.flattened.conf");
  assert.equal(
    fixtureText("keepalived-slave.flattened.conf").trim().split("\n").length,
    1,
    "the flattened fixture is one line",
  );
  assert.deepEqual(ok(flat), c);
  assert.match(
    flat.notes.join("\n"),
    /keepalived-slave\.flattened\.conf:1: several keywords on one line \(script, interval, state, interface, virtual_router_id, priority, \.\.\. 11 in all\)/,
  );
});

test("seed 002 LVS DR: what vrrp_strict forbids is refused at its line; without it, wrr DR with persistence 50 and TCP_CHECK 3/3/3", () => {
  assert.deepEqual(problems(fixture("lvs-dr.conf")), [
    "lvs-dr.conf:11: vrrp_strict: state MASTER must match being the address owner (priority 255); remove the line, or vrrp_strict",
    "lvs-dr.conf:17: vrrp_strict: strict mode does not support authentication (keepalived reports a config error); remove the line, or vrrp_strict",
  ]);
  const r = fixture("lvs-dr.conf", (s) => s.replace(/^ *vrrp_strict .*$/m, ""));
  const c = ok(r);
  assert.equal(c.global.routerId, "LVS_DEVEL");
  const vi = c.instances.VI_1!;
  assert.deepEqual(
    [vi.vrid, vi.priority, vi.version, vi.unicastPeers, vi.auth, vi.virtualAddresses, vi.garp.intervalMs],
    [51, 100, 2, [], { type: "PASS", password: "123456" }, [{ address: "192.168.12.211" }], 0],
  );
  const vs = c.virtualServers["192.168.12.211:80"]!;
  assert.deepEqual([vs.scheduler, vs.forwarding, vs.protocol, vs.persistence], ["wrr", "DR", "TCP", { timeout: 50 }]);
  const check = tcpCheck({ interval: 1, warmup: 1, connectTimeout: 3, retries: 3, delayBeforeRetry: 3, port: 80 });
  assert.deepEqual(
    vs.realServers.map((rs) => [rs.address, rs.port, rs.weight, rs.healthCheck]),
    [
      ["192.168.28.103", 80, 1, check],
      ["192.168.28.104", 80, 1, check],
    ],
  );
  assert.deepEqual(
    r.notes.map((n) => n.split(" ")[0]),
    ["lvs-dr.conf:3:", "lvs-dr.conf:6:", "lvs-dr.conf:11:", "lvs-dr.conf:38:", "lvs-dr.conf:49:"],
  );
});

test("seed 003 LVS DR: priority 150 on ens33, rr without persistence, keepalived's default delay_before_retry", () => {
  const c = ok(fixture("lvs-dr-ens33.conf"));
  const vi = c.instances.VI_1!;
  assert.deepEqual(
    [vi.interface, vi.vrid, vi.priority, vi.auth, vi.virtualAddresses],
    ["ens33", 51, 150, { type: "PASS", password: "1111" }, [{ address: "192.168.1.100" }]],
  );
  const vs = c.virtualServers["192.168.1.100:80"]!;
  assert.deepEqual([vs.scheduler, vs.forwarding, vs.persistence], ["rr", "DR", undefined]);
  const check = tcpCheck({ interval: 3, warmup: 3, connectTimeout: 3, retries: 3, delayBeforeRetry: 1 });
  assert.deepEqual(
    vs.realServers.map((rs) => [rs.address, rs.port, rs.weight, rs.healthCheck]),
    [
      ["192.168.1.20", 80, 1, check],
      ["192.168.1.21", 80, 1, check],
    ],
  );
});
