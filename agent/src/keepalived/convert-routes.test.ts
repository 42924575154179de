// static_ipaddress, virtual_routes and vrrp_strict from keepalived.conf into AgentConfig.
import { test } from "node:test";
import assert from "node:assert/strict";
import { okConfig, problemsOf } from "./test-helpers.ts";

const inst = (body: string, extra = "") =>
  `vrrp_instance V {\n interface eth0\n virtual_router_id 14\n virtual_ipaddress {\n  10.101.0.253/24\n }\n${body}\n}\n${extra}`;

test("static_ipaddress and virtual_routes as keepalived writes them", () => {
  const { config } = okConfig(
    "static_ipaddress {\n 10.101.0.251/24 dev eth10 scope global\n 10.9.9.9 dev lo scope host brd +\n}\n" +
      inst(
        " virtual_routes {\n  default via 10.103.0.254 dev eth2\n  src 82.94.225.89 82.94.225.0/24 dev eth1 scope link\n" +
          "  to 10.8.0.0/16 via inet 10.103.0.1 table 100 metric 5\n  blackhole 192.0.2.0/24\n }",
      ),
  );
  assert.deepEqual(config.staticAddresses, [
    { address: "10.101.0.251/24", device: "eth10", scope: "global" },
    { address: "10.9.9.9", device: "lo", scope: "host", broadcast: "+" },
  ]);
  assert.deepEqual(config.instances.V!.virtualRoutes, [
    { to: "default", via: "10.103.0.254", device: "eth2", type: "unicast" },
    { src: "82.94.225.89", to: "82.94.225.0/24", device: "eth1", scope: "link", type: "unicast" },
    { to: "10.8.0.0/16", via: "10.103.0.1", table: 100, metric: 5, type: "unicast" },
    { type: "blackhole", to: "192.0.2.0/24" },
  ]);
});

test("IPv6 routes, a static address without dev and unknown route words are refused at their line", () => {
  assert.deepEqual(
    problemsOf(
      "static_ipaddress {\n 10.1.1.1/24\n}\n" +
        inst(
          " virtual_routes {\n  default via inet6 2001:db8::1 dev eth1\n  2001:db8::/64 dev eth1\n  10.0.0.0/8 onlink\n }",
        ),
    ),
    [
      "k.conf:2: static_ipaddress: each address needs 'dev <interface>'",
      "k.conf:11: IPv6 routes are not supported (lvs-agent's VRRP instances and routes are IPv4): keep this route on keepalived, or add it by hand",
      "k.conf:12: IPv6 routes are not supported (lvs-agent's VRRP instances and routes are IPv4): keep this route on keepalived, or add it by hand",
      "k.conf:13: virtual_routes: 'onlink' is not supported (supported: src, to, via, dev, scope, table, metric, blackhole|unreachable|prohibit)",
    ],
  );
});

test("vrrp_strict: strict instances with accept off, and keepalived's strict-mode errors refused", () => {
  const strict = "global_defs {\n vrrp_strict\n}\n";
  const ok = okConfig(strict + inst(" priority 100"));
  assert.deepEqual([ok.config.instances.V!.strict, ok.config.instances.V!.acceptMode], [true, false]);
  assert.match(ok.notes[0]!, /^k\.conf:2: vrrp_strict: lvs-agent refuses what strict mode forbids/);
  const owner = inst(" priority 255\n mcast_src_ip 10.101.0.253");
  assert.equal(okConfig(strict + owner).config.instances.V!.acceptMode, true, "the owner accepts");
  const bad = problemsOf(
    strict +
      inst(
        " state MASTER\n priority 200\n preempt_delay 5\n unicast_peer {\n  10.0.0.2\n }\n authentication {\n  auth_type PASS\n  auth_pass x\n }",
      ),
  );
  assert.deepEqual(
    bad.map((p) => p.replace(/ \(keepalived reports a config error\); remove the line, or vrrp_strict$/, "")),
    [
      "k.conf:10: vrrp_strict: state MASTER must match being the address owner (priority 255); remove the line, or vrrp_strict",
      "k.conf:12: vrrp_strict: preempt_delay is incompatible with strict mode",
      "k.conf:13: vrrp_strict: unicast peers are not allowed in strict mode",
      "k.conf:16: vrrp_strict: strict mode does not support authentication",
    ],
  );
});
