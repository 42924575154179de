import { test } from "node:test";
import assert from "node:assert/strict";
import { ClusterSpec } from "../../../provider/src/cluster/spec.ts";
import type { AgentStatus } from "../../../agent/src/status/format.ts";
import { clusterView, formatClusterView, type DirectorReading } from "./status-view.ts";

const conn = (host: string) => ({ host, privateKey: "K", hostKey: `SHA256:${"A".repeat(43)}` });
const spec = ClusterSpec.parse({
  directors: [
    { name: "lb1", address: "10.0.0.2", connection: conn("10.0.0.2") },
    { name: "lb2", address: "10.0.0.3", connection: conn("10.0.0.3") },
  ],
  vips: [
    { name: "web", interface: "eth0", vrid: 51, addresses: ["10.0.0.100/24"], priorities: { lb1: 150, lb2: 100 } },
  ],
  realServers: [
    { name: "rs1", address: "10.0.0.21" },
    { name: "rs2", address: "10.0.0.22" },
  ],
  virtualServers: [{ name: "http", vip: "web", port: 80, backends: [{ server: "rs1" }, { server: "rs2" }] }],
});

const dest = (address: string, health: "up" | "down", weight = 1, wantedWeight?: number) => ({
  address,
  port: 80,
  forwarding: "DR",
  weight,
  ...(wantedWeight === undefined ? {} : { wantedWeight }),
  health,
  activeConns: 3,
  inactiveConns: 1,
  conns: 9,
  inBytes: 0,
  outBytes: 0,
});

function agent(state: "MASTER" | "BACKUP", dests: ReturnType<typeof dest>[]): AgentStatus {
  return {
    instances: [{ name: "web", state } as AgentStatus["instances"][number]],
    virtualServers: [{ name: "http", service: "TCP 10.0.0.100:80", scheduler: "wrr", dests }],
    configSources: [],
    pid: 1,
    version: "0.1.0",
  };
}

test("the table is read from the VIP's master; a backend missing from it is absent; a hand-edited weight shows both", () => {
  const readings: DirectorReading[] = [
    { name: "lb1", host: "10.0.0.2", status: agent("BACKUP", []) },
    { name: "lb2", host: "10.0.0.3", status: agent("MASTER", [dest("10.0.0.21", "up", 9, 1)]) },
  ];
  const v = clusterView(spec, readings);
  assert.deepEqual(v.vips[0], { name: "web", addresses: ["10.0.0.100/24"], masters: ["lb2"], verdict: "ok" });
  assert.equal(v.virtualServers[0]!.from, "lb2");
  assert.deepEqual(
    v.virtualServers[0]!.realServers.map((r) => [r.server, r.health, r.weight, r.wantedWeight]),
    [
      ["10.0.0.21:80", "up", 9, 1],
      ["10.0.0.22:80", "absent", 0, undefined],
    ],
  );
  const text = formatClusterView(v);
  assert.match(text, /^web +10\.0\.0\.100\/24 +lb2$/m);
  assert.match(text, /^ +10\.0\.0\.21:80 +up +9 \(agent sets 1\) +3 +1$/m);
});

test("no master, or two, is called out; a director that did not answer is shown with its reason", () => {
  const readings: DirectorReading[] = [
    { name: "lb1", host: "10.0.0.2", status: agent("MASTER", []) },
    { name: "lb2", host: "10.0.0.3", status: { error: "unreachable: connect ETIMEDOUT" } },
  ];
  const v = clusterView(spec, readings);
  assert.equal(v.vips[0]!.verdict, "ok");
  assert.match(formatClusterView(v), /^lb2 +10\.0\.0\.3 +unreachable: connect ETIMEDOUT$/m);
  const both = clusterView(spec, [
    { name: "lb1", host: "10.0.0.2", status: agent("MASTER", []) },
    { name: "lb2", host: "10.0.0.3", status: agent("MASTER", []) },
  ]);
  assert.equal(both.vips[0]!.verdict, "several masters");
  assert.match(formatClusterView(both), /lb1,lb2 +SEVERAL MASTERS/);
});
