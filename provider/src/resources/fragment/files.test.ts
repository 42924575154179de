// The fragments of a Director, a Vip and a VirtualServer, written to one conf.d the way the provider
// will write them, load in the real agent loader as one valid config.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { loadConfigDir } from "../../../../agent/src/config/load.ts";
import { DirectorInputs } from "../director/schema.ts";
import { VipInputs } from "../vip/schema.ts";
import { VirtualServerInputs } from "../virtual-server/schema.ts";
import { RealServerInputs } from "../real-server/schema.ts";
import { directorHostFragment } from "../director/plan.ts";
import { fragmentText, type HostFragment } from "./files.ts";
import { backendOf } from "../real-server/plan.ts";
import { planVip } from "../vip/plan.ts";
import { planVirtualServer, serviceLabel } from "../virtual-server/plan.ts";

const connection = { host: "d1", password: "pw", insecureIgnoreHostKey: true };

describe("fragments of one director", () => {
  it("load together in the agent as one config", async () => {
    const backends = ["10.0.0.11", "10.0.0.12"].map((address) =>
      backendOf(RealServerInputs.parse({ name: "rs", address, prepare: false })),
    );
    const fragments: HostFragment[] = [
      directorHostFragment(DirectorInputs.parse({ connection, sysctls: { "net.ipv4.vs.expire_nodest_conn": 1 } })),
      ...planVip(
        VipInputs.parse({
          name: "web",
          interface: "eth0",
          vrid: 51,
          addresses: ["10.0.0.100/24"],
          directors: [{ connection, sourceIp: "10.0.0.2" }],
        }),
      ),
      ...planVirtualServer(
        VirtualServerInputs.parse({
          name: "http",
          directors: [connection],
          address: "10.0.0.100",
          port: 80,
          scheduler: "wrr",
          realServers: backends,
        }),
      ),
    ];
    const dir = mkdtempSync(join(tmpdir(), "lvs-confd-"));
    try {
      for (const f of fragments) writeFileSync(join(dir, basename(f.path)), fragmentText(f));
      const loaded = await loadConfigDir(dir);
      assert.ok(loaded.ok, JSON.stringify(loaded));
      assert.deepEqual(Object.keys(loaded.config.instances), ["web"]);
      assert.equal(loaded.config.virtualServers.http?.scheduler, "wrr");
      assert.deepEqual(
        loaded.config.virtualServers.http?.realServers.map((r) => r.address),
        ["10.0.0.11", "10.0.0.12"],
      );
      assert.equal(loaded.config.sysctls["net.ipv4.vs.expire_nodest_conn"], 1);
      assert.deepEqual(
        loaded.sources.map((s) => basename(s)),
        ["director.json", "vip-web.json", "vs-http.json"],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a service is labelled as ipvsadm names it", () => {
    assert.equal(
      serviceLabel({ protocol: "TCP", address: "10.0.0.100", port: 80, fwmark: undefined }),
      "TCP 10.0.0.100:80",
    );
    assert.equal(serviceLabel({ protocol: "TCP", address: undefined, port: undefined, fwmark: 7 }), "fwmark 7");
  });

  it("the provider's own fields stay out of the virtual server's fragment", () => {
    const [f] = planVirtualServer(
      VirtualServerInputs.parse({ name: "http", directors: [connection], address: "10.0.0.100", port: 80 }),
    );
    const service = f!.config.virtualServers!.http as Record<string, unknown>;
    assert.equal("directors" in service, false);
    assert.equal("name" in service, false);
  });
});
