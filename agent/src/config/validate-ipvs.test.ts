import { test } from "node:test";
import assert from "node:assert/strict";
import { validateConfig } from "./validate.ts";

function problems(input: unknown): string[] {
  const r = validateConfig(input);
  return r.ok ? [] : r.problems;
}

const web = { address: "10.0.0.100", port: 80, realServers: [{ address: "10.0.1.1" }] };

test("a valid virtual server gets keepalived-like defaults", () => {
  const r = validateConfig({ virtualServers: { web } });
  assert.ok(r.ok);
  const vs = r.config.virtualServers.web!;
  assert.equal(vs.scheduler, "wlc");
  assert.equal(vs.forwarding, "DR");
  assert.equal(vs.protocol, "TCP");
  assert.equal(vs.realServers[0]!.weight, 1);
});

test("every IPVS problem at once, each naming the service", () => {
  const got = problems({
    virtualServers: {
      web,
      web2: { ...web, realServers: [{ address: "10.0.1.1", weight: 70000 }, { address: "10.0.1.1" }] },
      v6: {
        address: "2001:db8::1",
        port: 80,
        realServers: [{ address: "10.0.1.9" }],
        sorryServer: { address: "2001:db8::9" },
      },
      v4mask: { address: "10.0.0.2", port: 80, persistence: { timeout: 60, netmask: 64 } },
      all: { address: "10.0.0.3", port: 0 },
      allp: {
        address: "10.0.0.4",
        port: 0,
        persistence: { timeout: 60 },
        healthCheck: { type: "tcp" },
        realServers: [{ address: "10.0.1.1" }, { address: "10.0.1.2", healthCheck: { type: "tcp", port: 21 } }],
      },
      both: { address: "10.0.0.1", port: 1, fwmark: 3 },
      none: { scheduler: "RR!" },
      fw: { fwmark: 7, healthCheck: { type: "tcp" }, realServers: [{ address: "10.0.1.2" }] },
    },
    sysctls: { "net.ipv4.ip_forward": 2, "kernel.panic": 1 },
    syncDaemon: { interface: "eth0", followInstance: "VI_9" },
  });
  assert.deepEqual(got, [
    'syncDaemon.followInstance: no VRRP instance "VI_9" under instances',
    'sysctls["kernel.panic"]: not a setting the agent manages (known: net.ipv4.ip_forward, net.ipv4.vs.conn_reuse_mode, net.ipv4.vs.expire_nodest_conn, net.ipv4.vs.expire_quiescent_template, net.ipv4.vs.sloppy_tcp, net.ipv4.vs.sloppy_sctp, net.ipv4.vs.conntrack, net.ipv4.vs.snat_reroute, net.ipv4.vs.schedule_icmp, net.ipv4.vs.pmtu_disc, net.ipv4.vs.sync_version, net.ipv4.conf.all.send_redirects, net.ipv4.conf.default.send_redirects)',
    'sysctls["net.ipv4.ip_forward"]: must be one of 0, 1 (NAT forwarding: replies from real servers are routed back through the director), got 2',
    "virtualServers.all.port: port 0 (every port of the address) needs persistence, as IPVS requires",
    "virtualServers.allp.realServers[0].healthCheck: a real server on port 0 (the port each client asked for) needs healthCheck.port (keepalived connect_port) to check",
    "virtualServers.both: give either fwmark or address and port, not both",
    "virtualServers.fw.realServers[0].healthCheck: a fwmark service's real server needs a port (or healthCheck.port) to check",
    "virtualServers.none: needs address and port (or a fwmark)",
    "virtualServers.none.scheduler: must be a scheduler name such as rr, wrr, wlc, sh or mh",
    "virtualServers.v4mask.persistence.netmask: an IPv4 service's netmask must be 0-32, got 64",
    "virtualServers.v6.realServers[0].address: 10.0.1.9 is IPv4 but the virtual server's 2001:db8::1 is IPv6: IPVS forwards a service only to servers of its own family; give an IPv6 address or put it in a virtual server of its own",
    "virtualServers.web2: TCP 10.0.0.100:80 is the same service as virtualServers.web",
    "virtualServers.web2.realServers[0].weight: must be 0-65535, got 70000",
    "virtualServers.web2.realServers[1]: 10.0.1.1:80 is already realServers[0]",
  ]);
});
