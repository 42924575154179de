// virtual_server, real_server and checker keywords into AgentConfig, with keepalived's defaults.
import { test } from "node:test";
import assert from "node:assert/strict";
import { okConfig, problemsOf } from "./test-helpers.ts";
import type { AgentConfig } from "../config/schema.ts";

const vsOf = (c: AgentConfig, name: string) =>
  c.virtualServers[name] ?? assert.fail(`no virtual server ${name}: ${Object.keys(c.virtualServers).join(", ")}`);

test("keepalived's defaults where lvs-agent's differ: NAT, delay_loop 60 with warmup up to it", () => {
  const c = okConfig(
    "virtual_server 10.0.0.1 80 {\n real_server 10.0.1.1 8080 {\n  TCP_CHECK {\n  }\n }\n real_server 10.0.1.2 8080 {\n }\n}",
  ).config;
  const vs = vsOf(c, "10.0.0.1:80");
  assert.deepEqual([vs.forwarding, vs.scheduler, vs.persistence], ["NAT", "wlc", undefined]);
  assert.deepEqual(vs.realServers[0]!.healthCheck, {
    type: "tcp",
    interval: 60,
    warmup: 60,
    retries: 1,
    delayBeforeRetry: 1,
    connectTimeout: 5,
    rise: 1,
    fall: 1,
  });
  assert.equal(vs.realServers[1]!.healthCheck, undefined, "no checker: always in service, as in keepalived");
});

test("virtual server options: scheduler flags, persistence with granularity, sorry server, quorum, alpha, inhibit", () => {
  const c = okConfig(`virtual_server 10.0.0.1 53 {
 protocol UDP
 lvs_sched sh
 lvs_method DR
 sh-port
 sh-fallback
 ops
 persistence_timeout
 persistence_granularity 255.255.255.0
 sorry_server 10.0.2.1 53
 sorry_server_lvs_method NAT
 quorum 2
 alpha
 inhibit_on_failure
 real_server 10.0.1.1 53 {
  weight 3
  uthreshold 100
  lthreshold 10
  lvs_method TUN
  inhibit_on_failure off
 }
}
virtual_server fwmark 7 {
 real_server 10.0.1.1 {
 }
}`).config;
  const vs = vsOf(c, "10.0.0.1:53/udp");
  assert.deepEqual(
    { ...vs, realServers: undefined },
    {
      address: "10.0.0.1",
      port: 53,
      protocol: "UDP",
      scheduler: "sh",
      forwarding: "DR",
      flags: { port: true, fallback: true, onePacket: true },
      persistence: { timeout: 360, netmask: 24 },
      sorryServer: { address: "10.0.2.1", port: 53, forwarding: "NAT" },
      quorum: 2,
      alpha: true,
      inhibitOnFailure: true,
      drain: 0,
      realServers: undefined,
    },
  );
  assert.deepEqual(vs.realServers, [
    {
      address: "10.0.1.1",
      port: 53,
      weight: 3,
      upperThreshold: 100,
      lowerThreshold: 10,
      forwarding: "TUN",
      inhibitOnFailure: false,
    },
  ]);
  assert.deepEqual(vsOf(c, "fwmark-7").realServers, [
    { address: "10.0.1.1", weight: 1, upperThreshold: 0, lowerThreshold: 0 },
  ]);
});

test("checker options layer: virtual server, then real server, then the checker itself", () => {
  const c = okConfig(`virtual_server 10.0.0.1 443 {
 delay_loop 10
 connect_timeout 4
 retry 2
 virtualhost www.example.org
 real_server 10.0.1.1 443 {
  delay_before_retry 7
  SSL_GET {
   url {
    path /healthz
    status_code 200 204 300-399
    digest 9b3a0c85a887a256d6939da88aabd8cd
   }
   retry 5
   bindto 10.0.0.2
  }
 }
 real_server 10.0.1.2 443 {
  HTTP_GET {
   connect_port 8080
   warmup 0
   url {
    virtualhost api.example.org
   }
  }
 }
}`).config;
  const [a, b] = vsOf(c, "10.0.0.1:443").realServers;
  assert.deepEqual(a!.healthCheck, {
    type: "https",
    interval: 10,
    warmup: 10,
    connectTimeout: 4,
    retries: 5,
    delayBeforeRetry: 7,
    host: "www.example.org",
    path: "/healthz",
    statusCodes: ["200", "204", "300-399"],
    digest: "9b3a0c85a887a256d6939da88aabd8cd",
    bindTo: "10.0.0.2",
    method: "GET",
    rise: 1,
    fall: 1,
    verifyTls: false,
  });
  assert.deepEqual(b!.healthCheck, {
    type: "http",
    interval: 10,
    warmup: 0,
    connectTimeout: 4,
    retries: 2,
    delayBeforeRetry: 3,
    host: "api.example.org",
    path: "/",
    port: 8080,
    statusCodes: ["200-299"],
    method: "GET",
    rise: 1,
    fall: 1,
  });
});

test("MISC_CHECK: a script with arguments, keepalived's retry 0, no connection options", () => {
  const c = okConfig(`virtual_server 10.0.0.1 25 {
 connect_timeout 4
 real_server 10.0.1.1 25 {
  MISC_CHECK {
   misc_path "true --smtp 10.0.1.1"
   misc_timeout 5
   misc_dynamic
   user nobody
  }
 }
}`).config;
  assert.deepEqual(vsOf(c, "10.0.0.1:25").realServers[0]!.healthCheck, {
    type: "script",
    script: "/usr/bin/true --smtp 10.0.1.1",
    timeout: 5,
    dynamicWeight: true,
    user: "nobody",
    interval: 60,
    warmup: 60,
    retries: 0,
    delayBeforeRetry: 1,
    rise: 1,
    fall: 1,
  });
});

test("virtual server errors: an undefined group, a bad mask, unsupported keywords, a twice-defined service, granularity alone", () => {
  assert.deepEqual(
    problemsOf(`virtual_server group web {
}
virtual_server 10.0.0.1 80 {
 persistence_granularity 255.0.255.0
 real_server 10.0.1.1 80 {
  HTTP_GET {
   url {
    path /
   }
   url {
    path /b
   }
   http_protocol 1.1
  }
  notify_up /bin/up
 }
}
virtual_server 10.0.0.1 80 {
 lb_algo rr
}
virtual_server 10.0.0.1 80 {
 protocol UDP
 nat_mask 255.255.255.0
 persistence_granularity 255.255.0.0
}`),
    [
      "k.conf:1: no virtual_server_group web is defined before this virtual_server",
      "k.conf:4: persistence_granularity needs a netmask such as 255.255.255.0, got '255.0.255.0'",
      "k.conf:13: unsupported keyword 'http_protocol' in HTTP_GET: lvs-agent has no equivalent; remove the line, or keep this part on keepalived",
      "k.conf:15: unsupported keyword 'notify_up' in real_server: lvs-agent has no equivalent; remove the line, or keep this part on keepalived",
      "k.conf:18: virtual_server 10.0.0.1:80 is defined twice (first at k.conf:3)",
      "k.conf:24: persistence_granularity needs persistence_timeout",
    ],
  );
});

test("several checkers in one real_server all run; connect_ip and url regex are kept; regex_stack is a note", () => {
  const { config, notes } = okConfig(`virtual_server 10.0.0.1 80 {
 delay_loop 3
 real_server 192.168.0.1 80 {
  SMTP_CHECK {
   connect_ip 172.21.53.188
   connect_port 25
  }
  SSL_GET {
   enable_sni
   connect_ip 64.57.14.4
   connect_port 443
   url {
    path /status
    virtualhost oasis.example.com
    regex "BUILD: rpm-.{3,50} :: DATE"
    regex_stack 16384 1000000
   }
  }
 }
}`);
  const rs = vsOf(config, "10.0.0.1:80").realServers[0]!;
  assert.equal(rs.healthCheck !== "none" && rs.healthCheck?.type, "smtp");
  assert.ok(rs.healthCheck !== "none" && rs.healthCheck?.type === "smtp" && rs.healthCheck.address === "172.21.53.188");
  const ssl = rs.moreHealthChecks?.[0];
  assert.ok(ssl?.type === "https");
  assert.deepEqual(
    [ssl.address, ssl.port, ssl.path, ssl.host, ssl.regex, ssl.interval],
    ["64.57.14.4", 443, "/status", "oasis.example.com", "BUILD: rpm-.{3,50} :: DATE", 3],
  );
  assert.ok(notes.some((n) => /k\.conf:9: 'enable_sni'/.test(n)));
  assert.ok(notes.some((n) => /k\.conf:16: 'regex_stack'/.test(n)));
});

test("a regex JavaScript cannot compile is refused at its line", () => {
  const problems = problemsOf(
    'virtual_server 10.0.0.1 80 {\n real_server 10.0.1.1 80 {\n  HTTP_GET {\n   url {\n    path /\n    regex "a(b"\n   }\n  }\n }\n}',
  );
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /^k\.conf:6: regex: is not a valid regular expression/);
});

test("an IPv6 virtual server with alpha 1, omega 1, quorum and quorum_up/quorum_down, as corpus file 28 writes them", () => {
  const { config } = okConfig(
    [
      "virtual_server 2001:67c:25d0:a00::18 443 {",
      " alpha 1",
      " omega 1",
      " ip_family inet6",
      " lvs_method TUN",
      " quorum 2",
      " hysteresis 1",
      ' quorum_up "/sbin/ip -6 addr add 2001:67c:25d0:a00::18/128 dev lo"',
      ' quorum_down "/sbin/ip -6 addr del 2001:67c:25d0:a00::18/128 dev lo"',
      " real_server 2001:67c:25d0:b22::17 443 {",
      "  TCP_CHECK {",
      "   connect_timeout 3",
      "  }",
      " }",
      "}",
    ].join("\n"),
  );
  const vs = vsOf(config, "2001:67c:25d0:a00::18:443");
  assert.deepEqual(
    [vs.address, vs.alpha, vs.omega, vs.quorum, vs.hysteresis, vs.quorumUp, vs.quorumDown],
    [
      "2001:67c:25d0:a00::18",
      true,
      true,
      2,
      1,
      "/sbin/ip -6 addr add 2001:67c:25d0:a00::18/128 dev lo",
      "/sbin/ip -6 addr del 2001:67c:25d0:a00::18/128 dev lo",
    ],
  );
  assert.equal(vs.realServers[0]!.address, "2001:67c:25d0:b22::17");
});

test("alpha 0 / omega off are refused (keepalived 2.2.7 turns them on); families must agree", () => {
  const vs = (body: string, addr = "10.0.0.1") => `virtual_server ${addr} 80 {\n${body}\n}\n`;
  assert.deepEqual(problemsOf(vs(" alpha 0\n omega off")), [
    "k.conf:2: 'alpha 0': keepalived 2.2.7 ignores alpha's argument and turns alpha on; write 'alpha' alone to keep it on, or remove the line for off",
    "k.conf:3: 'omega off': keepalived 2.2.7 ignores omega's argument and turns omega on; write 'omega' alone to keep it on, or remove the line for off",
  ]);
  assert.deepEqual(problemsOf(vs(" ip_family inet6")), [
    "k.conf:2: 'ip_family inet6' but the virtual server's address 10.0.0.1 is IPv4: write 'ip_family inet' or remove the line",
  ]);
  assert.match(
    problemsOf(vs(" real_server 10.0.1.1 80 {\n }", "2001:db8::1")).join("\n"),
    /^k\.conf:2: .*10\.0\.1\.1 is IPv4 but the virtual server's 2001:db8::1 is IPv6: IPVS forwards a service only to servers of its own family/,
  );
});
