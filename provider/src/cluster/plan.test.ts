import { test } from "node:test";
import assert from "node:assert/strict";
import { ClusterSpec, type ClusterSpecInput } from "./spec.ts";
import { planCluster } from "./plan.ts";

const conn = (host: string) => ({ host, privateKey: "KEY", hostKey: `SHA256:${"A".repeat(43)}` });

/** The seeds' topology: two directors, one VIP, two DR web servers with TCP checks. */
const seed: ClusterSpecInput = {
  directors: [
    { name: "lb1", connection: conn("192.168.28.101"), address: "192.168.28.101" },
    { name: "lb2", connection: conn("192.168.28.102"), address: "192.168.28.102" },
  ],
  vips: [
    {
      name: "VI_1",
      interface: "eth0",
      vrid: 51,
      addresses: ["192.168.28.211/24"],
      priorities: { lb1: 100, lb2: 90 },
      auth: undefined,
    },
  ],
  realServers: [
    { name: "web1", address: "192.168.28.103", connection: conn("192.168.28.103") },
    { name: "web2", address: "192.168.28.104", connection: conn("192.168.28.104") },
  ],
  virtualServers: [
    {
      name: "http",
      vip: "VI_1",
      port: 80,
      scheduler: "wrr",
      forwarding: "DR",
      persistence: { timeout: 50 },
      healthCheck: { type: "tcp", interval: 1, connectTimeout: 3, retries: 3, delayBeforeRetry: 3 },
      backends: [
        { server: "web1", weight: 1 },
        { server: "web2", weight: 1 },
      ],
    },
  ],
};

test("the seeds' DR topology plans directors, a VIP at two priorities, prepared real servers and the service", () => {
  const r = planCluster(ClusterSpec.parse(seed));
  assert.ok(r.ok);
  const { directors, vips, realServers, virtualServers } = r.plan;
  assert.deepEqual(
    directors.map((d) => d.name),
    ["lb1", "lb2"],
  );
  assert.deepEqual(
    vips[0]!.args.directors.map((d) => [d.sourceIp, d.priority]),
    [
      ["192.168.28.101", 100],
      ["192.168.28.102", 90],
    ],
  );
  assert.deepEqual(
    realServers.map((r) => [r.name, r.args.address, r.args.vips, r.args.prepare, r.args.forwarding]),
    [
      ["http-web1", "192.168.28.103", ["192.168.28.211"], true, "DR"],
      ["http-web2", "192.168.28.104", ["192.168.28.211"], true, "DR"],
    ],
  );
  const vs = virtualServers[0]!;
  assert.equal(vs.args.address, "192.168.28.211", "the service address defaults to the VIP's first address");
  assert.deepEqual(
    vs.args.directors.map((d) => d.host),
    ["192.168.28.101", "192.168.28.102"],
  );
  assert.deepEqual(vs.backends, ["http-web1", "http-web2"]);
});

test("dangling references and duplicate names are all reported, with paths", () => {
  const bad = ClusterSpec.parse({
    ...seed,
    directors: [...seed.directors, { name: "lb1", connection: conn("10.0.0.9"), address: "10.0.0.9" }],
    vips: [{ ...seed.vips![0]!, priorities: { lb3: 100 } }],
    virtualServers: [{ ...seed.virtualServers![0]!, vip: "VI_9", backends: [{ server: "web9" }] }],
  });
  const r = planCluster(bad);
  assert.ok(!r.ok);
  assert.deepEqual(r.problems, [
    'directors[2].name: "lb1" is used twice',
    'vips[0].priorities.lb3: no director named "lb3"',
    'virtualServers[0].vip: no vip named "VI_9"',
    'virtualServers[0].backends[0].server: no real server named "web9"',
  ]);
});

test("a real server without a connection is not prepared; fwmark services have no address", () => {
  const spec = ClusterSpec.parse({
    ...seed,
    realServers: [{ name: "web1", address: "192.168.28.103" }],
    virtualServers: [{ name: "fw", vip: "VI_1", fwmark: 7, backends: [{ server: "web1", port: 80 }] }],
  });
  const r = planCluster(spec);
  assert.ok(r.ok);
  assert.equal(r.plan.realServers[0]!.args.prepare, false);
  assert.equal(r.plan.virtualServers[0]!.args.address, undefined);
  assert.deepEqual(r.plan.realServers[0]!.args.vips, []);
});

test("a director installed elsewhere: its Vip and VirtualServer members reach the agent there", () => {
  const moved = {
    ...seed,
    directors: [
      {
        ...seed.directors[0]!,
        installDir: "/srv/lvs-agent",
        configDir: "/srv/lvs-conf.d",
        global: { statusSocket: "/run/lvs/a.sock" },
      },
      seed.directors[1]!,
    ],
  };
  const r = planCluster(ClusterSpec.parse(moved));
  assert.ok(r.ok);
  assert.deepEqual(r.plan.directors[0]!.args.installDir, "/srv/lvs-agent");
  const access = (d: { configDir?: string; agentCommand?: string; statusSocket?: string }) => [
    d.configDir,
    d.agentCommand,
    d.statusSocket,
  ];
  const lb1 = ["/srv/lvs-conf.d", "/srv/lvs-agent/current/bin/lvs-agent", "/run/lvs/a.sock"];
  const lb2 = ["/etc/lvs-agent/conf.d", "/opt/lvs-agent/current/bin/lvs-agent", "/run/lvs-agent/agent.sock"];
  assert.deepEqual(r.plan.vips[0]!.args.directors.map(access), [lb1, lb2]);
  assert.deepEqual(r.plan.virtualServers[0]!.args.directors.map(access), [lb1, lb2]);
});
