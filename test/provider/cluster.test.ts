// lvs.Cluster under pulumi.runtime.setMocks, the mocks being the provider's own Check (so a spec the
// provider would reject fails here too) and the outputs Create computes.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { LvsProvider, outputsFor } from "../../provider/src/provider.ts";
import { Cluster, validateClusterSpec, type ClusterArgs } from "../../sdk/cluster.ts";

const provider = new LvsProvider();
const registered: { type: string; name: string; parent?: string }[] = [];

before(() =>
  pulumi.runtime.setMocks(
    {
      async newResource(args) {
        registered.push({ type: args.type, name: args.name });
        if (args.type === "lvs:index:Cluster") return { id: undefined, state: {} };
        const urn = `urn:pulumi:test::cluster::${args.type}::${args.name}`;
        const checked = await provider.check(urn, args.inputs);
        if (checked.failures?.length)
          throw new Error(
            `${args.type} ${args.name}: ${checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`,
          );
        return { id: `${args.name}-id`, state: outputsFor(args.type, checked.inputs) };
      },
      call: () => ({}),
    },
    "cluster",
    "test",
    false,
  ),
);

const conn = (host: string) => ({
  host,
  privateKey: pulumi.secret("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----"),
  hostKey: `SHA256:${"B".repeat(43)}`,
});

const spec: ClusterArgs = {
  directors: [
    { name: "lb1", connection: conn("10.0.0.2"), address: "10.0.0.2" },
    { name: "lb2", connection: conn("10.0.0.3"), address: "10.0.0.3" },
  ],
  vips: [
    { name: "web", interface: "eth0", vrid: 51, addresses: ["10.0.0.100/24"], priorities: { lb1: 150, lb2: 100 } },
  ],
  realServers: [
    { name: "rs1", address: "10.0.0.11", connection: conn("10.0.0.11") },
    { name: "rs2", address: "10.0.0.12", connection: conn("10.0.0.12") },
  ],
  virtualServers: [
    {
      name: "http",
      vip: "web",
      port: 80,
      scheduler: "wrr",
      healthCheck: { type: "tcp", interval: 2 },
      backends: [
        { server: "rs1", weight: 1 },
        { server: "rs2", weight: 3 },
      ],
    },
  ],
};

const value = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply(resolve));

describe("lvs.Cluster", () => {
  it("registers one resource per part, and the virtual server's pool is the real servers' backends", async () => {
    const c = new Cluster("prod", spec);
    const pool = await value(c.virtualServers.http!.realServers);
    assert.deepEqual(
      pool.map((r) => [r.address, r.weight]),
      [
        ["10.0.0.11", 1],
        ["10.0.0.12", 3],
      ],
    );
    assert.equal(await value(c.virtualServers.http!.address), "10.0.0.100");
    assert.deepEqual(await value(c.vips.web!.hosts), ["10.0.0.2", "10.0.0.3"]);
    assert.deepEqual(await value(c.realServers["http-rs1"]!.vips), ["10.0.0.100"]);
    assert.equal(await pulumi.isSecret(c.vips.web!.directors), true, "SSH keys given as secrets stay secret");
    const types = registered.map((r) => r.type).sort();
    assert.deepEqual(types, [
      "lvs:index:Cluster",
      "lvs:index:Director",
      "lvs:index:Director",
      "lvs:index:RealServer",
      "lvs:index:RealServer",
      "lvs:index:Vip",
      "lvs:index:VirtualServer",
    ]);
  });

  it("a bad spec fails before anything is registered, naming every problem", () => {
    assert.throws(
      () => validateClusterSpec({ directors: [], vips: [{ name: "x", vrid: 300 }] }),
      (err: Error) =>
        /directors: Too small/.test(err.message) &&
        /vips\.0\.vrid/.test(err.message) &&
        /vips\.0\.priorities/.test(err.message),
    );
  });

  it("a connection may leave its key and pin to the provider's lvs: config; other faults are still named", () => {
    const hostOnly = (host: string) => ({ host });
    const spec = {
      directors: [{ name: "lb1", address: "10.0.0.2", connection: hostOnly("10.0.0.2") }],
      realServers: [{ name: "rs1", address: "10.0.0.21", connection: hostOnly("10.0.0.21") }],
    };
    const parsed = validateClusterSpec(spec);
    assert.equal(parsed.directors[0]!.connection.host, "10.0.0.2");
    assert.throws(
      () => validateClusterSpec({ ...spec, directors: [{ ...spec.directors[0], connection: { host: "x", port: 0 } }] }),
      /directors\.0\.connection\.port/,
    );
  });
});
