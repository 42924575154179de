import { test } from "node:test";
import assert from "node:assert/strict";
import { formatPath, validateConfig } from "./validate.ts";
import { convertText } from "../keepalived/test-helpers.ts";

/** A valid instance to start from; tests override one thing at a time. */
const vi = (over: Record<string, unknown> = {}) => ({
  interface: "eth0",
  vrid: 51,
  virtualAddresses: [{ address: "10.0.0.100/24" }],
  ...over,
});

function problems(input: unknown): string[] {
  const r = validateConfig(input);
  assert.equal(r.ok, false, "expected problems");
  return r.ok ? [] : r.problems;
}

test("a minimal config is valid and gets its defaults", () => {
  const r = validateConfig({ instances: { VI_1: vi() } });
  assert.ok(r.ok);
  assert.equal(r.config.instances.VI_1?.version, 3);
  assert.equal(r.config.instances.VI_1?.priority, 100);
  assert.equal(r.config.global.statusSocket, "/run/lvs-agent/agent.sock");
  assert.deepEqual(validateConfig({}), {
    ok: true,
    config: {
      global: r.config.global,
      instances: {},
      syncGroups: {},
      trackProcesses: {},
      scripts: {},
      virtualServers: {},
      sysctls: {},
      scriptSecurity: { allowRoot: false },
      staticAddresses: [],
    },
  });
});

test("not an object at all", () => {
  for (const bad of [null, [], "x", 3]) {
    assert.deepEqual(problems(bad), [
      "the configuration must be a JSON object with instances, virtualServers, scripts and/or global",
    ]);
  }
});

test("schema problems name their path, one message each", () => {
  assert.deepEqual(problems({ instances: { VI_1: vi({ vrid: 300 }) } }), [
    "instances.VI_1.vrid: must be 1-255, got 300",
  ]);
  assert.deepEqual(problems({ instances: { VI_1: vi({ vrid: 0 }) } }), ["instances.VI_1.vrid: must be 1-255, got 0"]);
  assert.deepEqual(problems({ instances: { VI_1: vi({ priority: 1.5 }) } }), [
    "instances.VI_1.priority: must be a whole number 1-255, got 1.5",
  ]);
  assert.deepEqual(problems({ instances: { VI_1: vi({ version: 4 }) } }), ["instances.VI_1.version: must be 2 or 3"]);
  assert.deepEqual(problems({ instances: { VI_1: vi({ interface: undefined }) } }), [
    "instances.VI_1.interface: is required",
  ]);
  assert.deepEqual(problems({ instances: { VI_1: vi({ interface: "a very long ifname" }) } }), [
    'instances.VI_1.interface: "a very long ifname" is 18 bytes: the kernel takes interface names of at most 15 bytes; use the interface\'s own (short) name, as `ip link` shows it',
  ]);
  // An instance without addresses only elects and runs hooks (keepalived.conf import); the provider's Vip needs one.
  assert.ok(validateConfig({ instances: { VI_1: vi({ virtualAddresses: [] }) } }).ok);
  assert.deepEqual(problems({ instances: { VI_1: vi({ virtualAddresses: [{ address: "10.0.0.300" }] }) } }), [
    'instances.VI_1.virtualAddresses[0].address: "10.0.0.300" is not an IPv4 address with an optional /prefix of 0-32: give one such as 10.0.0.100/24',
  ]);
  assert.deepEqual(problems({ instances: { VI_1: vi({ preempt: "yes" }) } }), [
    "instances.VI_1.preempt: must be true or false",
  ]);
  assert.deepEqual(
    problems({
      instances: { VI_1: vi({ trackScripts: [{ name: "s", weight: 300 }] }) },
      scripts: { s: { script: "/bin/true" } },
    }),
    ["instances.VI_1.trackScripts[0].weight: must be from -254 to 254, got 300"],
  );
  assert.deepEqual(problems({ instances: { VI_1: vi({ advertInterval: 0 }) } }), [
    "instances.VI_1.advertInterval: must be greater than 0, got 0",
  ]);
  assert.deepEqual(problems({ instances: { VI_1: 5 } }), ["instances.VI_1: must be an object"]);
  assert.deepEqual(problems({ scripts: { s: { script: "/bin/true", rise: 0 } } }), [
    "scripts.s.rise: must be at least 1, got 0",
  ]);
  assert.deepEqual(problems({ scripts: { s: { script: "" } } }), ["scripts.s.script: must not be empty"]);
});

test("unknown fields are errors, with a guess when one is close", () => {
  assert.deepEqual(problems({ instances: { VI_1: vi({ advert_int: 1, prority: 100 }) } }), [
    'instances.VI_1.advert_int: unknown field (did you mean "advertInterval"?)',
    'instances.VI_1.prority: unknown field (did you mean "priority"?)',
  ]);
  assert.deepEqual(problems({ instances: { VI_1: vi({ garp: { count: 3, bogus: 1 } }) } }), [
    "instances.VI_1.garp.bogus: unknown field (known: count, intervalMs, repeatDelay, refresh)",
  ]);
  assert.deepEqual(problems({ vrrp: {} }), [
    "vrrp: unknown field (known: global, instances, syncGroups, trackProcesses, scripts, virtualServers, sysctls, syncDaemon, ipvsTimeouts, scriptSecurity, staticAddresses)",
  ]);
});

test("auth is VRRPv2 only", () => {
  const auth = { type: "PASS", password: "s3cret" };
  assert.deepEqual(problems({ instances: { VI_1: vi({ auth }) } }), [
    "instances.VI_1.auth: authentication is VRRPv2 only (RFC 5798 removed it): remove auth or set version: 2",
  ]);
  assert.deepEqual(problems({ instances: { VI_1: vi({ auth, version: 3 }) } }), [
    "instances.VI_1.auth: authentication is VRRPv2 only (RFC 5798 removed it): remove auth or set version: 2",
  ]);
  assert.ok(validateConfig({ instances: { VI_1: vi({ auth, version: 2 }) } }).ok);
});

test("advert interval per version", () => {
  const v2 = "VRRPv2 advertises in whole seconds: must be a whole number 1-255";
  const v3 = "VRRPv3 advertises in centiseconds: must be a multiple of 0.01 within 0.01-40.95";
  for (const bad of [0.5, 256, 1.5])
    assert.deepEqual(
      problems({ instances: { VI_1: vi({ version: 2, advertInterval: bad }) } }),
      [`instances.VI_1.advertInterval: ${v2}, got ${bad}`],
      String(bad),
    );
  for (const ok of [1, 255])
    assert.ok(validateConfig({ instances: { VI_1: vi({ version: 2, advertInterval: ok }) } }).ok, String(ok));
  for (const bad of [0.001, 0.015, 41, 40.96])
    assert.deepEqual(
      problems({ instances: { VI_1: vi({ advertInterval: bad }) } }),
      [`instances.VI_1.advertInterval: ${v3}, got ${bad}`],
      String(bad),
    );
  // 0.07 * 100 is 7.000000000000001 in floating point: still a whole number of centiseconds.
  for (const ok of [0.01, 0.07, 0.29, 1, 40.95])
    assert.ok(validateConfig({ instances: { VI_1: vi({ advertInterval: ok }) } }).ok, String(ok));
});

test("track script references must exist", () => {
  assert.deepEqual(problems({ instances: { VI_1: vi({ trackScripts: [{ name: "chk" }] }) } }), [
    'instances.VI_1.trackScripts[0].name: no script "chk" is defined under scripts',
  ]);
  assert.deepEqual(
    problems({
      instances: { VI_1: vi({ trackScripts: [{ name: "chk" }, { name: "other" }] }) },
      scripts: { chk: { script: "/bin/true" } },
    }),
    ['instances.VI_1.trackScripts[1].name: no script "other" is defined under scripts'],
  );
  assert.deepEqual(problems({ instances: { VI_1: vi({ trackInterfaces: [{ name: "eth 1" }] }) } }), [
    "instances.VI_1.trackInterfaces[0].name: \"eth 1\" holds '/', white space or a control character, which the kernel refuses in interface names; give one such as eth0",
  ]);
});

test("a vrid twice on one interface; fine on another interface", () => {
  assert.deepEqual(problems({ instances: { A: vi(), B: vi({ virtualAddresses: [{ address: "10.0.0.101" }] }) } }), [
    "instances.B.vrid: vrid 51 is already used on eth0 by instance A",
  ]);
  assert.ok(
    validateConfig({
      instances: { A: vi(), B: vi({ interface: "eth1", virtualAddresses: [{ address: "10.0.0.101" }] }) },
    }).ok,
  );
});

test("a virtual address in two instances, or twice in one", () => {
  assert.deepEqual(
    problems({ instances: { A: vi(), B: vi({ vrid: 52, virtualAddresses: [{ address: "10.0.0.100/32" }] }) } }),
    ["instances.B.virtualAddresses[0].address: 10.0.0.100 is already a virtual address of instance A"],
  );
  assert.deepEqual(
    problems({ instances: { A: vi({ virtualAddresses: [{ address: "10.0.0.1" }, { address: "10.0.0.1/24" }] }) } }),
    ["instances.A.virtualAddresses[1].address: 10.0.0.1 is listed twice"],
  );
});

test("unicast peers must not include the source address or repeat", () => {
  assert.deepEqual(
    problems({ instances: { A: vi({ sourceIp: "10.0.0.1", unicastPeers: ["10.0.0.2", "10.0.0.1", "10.0.0.2"] }) } }),
    [
      "instances.A.unicastPeers[1]: must not be the instance's own sourceIp",
      "instances.A.unicastPeers[2]: 10.0.0.2 is listed twice",
    ],
  );
});

test("priority 255 (the address owner: its sourceIp is one of its addresses) is allowed", () => {
  assert.ok(validateConfig({ instances: { A: vi({ priority: 255, sourceIp: "10.0.0.100" }) } }).ok);
});

test("commands are absolute paths and nothing runs as root", () => {
  assert.deepEqual(
    problems({
      instances: { A: vi({ notify: { master: "notify.sh master" } }) },
      scripts: { s: { script: "check.sh", user: "root" } },
      global: { scriptUser: "root" },
    }),
    [
      "global.scriptUser: must not be root: scripts and hooks run unprivileged",
      "instances.A.notify.master: must start with the absolute path of an executable",
      "scripts.s.script: must start with the absolute path of an executable",
      "scripts.s.user: must not be root: scripts and hooks run unprivileged",
    ],
  );
});

test("global settings", () => {
  assert.deepEqual(problems({ global: { statusSocket: "agent.sock", metricsListen: "9572" } }), [
    'global.metricsListen: must be host:port (e.g. 127.0.0.1:9572), or "" to disable',
    'global.statusSocket: "agent.sock" is a relative path: the agent\'s working directory is not yours (systemd starts it in /), so give an absolute path such as /run/lvs-agent',
  ]);
  assert.deepEqual(problems({ global: { statusSocket: `/run/${"x".repeat(120)}` } }), [
    "global.statusSocket: must be at most 107 bytes (the unix socket path limit)",
  ]);
  assert.ok(validateConfig({ global: { metricsListen: "" } }).ok);
  assert.ok(validateConfig({ global: { metricsListen: "[::1]:9572" } }).ok);
});

test("scripts without a user run as global.scriptUser", () => {
  const r = validateConfig({
    scripts: { a: { script: "/bin/true" }, b: { script: "/bin/true", user: "daemon" } },
    global: { scriptUser: "lvs" },
  });
  assert.ok(r.ok);
  assert.equal(r.config.scripts.a?.user, "lvs");
  assert.equal(r.config.scripts.b?.user, "daemon");
  const d = validateConfig({ scripts: { a: { script: "/bin/true" } } });
  assert.ok(d.ok);
  assert.equal(d.config.scripts.a?.user, "nobody");
});

test("every problem at once: schema, unknown fields and cross-field rules together", () => {
  const got = problems({
    instances: {
      VI_1: vi({
        vrid: 300,
        version: 3,
        auth: { type: "PASS", password: "hunter2" },
        advert_int: 1,
        trackScripts: [{ name: "missing" }],
      }),
      VI_2: vi({ vrid: 7, version: 2, advertInterval: 0.5, virtualAddresses: [{ address: "10.0.0.100" }] }),
      VI_3: vi({ vrid: 7 }),
    },
    scripts: { chk: { script: "/bin/true", fall: 0 } },
  });
  assert.deepEqual(got, [
    'instances.VI_1.advert_int: unknown field (did you mean "advertInterval"?)',
    "instances.VI_1.auth: authentication is VRRPv2 only (RFC 5798 removed it): remove auth or set version: 2",
    'instances.VI_1.trackScripts[0].name: no script "missing" is defined under scripts',
    "instances.VI_1.vrid: must be 1-255, got 300",
    "instances.VI_2.advertInterval: VRRPv2 advertises in whole seconds: must be a whole number 1-255, got 0.5",
    "instances.VI_2.virtualAddresses[0].address: 10.0.0.100 is already a virtual address of instance VI_1",
    "instances.VI_3.virtualAddresses[0].address: 10.0.0.100 is already a virtual address of instance VI_1",
    "instances.VI_3.vrid: vrid 7 is already used on eth0 by instance VI_2",
    "scripts.chk.fall: must be at least 1, got 0",
  ]);
});

test("a password never appears in any problem", () => {
  const secrets = ["hunter2-way-too-long", "s3cr3t!"];
  const got = problems({
    instances: {
      A: vi({ version: 3, auth: { type: "MD5", password: secrets[0] } }),
      B: vi({
        vrid: 2,
        version: 2,
        auth: { type: "PASS", password: secrets[1], extra: secrets[1] },
        virtualAddresses: [{ address: "10.0.0.5" }],
      }),
      C: vi({ vrid: 3, auth: secrets[1], virtualAddresses: [{ address: "10.0.0.6" }] }),
    },
  });
  assert.ok(got.length >= 4, got.join("\n"));
  for (const p of got) for (const s of secrets) assert.ok(!p.includes(s), p);
});

test("path formatting", () => {
  assert.equal(formatPath(["instances", "VI_1", "trackScripts", 0, "name"]), "instances.VI_1.trackScripts[0].name");
  assert.equal(formatPath(["instances", "my vi", "vrid"]), 'instances["my vi"].vrid');
});

// --- as strict as the provider (issue 13): what the kernel or VRRP would refuse later is refused at
// `check` time, each message naming the field, the value, why, and how to fix it. Paths that reach
// scripts and the systemd unit are absolute and hold no control character.

/** The one problem at `field`: it must exist and name the value. */
function problemAt(input: unknown, field: string): string {
  const found = problems(input).filter((p) => p.startsWith(`${field}: `));
  assert.equal(found.length, 1, `one problem at ${field}: ${JSON.stringify(problems(input))}`);
  return found[0]!;
}

/** Valid: no problems. */
const valid = (input: unknown, what = ""): void => {
  const r = validateConfig(input);
  assert.ok(r.ok, `${what}: ${r.ok ? "" : r.problems.join("; ")}`);
};

test("priority 255 belongs to the address owner: a router whose sourceIp is one of its addresses", () => {
  const p = problemAt({ instances: { VI_1: vi({ priority: 255 }) } }, "instances.VI_1.priority");
  assert.match(p, /255/);
  assert.match(p, /address owner/);
  assert.match(p, /1-254/);
  assert.ok(problemAt({ instances: { VI_1: vi({ priority: 255, sourceIp: "10.0.0.9" }) } }, "instances.VI_1.priority"));
  valid({ instances: { VI_1: vi({ priority: 255, sourceIp: "10.0.0.100" }) } });
  valid({ instances: { VI_1: vi({ priority: 254 }) } });
});

test("an unknown scheduler is refused at check time, naming it and the kernel's schedulers", () => {
  const vs = (scheduler: string) => ({ virtualServers: { web: { address: "10.0.0.100", port: 80, scheduler } } });
  const p = problemAt(vs("fastest"), "virtualServers.web.scheduler");
  assert.match(p, /"fastest"/);
  assert.match(p, /wlc/);
  assert.match(p, /mh/);
  for (const ok of ["rr", "wrr", "wlc", "sh", "mh", "twos"]) valid(vs(ok), String(ok));
});

test('sysctl values are whole numbers: "" and "1e0" are not', () => {
  for (const bad of ["", "1e0", " 1", "0x1", "1.0"]) {
    const p = problemAt({ sysctls: { "net.ipv4.ip_forward": bad } }, 'sysctls["net.ipv4.ip_forward"]');
    assert.match(p, new RegExp(JSON.stringify(bad).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), bad);
    assert.match(p, /0, 1/);
  }
  for (const ok of [1, "1", 0, "0"]) valid({ sysctls: { "net.ipv4.ip_forward": ok } });
});

test("interface names the kernel refuses: '.', '..', ':', '/', white space, over 15 bytes", () => {
  for (const bad of [".", "..", "eth0:1", "eth 0", "a/b", "abcdefghijklmnop", "éééééééé", "eth0\n"]) {
    const where = [
      [{ instances: { VI_1: vi({ interface: bad }) } }, "instances.VI_1.interface"],
      [{ instances: { VI_1: vi({ trackInterfaces: [{ name: bad }] }) } }, "instances.VI_1.trackInterfaces[0].name"],
      [
        { instances: { VI_1: vi({ virtualAddresses: [{ address: "10.0.0.1", device: bad }] }) } },
        "instances.VI_1.virtualAddresses[0].device",
      ],
      [{ staticAddresses: [{ address: "10.0.0.1/24", device: bad }] }, "staticAddresses[0].device"],
    ] as const;
    for (const [input, field] of where) {
      const p = problemAt(input, field);
      assert.ok(p.includes(JSON.stringify(bad)), `${field}: names the value: ${p}`);
      assert.match(p, /kernel/, p);
    }
  }
  assert.match(problemAt({ instances: { VI_1: vi({ interface: "eth0:1" }) } }, "instances.VI_1.interface"), /eth0/);
  for (const ok of ["eth0", "eth0.100", "br-lan", "abcdefghijklmno", "wg_0@x"])
    valid({ instances: { VI_1: vi({ interface: ok }) } }, String(ok));
});

test("a check's connectTimeout of 0 says it must be above 0, not 0-3600", () => {
  const input = {
    virtualServers: { web: { address: "10.0.0.100", port: 80, healthCheck: { type: "tcp", connectTimeout: 0 } } },
  };
  const p = problemAt(input, "virtualServers.web.healthCheck.connectTimeout");
  assert.doesNotMatch(p, /0-3600/);
  assert.match(p, /more than 0/);
  assert.match(p, /got 0/);
  const conf = [
    "virtual_server 10.0.0.100 80 {",
    "  real_server 10.0.0.11 80 {",
    "    TCP_CHECK {",
    "      connect_timeout 0",
    "    }",
    "  }",
    "}",
  ].join("\n");
  const r = convertText(conf);
  assert.equal(r.ok, false);
  const msg = r.ok ? "" : r.problems.join("\n");
  assert.match(msg, /k\.conf:4: .*connect_timeout.*more than 0.*got 0/);
});

test("global paths are absolute and hold no control character", () => {
  const at = (global: object, field: string) => problemAt({ global }, `global.${field}`);
  assert.match(at({ stateDir: "var/lib/lvs" }, "stateDir"), /"var\/lib\/lvs".*relative.*absolute/);
  assert.match(at({ statusSocket: "agent.sock" }, "statusSocket"), /"agent\.sock".*relative.*absolute/);
  for (const field of ["stateDir", "statusSocket"]) {
    const p = at({ [field]: "/run/x\nExecStartPre=/bin/touch /tmp/pwned" }, field);
    assert.match(p, /control character/);
    assert.ok(p.includes(JSON.stringify("/run/x\nExecStartPre=/bin/touch /tmp/pwned")), p);
  }
  valid({ global: { stateDir: "/var/lib/lvs agent", statusSocket: "/run/a$(b)/s" } });
});
