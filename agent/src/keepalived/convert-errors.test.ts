// Errors: every problem at once, each with the file:line it is about; keepalived's own and the agent's
// validation alike. Nothing unsupported passes silently.
import { test } from "node:test";
import assert from "node:assert/strict";
import { convertFiles, problemsOf as problems } from "./test-helpers.ts";

const lines = (...l: string[]) => l.join("\n") + "\n";

const VALID_INSTANCE = [
  "vrrp_instance VI_1 {",
  "  interface eth0",
  "  virtual_router_id 1",
  "  virtual_ipaddress {",
  "    10.0.0.100/24",
  "  }",
  "}",
];

test("every problem at once, in file order, each naming its keyword and line", () => {
  const text = lines(
    /* 1 */ "global_defs {",
    /* 2 */ "  router_id r1",
    /* 3 */ "  smtp_server 10.0.0.1",
    /* 4 */ "  vrrp_strict",
    /* 5 */ "  lvs_flush",
    /* 6 */ "}",
    /* 7 */ "vrrp_script chk {",
    /* 8 */ '  script "check.sh"',
    /* 9 */ "  user root",
    /* 10 */ "}",
    /* 11 */ "vrrp_instance VI_1 {",
    /* 12 */ "  interface eth0",
    /* 13 */ "  virtual_router_id 300",
    /* 14 */ "  priority high",
    /* 15 */ "  linkbeat_use_polling",
    /* 16 */ "  unicast_src_ip 10.0.0.1",
    /* 17 */ "  unicast_peer {",
    /* 18 */ "    10.0.0.1",
    /* 19 */ "  }",
    /* 20 */ "  authentication {",
    /* 21 */ "    auth_type PASS",
    /* 22 */ "  }",
    /* 23 */ "  virtual_ipaddress {",
    /* 24 */ "    10.0.0.30/24 peer 10.0.0.31",
    /* 25 */ "    10.0.0.7/33",
    /* 26 */ "  }",
    /* 27 */ "  track_script {",
    /* 28 */ "    chk_missing",
    /* 29 */ "    chk weight x",
    /* 30 */ "  }",
    /* 31 */ "}",
    /* 32 */ "vrrp_instance VI_2 {",
    /* 33 */ "  interface eth0",
    /* 34 */ "  version 3",
    /* 35 */ "  authentication {",
    /* 36 */ "    auth_type PASS",
    /* 37 */ "    auth_pass secret",
    /* 38 */ "  }",
    /* 39 */ "}",
    /* 40 */ "virtual_server 10.0.0.100 80 {",
    /* 41 */ "  lb_kind DRR",
    /* 42 */ "  real_server 10.0.0.5 80 {",
    /* 43 */ "    TCP_CHECK {",
    /* 44 */ "      connect_timeout 3",
    /* 45 */ "      connect_port 70000",
    /* 46 */ "    }",
    /* 47 */ "    HTTP_GET {",
    /* 48 */ "    }",
    /* 49 */ "  }",
    /* 50 */ "}",
    /* 51 */ "virtual_server_group g1 {",
    /* 52 */ "}",
  );
  const r = convertFiles({ "keepalived.conf": text });
  assert.deepEqual(problems(r), [
    "keepalived.conf:5: unsupported keyword 'lvs_flush' in global_defs: lvs-agent has no equivalent; remove the line, or keep this part on keepalived",
    "keepalived.conf:8: script: must start with the absolute path of an executable (lvs-agent scripts.chk.script)",
    "keepalived.conf:13: virtual_router_id: must be 1-255, got 300 (lvs-agent instances.VI_1.vrid)",
    "keepalived.conf:14: 'priority' needs a whole number, got 'high'",
    "keepalived.conf:15: unsupported keyword 'linkbeat_use_polling' in vrrp_instance VI_1: lvs-agent has no equivalent; remove the line, or keep this part on keepalived",
    "keepalived.conf:17: vrrp_strict: unicast peers are not allowed in strict mode (keepalived reports a config error); remove the line, or vrrp_strict",
    "keepalived.conf:18: unicast_peer: must not be the instance's own sourceIp (lvs-agent instances.VI_1.unicastPeers[0])",
    "keepalived.conf:20: authentication needs auth_type PASS|AH and auth_pass",
    "keepalived.conf:24: unsupported option 'peer' in virtual_ipaddress (supported: dev, label, brd)",
    'keepalived.conf:25: virtual_ipaddress: "10.0.0.7/33" is not an IPv4 address with an optional /prefix of 0-32: give one such as 10.0.0.100/24 (lvs-agent instances.VI_1.virtualAddresses[1].address)',
    'keepalived.conf:28: track_script: no script "chk_missing" is defined under scripts (lvs-agent instances.VI_1.trackScripts[0].name)',
    "keepalived.conf:29: 'weight' needs a whole number, got 'x'",
    "keepalived.conf:32: vrrp_instance VI_2 has no virtual_router_id",
    "keepalived.conf:32: vrrp_strict: vrrp_instance VI_2 has no virtual_ipaddress, which strict mode requires",
    "keepalived.conf:35: vrrp_strict: strict mode does not support authentication (keepalived reports a config error); remove the line, or vrrp_strict",
    "keepalived.conf:41: 'lb_kind' takes NAT|DR|TUN, got 'DRR'",
    'keepalived.conf:45: connect_port: must be 1-65535, got 70000 (lvs-agent virtualServers["10.0.0.100:80"].realServers[0].healthCheck.port)',
    "keepalived.conf:51: virtual_server_group g1 lists no address",
  ]);
  assert.deepEqual(r.notes, [
    "keepalived.conf:3: 'smtp_server' configures keepalived's email alerts, which lvs-agent does not send (use notify hooks or the metrics); ignored",
    "keepalived.conf:4: vrrp_strict: lvs-agent refuses what strict mode forbids and drops adverts whose address list differs (RFC 3768 7.1); keepalived also sets no_accept and adds firewall rules that drop traffic to the VIPs of a master that is not their owner: lvs-agent adds no firewall rules (its VIPs answer as with accept)",
    "keepalived.conf:9: user root: scripts will run as root, as keepalived runs them (lvs-agent runs them unprivileged unless root is named); prefer an unprivileged user",
  ]);
  assert.ok(!problems(r).join("\n").includes("secret"), "an auth_pass never appears in a message");
});

test("a problem in an included file names that file and its line; a global default names global_defs", () => {
  const r = convertFiles({
    "/etc/keepalived/keepalived.conf": lines(
      "global_defs {",
      "  vrrp_garp_master_repeat 0",
      "}",
      "include conf.d/vi.conf",
    ),
    "/etc/keepalived/conf.d/vi.conf": lines(
      ...VALID_INSTANCE.slice(0, 3),
      "  advert_int 0.5",
      "  smtp_alert",
      ...VALID_INSTANCE.slice(3),
      "bogus_section {",
      "}",
    ),
  });
  assert.deepEqual(problems(r), [
    "/etc/keepalived/keepalived.conf:2: vrrp_garp_master_repeat: must be 1-100, got 0 (lvs-agent instances.VI_1.garp.count)",
    "/etc/keepalived/conf.d/vi.conf:4: advert_int: VRRPv2 advertises in whole seconds: must be a whole number 1-255, got <withheld> (lvs-agent instances.VI_1.advertInterval)",
    // An included file's words are withheld (it could be a key file): its file:line says where to look.
    "/etc/keepalived/conf.d/vi.conf:10: unsupported keyword '<withheld>' at the top level: lvs-agent has no equivalent; remove the line, or keep this part on keepalived",
  ]);
  assert.deepEqual(r.notes, [
    "/etc/keepalived/conf.d/vi.conf:5: 'smtp_alert' configures keepalived's email alerts, which lvs-agent does not send (use notify hooks or the metrics); ignored",
  ]);
});

test("syntax problems: braces, quotes, argument counts, blocks where none belong, duplicates", () => {
  const text = lines(
    /* 1 */ ...VALID_INSTANCE,
    /* 8 */ "vrrp_instance VI_1 {",
    /* 9 */ "}",
    /* 10 */ "vrrp_script s {",
    /* 11 */ '  script "/bin/true',
    /* 12 */ "  interval 1 2",
    /* 13 */ "  rise { 2 }",
    /* 14 */ "}",
    /* 15 */ "}",
    /* 16 */ "global_defs",
    /* 17 */ "virtual_server 10.0.0.1 {",
  );
  assert.deepEqual(problems(convertFiles({ "k.conf": text })), [
    "k.conf:8: vrrp_instance VI_1 is defined twice (first at k.conf:1)",
    "k.conf:11: unterminated quoted string",
    "k.conf:12: 'interval' takes 1 argument, got 2",
    "k.conf:13: 'rise' takes no { } block",
    "k.conf:15: unexpected '}' (no block is open)",
    "k.conf:16: 'global_defs' needs a { } block",
    "k.conf:17: 'virtual_server' block has no closing '}'",
    "k.conf:17: 'virtual_server' takes 2 arguments, got 1",
  ]);
});

test("the one-line rule: a keyword's arguments end at the next keyword of its block, and only there", () => {
  const one = lines(
    'vrrp_script chk { script "/bin/true" interval 3 weight -20 } vrrp_instance VI_1 { interface eth0 virtual_router_id 7 priority 90 nopreempt track_script { chk } virtual_ipaddress { 10.0.0.9/24 dev eth0 } }',
  );
  const r = convertFiles({ "k.conf": one });
  if (!r.ok) assert.fail(r.problems.join("\n"));
  assert.deepEqual(r.config.scripts.chk, {
    script: "/bin/true",
    interval: 3,
    weight: -20,
    rise: 1,
    fall: 1,
    user: "nobody",
  });
  const vi = r.config.instances.VI_1!;
  assert.deepEqual(
    [vi.vrid, vi.priority, vi.preempt, vi.trackScripts, vi.virtualAddresses],
    [7, 90, false, [{ name: "chk" }], [{ address: "10.0.0.9/24", device: "eth0" }]],
  );
  // An unknown word is an argument of the keyword before it, so the keyword complains about its arguments.
  assert.deepEqual(
    problems(
      convertFiles({
        "k.conf": lines(
          "vrrp_instance VI_1 { interface eth0 virtual_router_id 7 priorty 90 virtual_ipaddress { 10.0.0.9 } }",
        ),
      }),
    ),
    ["k.conf:1: 'virtual_router_id' takes 1 argument, got 3", "k.conf:1: vrrp_instance VI_1 has no virtual_router_id"],
  );
});

test("a setting given twice is an error at the second (keepalived silently keeps the last)", () => {
  const text = lines(
    ...VALID_INSTANCE.slice(0, 3),
    "  priority 100",
    "  unicast_src_ip 10.0.0.1",
    "  mcast_src_ip 10.0.0.2",
    "  priority 90",
    ...VALID_INSTANCE.slice(3),
  );
  assert.deepEqual(problems(convertFiles({ "k.conf": text })), [
    "k.conf:6: 'mcast_src_ip' sets what 'unicast_src_ip' at line 5 already set",
    "k.conf:7: 'priority' sets what line 4 already set",
  ]);
});
