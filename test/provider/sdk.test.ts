// Programs against the SDK under pulumi.runtime.setMocks. The mocks are the provider's own pure path:
// Check (validation and normalization, as the plugin runs it) then the outputs Create will compute, so
// a program whose inputs the provider would reject fails here too.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { LvsProvider, outputsFor } from "../../provider/src/provider.ts";
import { unwrapSecrets } from "../../provider/src/secrets.ts";

const provider = new LvsProvider();
const registered: Array<{ type: string; name: string; inputs: Record<string, unknown> }> = [];

before(() => {
  pulumi.runtime.setAllConfig(
    {
      "lvs-example:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----",
      "lvs-example:hostKeys": JSON.stringify(
        Object.fromEntries(
          ["10.0.0.2", "10.0.0.3", "10.0.0.11", "10.0.0.12"].map((h) => [h, `SHA256:${"A".repeat(43)}`]),
        ),
      ),
    },
    ["lvs-example:sshPrivateKey"],
  );
  return pulumi.runtime.setMocks(
    {
      async newResource(args) {
        const urn = `urn:pulumi:test::lvs-example::${args.type}::${args.name}`;
        const checked = await provider.check(urn, args.inputs);
        if (checked.failures?.length)
          throw new Error(
            `${args.type} ${args.name}: ${checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`,
          );
        registered.push({
          type: args.type,
          name: args.name,
          inputs: unwrapSecrets(checked.inputs).value as Record<string, unknown>,
        });
        return { id: `${args.name}-id`, state: outputsFor(args.type, checked.inputs) };
      },
      call: () => ({}),
    },
    "lvs-example",
    "test",
    false,
  );
});

const value = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply(resolve));

describe("the example program (examples/pulumi-dr) under mocks", () => {
  it("creates directors, a Vip, real servers and a virtual server with typed outputs", async () => {
    const program = await import("../../examples/pulumi-dr/index.ts");
    const vrid: pulumi.Output<number> = program.vip.vrid;
    assert.equal(await value(vrid), 51);
    assert.equal(await value(program.vip.version), 3, "defaults come back filled in by Check");
    assert.equal(await value(program.vipFragment), "/etc/lvs-agent/conf.d/vip-web.json");
    assert.deepEqual(await value(program.vip.hosts), ["10.0.0.2", "10.0.0.3"]);
    assert.equal(await value(program.service), "TCP 10.0.0.100:80");

    const backend = await value(program.realServers[0]!.backend);
    assert.deepEqual([backend.address, backend.weight, backend.forwarding], ["10.0.0.11", 1, "DR"]);
    const pool = await value(program.http.realServers);
    assert.deepEqual(
      pool.map((r) => r.address),
      ["10.0.0.11", "10.0.0.12"],
    );
    assert.equal(
      pool[0]!.healthCheck && pool[0]!.healthCheck !== "none" ? pool[0]!.healthCheck.type : undefined,
      "http",
    );

    const types = registered.map((r) => r.type).sort();
    assert.deepEqual(types, [
      "lvs:index:Director",
      "lvs:index:Director",
      "lvs:index:RealServer",
      "lvs:index:RealServer",
      "lvs:index:Vip",
      "lvs:index:VirtualServer",
    ]);
  });

  it("the SSH key stays secret in the outputs", async () => {
    const program = await import("../../examples/pulumi-dr/index.ts");
    assert.equal(await pulumi.isSecret(program.vip.directors), true);
    assert.equal(await pulumi.isSecret(program.vip.vrid), false);
  });
});
