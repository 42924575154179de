// keepalived's use_vmac, run by lvs-agent from a keepalived.conf as corpus file 37 writes it (`use_vmac
// private`, `vmac_xmit_base`), on two directors in network namespaces: each creates macvlan "private"
// (private mode) on eth0 with the VRRP virtual MAC 00:00:5e:00:01:33; the master holds the VIP on it,
// so a client's ARP entry for the VIP is the virtual MAC, and after a failover it still is, the new
// master answering with the same MAC. An agent that created the vmac removes it on the way out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { isRoot, Lab, waitFor, type Host } from "../helpers/netns.ts";
import { runAgent, stateDir } from "../helpers/agent.ts";

const NET = "10.62.0";
/** in a subnet of its own, as corpus file 37's 1.2.3.4/16: only the vmac has a route there, so replies leave by it */
const VIP = "10.62.1.100";
const VMAC = "00:00:5e:00:01:33";

const conf = (priority: number) => `global_defs {
  vrrp_version 3
}

vrrp_instance Local_IPv4 {
  interface eth0
  state BACKUP
  virtual_router_id 51
  priority ${priority}
  advert_int 0.2
  use_vmac private
  vmac_xmit_base
  virtual_ipaddress {
    ${VIP}/24
  }
}
`;

interface LinkJson {
  ifname: string;
  address: string;
  link?: string;
  linkinfo?: { info_kind?: string; info_data?: { mode?: string } };
}

function link(host: Host, name: string): LinkJson | undefined {
  const out = host.exec("ip", ["-d", "-j", "link", "show", name], { allowFail: true });
  return out ? (JSON.parse(out) as LinkJson[])[0] : undefined;
}

function start(host: Host, priority: number) {
  const dir = stateDir(host, "agent");
  const file = join(dir, "keepalived.conf");
  writeFileSync(file, conf(priority));
  const args = ["--keepalived-conf", file, "--config-id", host.name, "--socket", join(dir, "agent.sock")];
  return runAgent(host, [...args, "--state-dir", dir, "--metrics-listen", ""]);
}

/** The client's ARP entry for the VIP after reaching it. */
function arpOfVip(client: Host): string | undefined {
  client.exec("ping", ["-c1", "-W1", VIP]);
  const out = JSON.parse(client.exec("ip", ["-j", "neigh", "show", VIP])) as { lladdr?: string }[];
  return out[0]?.lladdr;
}

test(
  "use_vmac private + vmac_xmit_base: the VIP lives on a private macvlan with the virtual MAC",
  { skip: !isRoot && "needs root", timeout: 60_000 },
  async () => {
    const lab = Lab.create([
      { name: "d1", addr: `${NET}.11/24` },
      { name: "d2", addr: `${NET}.12/24` },
      { name: "c1", addr: `${NET}.31/24` },
    ]);
    try {
      const [d1, d2, c1] = ["d1", "d2", "c1"].map((n) => lab.host(n)) as [Host, Host, Host];
      c1.exec("ip", ["addr", "add", "10.62.1.31/24", "dev", "eth0"]);
      const a = start(d1, 200);
      const b = start(d2, 100);
      await a.waitState("Local_IPv4", "MASTER", 15_000);
      await b.waitState("Local_IPv4", "BACKUP", 15_000);

      for (const d of [d1, d2]) {
        const v = link(d, "private");
        assert.ok(v, `${d.name} has no interface 'private'`);
        assert.equal(v.address, VMAC);
        assert.equal(v.link, "eth0");
        assert.deepEqual([v.linkinfo?.info_kind, v.linkinfo?.info_data?.mode], ["macvlan", "private"]);
        assert.equal(d.exec("sysctl", ["-n", "net.ipv4.conf.private.arp_ignore"]).trim(), "1");
        assert.equal(d.exec("sysctl", ["-n", "net.ipv4.conf.eth0.arp_ignore"]).trim(), "1");
        assert.equal(d.exec("sysctl", ["-n", "net.ipv4.conf.eth0.arp_filter"]).trim(), "1");
      }
      assert.ok(d1.hasAddr(VIP, "private"), "the master holds the VIP on the vmac");
      assert.ok(!d1.hasAddr(VIP, "eth0"));
      assert.ok(!d2.hasAddr(VIP, "private"), "the backup does not");
      assert.equal(arpOfVip(c1), VMAC, "the client resolves the VIP to the virtual MAC");

      // The master leaves: the backup takes the VIP on its own vmac, with the same MAC for the client.
      a.signal("SIGTERM");
      assert.equal(await a.exited(15_000), 0, a.lines.map((l) => l.text).join("\n"));
      await b.waitState("Local_IPv4", "MASTER", 15_000);
      assert.equal(link(d1, "private"), undefined, "the agent removed the vmac it created");
      assert.equal(
        d1.exec("sysctl", ["-n", "net.ipv4.conf.eth0.arp_ignore"]).trim(),
        "0",
        "eth0's arp_ignore put back",
      );
      assert.equal(d1.exec("sysctl", ["-n", "net.ipv4.conf.eth0.arp_filter"]).trim(), "0", "and its arp_filter");
      await waitFor(() => d2.hasAddr(VIP, "private"), 5000, "the VIP on d2's vmac");
      assert.equal(arpOfVip(c1), VMAC);
    } finally {
      lab.destroy();
    }
  },
);
