import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { validateConfig } from "../../../../agent/src/config/validate.ts";
import { VipInputs } from "./schema.ts";
import { planVip, vipOutputs } from "./plan.ts";

const conn = (host: string) => ({ host, password: "pw", insecureIgnoreHostKey: true });
const vip = (extra: Record<string, unknown> = {}) =>
  VipInputs.parse({
    name: "web",
    interface: "eth0",
    vrid: 51,
    addresses: ["10.0.0.100/24", "10.0.0.101"],
    directors: [
      { connection: conn("d1"), priority: 150, sourceIp: "10.0.0.2" },
      { connection: conn("d2"), sourceIp: "10.0.0.3" },
      { connection: conn("d3"), priority: 50, sourceIp: "10.0.0.4" },
    ],
    ...extra,
  });

describe("planVip", () => {
  it("writes the same instance to every director at its own priority", () => {
    const plan = planVip(vip());
    assert.deepEqual(
      plan.map((f) => [f.host, f.path]),
      [
        ["d1", "/etc/lvs-agent/conf.d/vip-web.json"],
        ["d2", "/etc/lvs-agent/conf.d/vip-web.json"],
        ["d3", "/etc/lvs-agent/conf.d/vip-web.json"],
      ],
    );
    const instances = plan.map((f) => f.config.instances!.web!);
    assert.deepEqual(
      instances.map((i) => i.priority),
      [150, 100, 50],
    );
    assert.deepEqual(
      instances.map((i) => i.sourceIp),
      ["10.0.0.2", "10.0.0.3", "10.0.0.4"],
    );
    assert.deepEqual(instances[0]!.virtualAddresses, [{ address: "10.0.0.100/24" }, { address: "10.0.0.101" }]);
    assert.deepEqual(instances[0]!.unicastPeers, [], "multicast unless unicast is set");
    assert.equal(plan[0]!.config.syncDaemon, undefined);
  });

  it("track scripts: defined under the Vip's name (two Vips may each have a chk_nginx) and tracked on every member; the agent accepts it", () => {
    const plan = planVip(
      vip({ trackScripts: { chk_nginx: { script: "/usr/bin/pidof nginx", interval: 2, weight: -20 } } }),
    );
    for (const f of plan) {
      assert.deepEqual(Object.keys(f.config.scripts ?? {}), ["web.chk_nginx"]);
      assert.equal(f.config.scripts!["web.chk_nginx"]!.script, "/usr/bin/pidof nginx");
      assert.deepEqual(f.config.instances!.web!.trackScripts, [{ name: "web.chk_nginx" }]);
      const verdict = validateConfig(f.config);
      assert.ok(verdict.ok, JSON.stringify(verdict));
    }
    assert.equal(planVip(vip())[0]!.config.scripts, undefined, "no scripts section without scripts");
  });

  it("with unicast, each director's peers are the others' sourceIp", () => {
    const peers = planVip(vip({ unicast: true })).map((f) => f.config.instances!.web!.unicastPeers);
    assert.deepEqual(peers, [
      ["10.0.0.3", "10.0.0.4"],
      ["10.0.0.2", "10.0.0.4"],
      ["10.0.0.2", "10.0.0.3"],
    ]);
  });

  it("a sync daemon follows this instance", () => {
    const [f] = planVip(vip({ syncDaemon: { interface: "eth1", syncId: 7 } }));
    assert.deepEqual(f!.config.syncDaemon, { interface: "eth1", syncId: 7, followInstance: "web" });
  });

  it("every fragment is one the agent accepts as it stands", () => {
    for (const f of planVip(
      vip({
        unicast: true,
        version: 2,
        auth: { type: "PASS", password: "secret1" },
        syncDaemon: { interface: "eth1" },
      }),
    )) {
      const res = validateConfig(f.config);
      assert.ok(res.ok, JSON.stringify(res));
    }
  });

  it("outputs name the fragment and its hosts", () => {
    assert.deepEqual(vipOutputs(vip()), {
      fragmentPath: "/etc/lvs-agent/conf.d/vip-web.json",
      hosts: ["d1", "d2", "d3"],
    });
  });
});
