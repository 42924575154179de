import { test } from "node:test";
import assert from "node:assert/strict";
import { driftGate, healthGate, mastersGate, probeGate } from "./gates.ts";
import type { ClusterView } from "../cluster/status-view.ts";

const rs = (server: string, health: string) => ({ server, health, weight: 1, activeConns: 0, inactiveConns: 0 });
const view = (over: Partial<ClusterView> = {}): ClusterView => ({
  vips: [{ name: "web", addresses: ["10.0.0.100/24"], masters: ["lb1"], verdict: "ok" }],
  directors: [
    { name: "lb1", host: "10.0.0.2", states: { web: "MASTER" } },
    { name: "lb2", host: "10.0.0.3", states: { web: "BACKUP" } },
  ],
  virtualServers: [{ name: "http", from: "lb1", realServers: [rs("10.0.0.21:80", "up"), rs("10.0.0.22:80", "up")] }],
  ...over,
});

test("masters: one per VIP passes; none, two, or a director that does not answer fails, saying which", () => {
  assert.deepEqual(mastersGate(view()), { gate: "masters", ok: true, detail: "web: lb1" });
  const two = view({ vips: [{ name: "web", addresses: [], masters: ["lb1", "lb2"], verdict: "several masters" }] });
  assert.deepEqual(mastersGate(two), { gate: "masters", ok: false, detail: "web: several masters (lb1, lb2)" });
  const gone = view({ directors: [{ name: "lb2", host: "10.0.0.3", error: "unreachable: timeout", states: {} }] });
  assert.equal(mastersGate(gone).ok, false);
  assert.match(mastersGate(gone).detail, /lb2 unreachable: timeout/);
});

test("health: every real server up, or no more down than allowed", () => {
  assert.deepEqual(healthGate(view(), 0), { gate: "health", ok: true, detail: "2 real server(s) up" });
  const down = view({
    virtualServers: [
      { name: "http", from: "lb1", realServers: [rs("10.0.0.21:80", "down"), rs("10.0.0.22:80", "up")] },
    ],
  });
  assert.deepEqual(healthGate(down, 0), { gate: "health", ok: false, detail: "http 10.0.0.21:80 down" });
  assert.deepEqual(healthGate(down, 1), { gate: "health", ok: true, detail: "http 10.0.0.21:80 down (1 allowed)" });
  const unseen = view({ virtualServers: [{ name: "http", realServers: [] }] });
  assert.deepEqual(healthGate(unseen, 5), { gate: "health", ok: false, detail: "http: no director reports it" });
});

test("drift and probe", () => {
  assert.deepEqual(driftGate(0, "preview: 8 unchanged"), { gate: "drift", ok: true, detail: "no changes" });
  assert.deepEqual(driftGate(1, "preview: 1 to update"), { gate: "drift", ok: false, detail: "preview: 1 to update" });
  const answers = [
    { target: "10.0.0.100:80", ok: true, detail: "HTTP 200 (3 ms)" },
    { target: "10.0.0.100:443", ok: false, detail: "ECONNREFUSED" },
  ];
  assert.deepEqual(probeGate(answers), {
    gate: "probe",
    ok: false,
    detail: "10.0.0.100:80 HTTP 200 (3 ms); 10.0.0.100:443 ECONNREFUSED",
  });
});
