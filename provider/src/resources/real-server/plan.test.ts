import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { RealServerInputs } from "./schema.ts";
import { backendOf, confKey, planRealServer } from "./plan.ts";

const rs = (extra: Record<string, unknown> = {}) =>
  RealServerInputs.parse({
    name: "web1",
    address: "10.0.0.11",
    vips: ["10.0.0.100", "10.0.0.101"],
    connection: { host: "10.0.0.11", password: "pw", insecureIgnoreHostKey: true },
    ...extra,
  });

describe("planRealServer", () => {
  it("DR: arp_ignore=1 and arp_announce=2 on all, lo and the interface, then each VIP/32 on lo", () => {
    const plan = planRealServer(rs({ interface: "ens3" }));
    assert.deepEqual(plan.sysctls, {
      "net.ipv4.conf.all.arp_ignore": 1,
      "net.ipv4.conf.all.arp_announce": 2,
      "net.ipv4.conf.lo.arp_ignore": 1,
      "net.ipv4.conf.lo.arp_announce": 2,
      "net.ipv4.conf.ens3.arp_ignore": 1,
      "net.ipv4.conf.ens3.arp_announce": 2,
    });
    assert.deepEqual(plan.addresses, [
      { address: "10.0.0.100/32", device: "lo" },
      { address: "10.0.0.101/32", device: "lo" },
    ]);
  });

  it("persists both: a sysctl.d file and a oneshot unit that puts the VIPs back", () => {
    const plan = planRealServer(rs());
    assert.equal(plan.service, "lvs-real-server-web1.service");
    const [sysctl, unit] = plan.files;
    assert.equal(sysctl!.path, "/etc/sysctl.d/90-lvs-web1.conf");
    assert.match(sysctl!.content, /^net\.ipv4\.conf\.lo\.arp_ignore = 1$/m);
    assert.match(sysctl!.content, /^net\.ipv4\.conf\.eth0\.arp_announce = 2$/m);
    assert.equal(unit!.path, "/etc/systemd/system/lvs-real-server-web1.service");
    assert.match(unit!.content, /^ExecStart=\/sbin\/ip addr replace 10\.0\.0\.100\/32 dev lo$/m);
    assert.match(unit!.content, /^ExecStop=-\/sbin\/ip addr del 10\.0\.0\.101\/32 dev lo$/m);
    assert.match(unit!.content, /^WantedBy=multi-user\.target$/m);
  });

  it("a VLAN interface's dots become slashes in its sysctl keys", () => {
    assert.equal(confKey("eth0.100", "arp_ignore"), "net.ipv4.conf.eth0/100.arp_ignore");
    assert.ok("net.ipv4.conf.eth0/100.arp_announce" in planRealServer(rs({ interface: "eth0.100" })).sysctls);
  });

  it("TUN: the VIPs go on tunl0 with reverse-path filtering off", () => {
    const plan = planRealServer(rs({ forwarding: "TUN" }));
    assert.deepEqual(
      plan.addresses.map((a) => a.device),
      ["tunl0", "tunl0"],
    );
    assert.equal(plan.sysctls["net.ipv4.conf.tunl0.rp_filter"], 0);
    assert.equal(plan.sysctls["net.ipv4.conf.tunl0.arp_ignore"], 1);
    assert.match(plan.files[1]!.content, /^ExecStart=\/sbin\/modprobe ipip$/m);
  });

  it("NAT, or prepare: false, leaves the host alone", () => {
    for (const plan of [planRealServer(rs({ forwarding: "NAT" })), planRealServer(rs({ prepare: false }))]) {
      assert.deepEqual(plan, { sysctls: {}, addresses: [], files: [] });
    }
  });

  it("its backend is the agent's RealServer entry, without the host preparation fields", () => {
    assert.deepEqual(backendOf(rs({ port: 8080, weight: 3 })), {
      address: "10.0.0.11",
      port: 8080,
      weight: 3,
      upperThreshold: 0,
      lowerThreshold: 0,
      forwarding: "DR",
    });
  });
});
