import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { AgentConfigInput } from "../../../../agent/src/config/schema.ts";
import type { AgentStatus } from "../../../../agent/src/status/format.ts";
import type { VirtualServerStatus } from "../../../../agent/src/ipvs/runtime.ts";
import { VirtualServerInputs } from "./schema.ts";
import { parseFragment } from "../fragment/plan.ts";
import {
  virtualServerAsFound,
  virtualServerLive,
  virtualServerLocations,
  virtualServerPlacements,
  virtualServerUnsettled,
} from "./state.ts";

const director = (host: string) => ({
  host,
  password: "pw",
  insecureIgnoreHostKey: true,
  configDir: `/tmp/${host}/conf.d`,
  statusSocket: `/tmp/${host}/agent.sock`,
});
const vs = (extra: Record<string, unknown> = {}) =>
  VirtualServerInputs.parse({
    name: "http",
    directors: [director("d1"), director("d2")],
    address: "10.0.0.100",
    port: 80,
    scheduler: "wrr",
    realServers: [
      { address: "10.0.0.11", port: 80, weight: 2 },
      { address: "10.0.0.12", port: 80 },
    ],
    ...extra,
  });

const files = (v: VirtualServerInputs) =>
  virtualServerPlacements(v).map((p) => parseFragment(p.text) as AgentConfigInput & Record<string, unknown>);
const http = (c: AgentConfigInput) => c.virtualServers!.http!;
const hosts = (found: Record<string, unknown>) => (found.directors as Array<{ host: string }>).map((d) => d.host);

describe("where a VirtualServer's fragments go", () => {
  it("each director's own configDir; the provider's fields stay out of the file", () => {
    const places = virtualServerPlacements(vs());
    assert.deepEqual(
      places.map((p) => p.path),
      ["/tmp/d1/conf.d/vs-http.json", "/tmp/d2/conf.d/vs-http.json"],
    );
    const service = JSON.parse(places[0]!.text).virtualServers.http;
    assert.equal(service.scheduler, "wrr");
    for (const k of ["directors", "name", "configDir", "statusSocket"]) assert.equal(k in service, false, k);
    assert.deepEqual(
      virtualServerLocations(vs()).map((l) => l.agent.statusSocket),
      ["/tmp/d1/agent.sock", "/tmp/d2/agent.sock"],
    );
  });
});

describe("a VirtualServer as its fragments say", () => {
  it("untouched fragments give back exactly the declared inputs", () => {
    assert.deepEqual(virtualServerAsFound(vs(), files(vs())), vs());
  });

  it("a weight edited on the first director shows, and the other director is left out", () => {
    const f = files(vs());
    http(f[0]!).realServers![0]!.weight = 9;
    const found = virtualServerAsFound(vs(), f);
    assert.equal((found.realServers as Array<{ weight: number }>)[0]!.weight, 9);
    assert.deepEqual(hosts(found), ["d1"]);
  });

  it("the same edit on both: both stay, with the edited value", () => {
    const f = files(vs());
    for (const c of f) http(c).scheduler = "rr";
    const found = virtualServerAsFound(vs(), f);
    assert.equal(found.scheduler, "rr");
    assert.deepEqual(hosts(found), ["d1", "d2"]);
  });

  it("a field removed by hand is gone from the inputs as found", () => {
    const f = files(vs({ persistence: { timeout: 300 } }));
    for (const c of f) delete http(c).persistence;
    assert.equal(virtualServerAsFound(vs({ persistence: { timeout: 300 } }), f).persistence, undefined);
  });

  it("another section or service in the file, a missing or unreadable file: that director is left out", () => {
    const [a, b] = files(vs());
    assert.deepEqual(hosts(virtualServerAsFound(vs(), [a, { ...b, instances: {} }])), ["d1"]);
    assert.deepEqual(hosts(virtualServerAsFound(vs(), [undefined, b])), ["d2"]);
    assert.deepEqual(virtualServerAsFound(vs(), [undefined, undefined]).directors, []);
  });
});

describe("a VirtualServer's live table", () => {
  const service: VirtualServerStatus = {
    name: "http",
    service: "TCP 10.0.0.100:80",
    scheduler: "wrr",
    dests: [
      {
        address: "10.0.0.11",
        port: 80,
        forwarding: "DR",
        weight: 2,
        health: "up",
        activeConns: 1,
        inactiveConns: 3,
        conns: 9,
        inBytes: 100,
        outBytes: 0,
      },
    ],
  };
  const status = (vss?: VirtualServerStatus[]): AgentStatus => ({
    instances: [],
    virtualServers: vss,
    configSources: [],
    pid: 1,
    version: "0.1.0",
  });

  it("each director's destinations with weight and health; a director without the service says so", () => {
    const live = virtualServerLive("http", virtualServerLocations(vs()), [status([service]), status([])]);
    assert.deepEqual(live.directorStatus[0], {
      host: "d1",
      fragmentPath: "/tmp/d1/conf.d/vs-http.json",
      scheduler: "wrr",
      destinations: [
        { address: "10.0.0.11", port: 80, forwarding: "DR", weight: 2, health: "up", activeConns: 1, inactiveConns: 3 },
      ],
    });
    assert.equal(live.directorStatus[1]!.error, "the agent runs no virtual server http");
  });
});

describe("a VirtualServer whose kernel weight was edited by hand (ipvsadm -e), not yet repaired", () => {
  const dest = (address: string, weight: number, wantedWeight: number) =>
    ({
      address,
      port: 80,
      forwarding: "route",
      weight,
      wantedWeight,
      health: "up",
      activeConns: 0,
      inactiveConns: 0,
      conns: 0,
      inBytes: 0,
      outBytes: 0,
    }) as const;
  const agent = (dests: VirtualServerStatus["dests"]): AgentStatus =>
    ({
      instances: [],
      virtualServers: [{ name: "http", service: "TCP 10.0.0.100:80", scheduler: "wrr", dests }],
    }) as unknown as AgentStatus;

  it("shows the kernel's weight under that real server, the directors still holding their fragments", () => {
    const statuses = [
      agent([dest("10.0.0.11", 9, 2), dest("10.0.0.12", 1, 1)]),
      agent([dest("10.0.0.11", 2, 2), dest("10.0.0.12", 1, 1)]),
    ];
    const found = virtualServerAsFound(vs(), files(vs()), statuses);
    const untouched = virtualServerAsFound(vs(), files(vs())).realServers as Array<{ weight?: number }>;
    assert.deepEqual(
      (found.realServers as Array<{ weight?: number }>).map((r) => r.weight),
      [9, untouched[1]!.weight],
    );
    assert.deepEqual(hosts(found), ["d1", "d2"]);
  });

  it("a weight health checks lowered (the agent set it) is no drift", () => {
    const found = virtualServerAsFound(vs(), files(vs()), [
      agent([dest("10.0.0.11", 0, 0), dest("10.0.0.12", 1, 1)]),
      "lvs-agent status: no agent",
    ]);
    assert.deepEqual(found, vs());
  });

  it("the update reloads exactly the directors whose kernel differs, though their files are right", () => {
    const live = virtualServerLive("http", virtualServerLocations(vs()), [
      agent([dest("10.0.0.11", 9, 2)]),
      agent([dest("10.0.0.11", 2, 2)]),
    ]);
    assert.deepEqual(virtualServerUnsettled({ ...vs(), ...live }), ["d1"]);
    assert.deepEqual(virtualServerUnsettled(vs()), []);
  });
});
