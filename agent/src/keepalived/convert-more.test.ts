// Features brought over from real users' files (issue 11): sync groups, tracked processes, virtual
// server groups, several urls, SMTP_CHECK and DNS_CHECK, script_user root, obsolete keywords.
import { test } from "node:test";
import assert from "node:assert/strict";
import { instance, okConfig, problemsOf } from "./test-helpers.ts";

test("vrrp_sync_group: its members in config.syncGroups; a hook on the group is refused with what to do", () => {
  const { config, notes } = okConfig(
    `${instance("", "VI_1", 1)}${instance("", "VI_2", 2)}vrrp_sync_group G {\n group {\n  VI_1\n  VI_2\n }\n smtp_alert\n}\nvrrp_sync_group H {\n group {\n  VI_3\n }\n}\n${instance("", "VI_3", 3)}`,
  );
  assert.deepEqual(config.syncGroups, { G: { instances: ["VI_1", "VI_2"] }, H: { instances: ["VI_3"] } });
  assert.ok(
    notes.some((n) => n.startsWith("k.conf:24: vrrp_sync_group H has one instance")),
    notes.join("\n"),
  );
  assert.deepEqual(
    problemsOf(`${instance("")}vrrp_sync_group G {\n group {\n  VI_1\n  VI_9\n }\n notify_master /bin/true\n}\n`),
    [
      "k.conf:14: notify_master: hooks on a sync group are not supported: give each instance its own notify_master/notify_backup/notify_fault (they change state together)",
      'k.conf:12: group: no instance "VI_9" is defined under instances (lvs-agent syncGroups.G.instances[1])',
    ].sort((a, b) => Number(a.split(":")[1]) - Number(b.split(":")[1])),
  );
});

test("vrrp_track_process and track_process, with weights as track_script's", () => {
  const { config } = okConfig(
    `vrrp_track_process haproxy {\n process haproxy -f /etc/haproxy.cfg\n quorum 1\n quorum_max 2\n weight -20\n delay 2\n}\n${instance(" track_process {\n  haproxy\n }")}`,
  );
  assert.deepEqual(config.trackProcesses.haproxy, {
    process: "haproxy",
    args: "-f /etc/haproxy.cfg",
    argsPrefix: false,
    quorum: 1,
    quorumMax: 2,
    weight: -20,
    interval: 1,
  });
  assert.deepEqual(config.instances.VI_1!.trackProcesses, [{ name: "haproxy" }]);
  assert.deepEqual(problemsOf(instance(" track_process {\n  nope weight 5\n }")), [
    'k.conf:8: track_process: no process "nope" is defined under trackProcesses (lvs-agent instances.VI_1.trackProcesses[0].name)',
  ]);
});

test("virtual_server_group: ranges and fwmarks expand into one virtual server each, real servers without a port", () => {
  const { config, notes } = okConfig(`virtual_server_group G {
 10.0.0.1-3 80
 fwmark 7
}
virtual_server group G {
 lb_kind DR
 real_server 10.1.0.1 {
  TCP_CHECK {
   connect_port 80
  }
 }
}`);
  assert.deepEqual(Object.keys(config.virtualServers), ["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80", "fwmark-7"]);
  assert.deepEqual(config.virtualServers["fwmark-7"]!.realServers[0]!.address, "10.1.0.1");
  assert.equal(config.virtualServers["fwmark-7"]!.realServers[0]!.port, undefined);
  assert.ok(
    notes.some((n) => n.startsWith("k.conf:5: virtual_server group G: lvs-agent sets up each of its 4 addresses")),
  );
  assert.deepEqual(problemsOf("virtual_server_group G {\n 10.0.0.9-2 80\n}\nvirtual_server group G {\n}\n"), [
    "k.conf:1: virtual_server_group G lists no address",
    "k.conf:2: virtual_server_group: '10.0.0.9-2': the range must run upwards within the last part (at most 255)",
  ]);
});

test("several url blocks: the first is the check's, the others in urls; every one is checked", () => {
  const { config } = okConfig(`virtual_server 10.0.0.1 80 {
 real_server 10.1.0.1 80 {
  HTTP_GET {
   url {
    path /a
    status_code 200
   }
   url {
    path /b
    digest d36f8f9425c4a8000ad9c4a97185aca5
   }
  }
 }
}`);
  const hc = config.virtualServers["10.0.0.1:80"]!.realServers[0]!.healthCheck;
  assert.ok(hc && hc !== "none" && hc.type === "http");
  assert.equal(hc.path, "/a");
  assert.deepEqual(hc.statusCodes, ["200"]);
  assert.deepEqual(hc.urls, [{ path: "/b", digest: "d36f8f9425c4a8000ad9c4a97185aca5" }]);
});

test("SMTP_CHECK with host blocks and DNS_CHECK", () => {
  const { config } = okConfig(`virtual_server 10.0.0.1 25 {
 real_server 10.1.0.1 25 {
  SMTP_CHECK {
   connect_timeout 10
   helo_name "foo.bar.com"
   host {
    connect_ip 10.1.0.1
   }
   host {
    connect_ip 10.2.0.1
    connect_port 587
    bindto 10.0.0.2
   }
  }
 }
}
virtual_server 10.0.0.1 53 {
 protocol UDP
 real_server 10.1.0.2 53 {
  DNS_CHECK {
   type A
   name matchtv.ru
  }
 }
}`);
  const smtp = config.virtualServers["10.0.0.1:25"]!.realServers[0]!.healthCheck;
  assert.ok(smtp && smtp !== "none" && smtp.type === "smtp");
  assert.equal(smtp.helo, "foo.bar.com");
  assert.deepEqual(smtp.hosts, [{ address: "10.1.0.1" }, { address: "10.2.0.1", port: 587, bindTo: "10.0.0.2" }]);
  const dns = config.virtualServers["10.0.0.1:53/udp"]!.realServers[0]!.healthCheck;
  assert.ok(dns && dns !== "none" && dns.type === "dns");
  assert.deepEqual([dns.queryType, dns.name, dns.interval], ["A", "matchtv.ru", 60]);
});

test("script_user root is allowed by name, with a warning; obsolete keywords are notes; 'dr' is refused as keepalived misreads it", () => {
  const { config, notes } = okConfig(
    `global_defs {\n script_user root\n lvs_id X\n garp_master_delay 3\n}\n${instance("")}virtual_server 10.0.0.1 80 {\n lb_kind DR\n omega\n ha_suspend\n ip_family inet\n smtp_alert on\n}\n`,
  );
  assert.equal(config.global.scriptUser, "root");
  assert.deepEqual(config.scriptSecurity, { allowRoot: true });
  const at = (line: number) => notes.find((n) => n.startsWith(`k.conf:${line}: `)) ?? "";
  assert.match(at(2), /script_user root: scripts and notify hooks will run as root/);
  assert.match(at(3), /'lvs_id' .*unknown to keepalived 2\.2\.7, which ignores it/);
  assert.match(at(4), /write vrrp_garp_master_delay/);
  assert.match(
    at(16),
    /'omega' makes keepalived \(and lvs-agent\) run quorum_down at shutdown, and this virtual server has none/,
  );
  assert.match(at(17), /'ha_suspend'/);
  assert.match(at(18), /ip_family inet/);
  assert.match(at(19), /email alerts/);
  assert.deepEqual(problemsOf("virtual_server 10.0.0.1 80 {\n lb_kind dr\n}\n"), [
    "k.conf:2: 'lb_kind' takes NAT|DR|TUN, got 'dr' (keepalived 2.2.7 does not know 'dr' and forwards with NAT instead: write DR)",
  ]);
});
