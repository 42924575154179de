// global_defs, vrrp_script and vrrp_instance keywords, one by one, into AgentConfig.
import { test } from "node:test";
import assert from "node:assert/strict";
import { instance, okConfig, problemsOf } from "./test-helpers.ts";

test("global_defs: router id, script user, VRRP version and gratuitous ARP defaults for every instance", () => {
  const { config, notes } = okConfig(`global_defs {
  router_id edge-1
  script_user lvscheck lvscheck
  vrrp_version 3
  vrrp_garp_master_delay 10
  vrrp_garp_master_repeat 2
  vrrp_garp_master_refresh 60
  vrrp_garp_interval 0.002
  enable_script_security
}
${instance(" advert_int 0.5")}${instance(" garp_master_repeat 1\n garp_master_refresh 0", "VI_2", 2)}`);
  assert.deepEqual([config.global.routerId, config.global.scriptUser], ["edge-1", "lvscheck"]);
  assert.deepEqual([config.instances.VI_1!.version, config.instances.VI_1!.advertInterval], [3, 0.5]);
  assert.deepEqual(config.instances.VI_1!.garp, { count: 2, intervalMs: 2, repeatDelay: 10, refresh: 60 });
  assert.deepEqual(
    config.instances.VI_2!.garp,
    { count: 1, intervalMs: 2, repeatDelay: 10, refresh: 0 },
    "the instance's own settings win",
  );
  assert.deepEqual(notes, [
    "k.conf:3: script_user: the group 'lvscheck' is not applied: scripts and hooks run with the user's own group",
    "k.conf:9: 'enable_script_security' is accepted: lvs-agent always refuses a script that a non-root user could change, as keepalived's script security does",
  ]);
});

test("keepalived's defaults where lvs-agent's differ: VRRP version 2; vrrp_min_garp sends one ARP and no second burst", () => {
  const c = okConfig(instance("")).config;
  assert.equal(c.instances.VI_1!.version, 2);
  const min = okConfig(`global_defs {\n vrrp_min_garp\n}\n${instance("")}`).config;
  assert.deepEqual(min.instances.VI_1!.garp, { count: 1, intervalMs: 0, repeatDelay: 0, refresh: 0 });
});

test("vrrp_script: every option, PATH lookup of the command, weight per tracking instance", () => {
  const { config, notes } = okConfig(`vrrp_script chk_web {
  script "check_web.sh --port 80"
  interval 3
  timeout 2
  weight -20
  rise 2
  fall 3
  user nobody
}
${instance(" track_script {\n  chk_web weight -30\n }\n track_interface {\n  eth1\n  eth2 weight 10\n }")}`);
  assert.deepEqual(config.scripts.chk_web, {
    script: "/usr/local/bin/check_web.sh --port 80",
    interval: 3,
    timeout: 2,
    weight: -20,
    rise: 2,
    fall: 3,
    user: "nobody",
  });
  assert.deepEqual(config.instances.VI_1!.trackScripts, [{ name: "chk_web", weight: -30 }]);
  assert.deepEqual(config.instances.VI_1!.trackInterfaces, [{ name: "eth1" }, { name: "eth2", weight: 10 }]);
  assert.match(notes[0]!, /^k\.conf:2: 'script': check_web\.sh resolved on PATH to \/usr\/local\/bin\/check_web\.sh/);
});

test("vrrp_instance: preemption, accept mode, source address, hooks", () => {
  const c = okConfig(
    instance(` priority 150
 advert_int 2
 nopreempt
 preempt_delay 30
 no_accept
 mcast_src_ip 10.0.0.11
 notify_master /usr/bin/to-master.sh
 notify_backup "notify_it backup now"
 notify_fault /bin/fault
 notify_stop /bin/stop
 notify "/bin/any x"`),
  ).config.instances.VI_1!;
  assert.deepEqual(
    {
      priority: c.priority,
      advertInterval: c.advertInterval,
      preempt: c.preempt,
      preemptDelay: c.preemptDelay,
      acceptMode: c.acceptMode,
      sourceIp: c.sourceIp,
      notify: c.notify,
    },
    {
      priority: 150,
      advertInterval: 2,
      preempt: false,
      preemptDelay: 30,
      acceptMode: false,
      sourceIp: "10.0.0.11",
      notify: {
        master: "/usr/bin/to-master.sh",
        backup: "/usr/bin/notify_it backup now",
        fault: "/bin/fault",
        stop: "/bin/stop",
        any: "/bin/any x",
      },
    },
  );
});

test("authentication: the first 8 characters of auth_pass, as keepalived; AH kept; hooks with their own user are refused", () => {
  const { config, notes } = okConfig(instance(" authentication {\n  auth_type PASS\n  auth_pass 0123456789ab\n }"));
  assert.deepEqual(config.instances.VI_1!.auth, { type: "PASS", password: "01234567" });
  assert.deepEqual(notes, [
    "k.conf:9: auth_pass: only the first 8 characters are used, as keepalived does (VRRPv2 carries 8 bytes)",
  ]);
  const ah = okConfig(instance(" authentication {\n  auth_type AH\n  auth_pass s3cret\n }")).config;
  assert.deepEqual(ah.instances.VI_1!.auth, { type: "AH", password: "s3cret" });
  assert.deepEqual(problemsOf(instance(" notify_master /bin/m root")), [
    "k.conf:7: notify_master: a user per hook is not supported; hooks run as global_defs script_user",
  ]);
});

test("the IPVS sync daemon: global lvs_sync_daemon (sync id defaults to the VRID) or the instance's old form, never two", () => {
  const g = okConfig(
    `global_defs {\n lvs_sync_daemon eth1 VI_1\n lvs_timeouts tcp 900 tcpfin 30 udp 60\n}\n${instance("", "VI_1", 7)}`,
  ).config;
  assert.deepEqual(g.syncDaemon, { interface: "eth1", followInstance: "VI_1", syncId: 7 });
  assert.deepEqual(g.ipvsTimeouts, { tcp: 900, tcpFin: 30, udp: 60 });
  const withId = okConfig(`global_defs {\n lvs_sync_daemon eth1 inst VI_1 id 3\n}\n${instance("")}`).config;
  assert.deepEqual(withId.syncDaemon, { interface: "eth1", followInstance: "VI_1", syncId: 3 });
  const old = okConfig(instance(" lvs_sync_daemon_interface eth2", "VI_9", 9)).config;
  assert.deepEqual(old.syncDaemon, { interface: "eth2", followInstance: "VI_9", syncId: 9 });
  assert.deepEqual(
    problemsOf(
      `global_defs {\n lvs_sync_daemon eth1 VI_X maxlen 1400\n lvs_sync_daemon eth1\n}\n${instance(" lvs_sync_daemon_interface eth2")}`,
    ),
    [
      "k.conf:2: lvs_sync_daemon: 'maxlen' is not supported (supported: INTERFACE [inst] VRRP_INSTANCE [id SYNC_ID])",
      "k.conf:3: lvs_sync_daemon needs the VRRP instance whose state it follows (lvs-agent does not run both sync daemons at once)",
    ],
  );
  assert.deepEqual(
    problemsOf(`global_defs {\n lvs_sync_daemon eth1 VI_X\n}\n${instance(" lvs_sync_daemon_interface eth2")}`),
    [
      'k.conf:2: lvs_sync_daemon: no VRRP instance "VI_X" under instances (lvs-agent syncDaemon.followInstance)',
      "k.conf:10: a second sync daemon (the first is at k.conf:2): IPVS runs one",
    ],
  );
});

test("virtual_ipaddress: one address per line with dev; a label is noted and not applied", () => {
  const { config, notes } = okConfig(
    "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n  10.0.0.5/24 dev eth1 label eth1:5\n  10.0.0.6\n }\n}",
  );
  assert.deepEqual(config.instances.VI_1!.virtualAddresses, [
    { address: "10.0.0.5/24", device: "eth1" },
    { address: "10.0.0.6" },
  ]);
  assert.deepEqual(notes, [
    "k.conf:5: virtual_ipaddress: label eth1:5 only names the address for ifconfig; lvs-agent adds it without a label",
  ]);
});

test("virtual_ipaddress brd: + and an address are kept for the kernel, - is the default (none)", () => {
  const { config } = okConfig(
    "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n" +
      "  10.0.0.9/24 brd + dev eth1\n  10.0.0.10/24 brd 10.0.0.255\n  10.0.0.11/24 brd -\n }\n}\n",
  );
  assert.deepEqual(config.instances.VI_1!.virtualAddresses, [
    { address: "10.0.0.9/24", device: "eth1", broadcast: "+" },
    { address: "10.0.0.10/24", broadcast: "10.0.0.255" },
    { address: "10.0.0.11/24" },
  ]);
});
