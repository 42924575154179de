// Unit tests of doctor's examinations and report (pure): a healthy two-director DR cluster passes every
// one; each fault, made in the observations, gives a finding naming its host and the fix.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ClusterSpec, type ClusterSpecInput } from "../../../provider/src/cluster/spec.ts";
import type { AgentStatus, InstanceStatus } from "../../../agent/src/status/format.ts";
import type { AdvertSender } from "../../../agent/src/vrrp/adverts.ts";
import { examine, freeVrid } from "./examinations.ts";
import type { DirectorObservation, DoctorReport, ExaminationId, Observations } from "./observations.ts";
import { doctorPlan } from "./plan.ts";
import { formatReport } from "./report.ts";

const conn = (host: string) => ({ host, privateKey: "KEY", hostKey: `SHA256:${"A".repeat(43)}` });
const input: ClusterSpecInput = {
  directors: [
    { name: "d1", address: "10.0.0.11", connection: conn("10.0.0.11") },
    { name: "d2", address: "10.0.0.12", connection: conn("10.0.0.12") },
  ],
  vips: [{ name: "web", interface: "eth0", vrid: 51, addresses: ["10.0.0.100/24"], priorities: { d1: 150, d2: 100 } }],
  realServers: [
    { name: "rs1", address: "10.0.0.21", connection: conn("10.0.0.21") },
    { name: "rs2", address: "10.0.0.22", connection: conn("10.0.0.22") },
  ],
  virtualServers: [
    {
      name: "http",
      vip: "web",
      port: 80,
      scheduler: "rr",
      forwarding: "DR",
      healthCheck: { type: "tcp", interval: 1, connectTimeout: 1, retries: 1 },
      backends: [{ server: "rs1" }, { server: "rs2" }],
    },
  ],
};
const FILE = "site.yaml";

function instance(state: InstanceStatus["state"], over: Partial<InstanceStatus> = {}): InstanceStatus {
  return {
    name: "web",
    interface: "eth0",
    vrid: 51,
    version: 3,
    state,
    priority: 100,
    effectivePriority: 100,
    advertIntervalCs: 100,
    masterAdvertIntervalCs: 100,
    vips: [],
    since: "",
    lastTransitionReason: "",
    faults: [],
    tracks: [],
    ...over,
  };
}

const status = (i: InstanceStatus, health = "up"): AgentStatus => ({
  instances: [i],
  virtualServers: [
    {
      name: "http",
      service: "TCP 10.0.0.100:80",
      scheduler: "rr",
      dests: ["10.0.0.21", "10.0.0.22"].map((address) => ({
        address,
        port: 80,
        forwarding: "dr",
        weight: 1,
        health: address === "10.0.0.22" ? health : "up",
        activeConns: 0,
        inactiveConns: 0,
        conns: 0,
      })) as never,
    },
  ],
  configSources: [],
  pid: 1,
  version: "0.1.0",
});

const fragment = (over: Record<string, unknown> = {}) =>
  JSON.stringify({ instances: { web: { interface: "eth0", vrid: 51, version: 3, priority: 100, ...over } } });

const advert = (src: string, over: Partial<AdvertSender> = {}): AdvertSender => ({
  interface: "eth0",
  src,
  dst: "224.0.0.18",
  vrid: 51,
  version: 3,
  priority: 150,
  intervalCs: 100,
  addresses: ["10.0.0.100"],
  count: 3,
  ...over,
});

const emptyFirewall = { nft: { out: "", err: "", rc: 0 }, iptables: { out: "", err: "", rc: 127 } };
const probes = (rs2: { ok: boolean; detail: string } = { ok: true, detail: "connected" }) => [
  { check: "http/10.0.0.21:80", type: "tcp", address: "10.0.0.21", port: 80, ok: true, detail: "connected" },
  { check: "http/10.0.0.22:80", type: "tcp", address: "10.0.0.22", port: 80, ...rs2 },
];

function director(name: string, address: string, master: boolean): DirectorObservation {
  return {
    name,
    host: address,
    address,
    addresses: [
      { device: "lo", address: "127.0.0.1", prefix: 8 },
      { device: "eth0", address, prefix: 24 },
      ...(master ? [{ device: "eth0", address: "10.0.0.100", prefix: 24 }] : []),
    ],
    ipForward: "0",
    firewall: emptyFirewall,
    agent: status(instance(master ? "MASTER" : "BACKUP")),
    fragments: { web: { path: "/etc/lvs-agent/conf.d/vip-web.json", text: fragment() } },
    adverts: { interfaces: ["eth0"], seconds: 3, senders: master ? [] : [advert("10.0.0.11")], dropped: {} },
    probes: probes(),
  };
}

function realServer(name: string, address: string) {
  const keys = ["all", "lo", "eth0"].flatMap((d) => [
    `net.ipv4.conf.${d}.arp_ignore`,
    `net.ipv4.conf.${d}.arp_announce`,
  ]);
  return {
    name,
    host: address,
    address,
    sysctls: Object.fromEntries(keys.map((k) => [k, k.endsWith("ignore") ? "1" : "2"])),
    addresses: [
      { device: "lo", address: "127.0.0.1", prefix: 8 },
      { device: "lo", address: "10.0.0.100", prefix: 32 },
      { device: "eth0", address, prefix: 24 },
    ],
  };
}

function healthy(): Observations {
  return {
    directors: [director("d1", "10.0.0.11", true), director("d2", "10.0.0.12", false)],
    realServers: [realServer("rs1", "10.0.0.21"), realServer("rs2", "10.0.0.22")],
    services: [{ virtualServer: "http", target: "10.0.0.100:80", attempts: [{ ok: true, detail: "HTTP 200" }] }],
  };
}

function run(o: Observations, spec: ClusterSpecInput = input) {
  const s = ClusterSpec.parse(spec);
  return examine({ spec: s, plan: doctorPlan(s), file: FILE }, o);
}
const verdict = (r: ReturnType<typeof run>, id: ExaminationId) => r.find((e) => e.id === id)!.verdict;
const only = (r: ReturnType<typeof run>, id: ExaminationId) => {
  const e = r.find((x) => x.id === id)!;
  assert.equal(e.findings.length, 1, JSON.stringify(e, null, 1));
  return e.findings[0]!;
};
const failing = (r: ReturnType<typeof run>) => r.filter((e) => e.verdict === "fail").map((e) => e.id);

test("a healthy cluster passes every examination", () => {
  const r = run(healthy());
  assert.deepEqual(
    r.map((e) => [e.id, e.verdict]),
    [
      ["hosts", "ok"],
      ["vip-placement", "ok"],
      ["arp-suppression", "ok"],
      ["loopback-vip", "ok"],
      ["vrrp-adverts", "ok"],
      ["vrrp-agreement", "ok"],
      ["foreign-vrid", "ok"],
      ["firewall-vrrp", "ok"],
      ["ip-forward", "n/a"],
      ["real-server-direct", "ok"],
      ["service-via-vip", "ok"],
    ],
  );
  assert.equal(r.find((e) => e.id === "vip-placement")!.summary, "10.0.0.100 (web) on d1 only");
  assert.match(
    r.find((e) => e.id === "vrrp-adverts")!.summary,
    /d1 \(MASTER\) hears no other director; d2 \(BACKUP\) hears d1 \(priority 150, v3, 3 in 3 s\)/,
  );
});

test("an unreachable host and an agent that does not answer are findings, and the rest is still examined", () => {
  const o = healthy();
  o.directors[1] = {
    name: "d2",
    host: "10.0.0.12",
    address: "10.0.0.12",
    unreachable: "connection refused (ECONNREFUSED)",
  };
  o.directors[0]!.agent = { error: "agent: no agent running (exit 3)" };
  const r = run(o);
  const f = r.find((e) => e.id === "hosts")!.findings;
  assert.deepEqual(
    f.map((x) => [x.host, x.what]),
    [
      ["d1", "no agent answers at /run/lvs-agent/agent.sock: agent: no agent running (exit 3)"],
      ["d2", "cannot be reached over SSH: connection refused (ECONNREFUSED)"],
    ],
  );
  assert.equal(
    f[0]!.fix,
    "install and start it as the file says: lvsctl refresh -f site.yaml && lvsctl up -f site.yaml",
  );
  assert.equal(verdict(r, "vip-placement"), "ok", "d1 still holds the VIP");
  assert.match(r.find((e) => e.id === "vip-placement")!.summary, /d2 not seen/);
});

test("arp_ignore 0 on all and eth0 fails with the sysctl fix; on all alone (eth0 still 1) only warns", () => {
  const o = healthy();
  o.realServers[0]!.sysctls!["net.ipv4.conf.all.arp_ignore"] = "0";
  o.realServers[0]!.sysctls!["net.ipv4.conf.eth0.arp_ignore"] = "0";
  const f = only(run(o), "arp-suppression");
  assert.equal(f.host, "rs1");
  assert.equal(f.severity, "fail");
  assert.match(f.what, /^arp_ignore on eth0 is 0 \(all=0, eth0=0\), RealServer sets 1: rs1 answers ARP/);
  assert.equal(
    f.fix,
    "on rs1 (10.0.0.21): sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.eth0.arp_ignore=1 " +
      "(kept across reboots by /etc/sysctl.d/90-lvs-http-rs1.conf; or lvsctl refresh -f site.yaml && lvsctl up -f site.yaml)",
  );
  const o2 = healthy();
  o2.realServers[1]!.sysctls!["net.ipv4.conf.all.arp_announce"] = "0";
  const w = only(run(o2), "arp-suppression");
  assert.equal(w.severity, "warn");
  assert.match(w.what, /net\.ipv4\.conf\.all\.arp_announce is 0, RealServer sets 2 \(no effect on ARP now/);
});

test("the loopback VIP missing, and a VIP held on a real server's eth0", () => {
  const o = healthy();
  o.realServers[0]!.addresses = o.realServers[0]!.addresses!.filter((a) => a.address !== "10.0.0.100");
  o.realServers[1]!.addresses!.push({ device: "eth0", address: "10.0.0.100", prefix: 24 });
  const f = run(o).find((e) => e.id === "loopback-vip")!.findings;
  assert.deepEqual(
    f.map((x) => [x.host, x.interface, x.fix]),
    [
      [
        "rs1",
        "lo",
        "on rs1 (10.0.0.21): ip addr add 10.0.0.100/32 dev lo (kept across reboots by lvs-real-server-http-rs1.service; or lvsctl refresh -f site.yaml && lvsctl up -f site.yaml)",
      ],
      ["rs2", "eth0", "on rs2 (10.0.0.22): ip addr del 10.0.0.100/24 dev eth0"],
    ],
  );
});

test("the VIP on two directors: the backup's copy is deleted; two masters are a split brain", () => {
  const o = healthy();
  o.directors[1]!.addresses!.push({ device: "eth0", address: "10.0.0.100", prefix: 24 });
  const f = only(run(o), "vip-placement");
  assert.equal(f.host, "d2");
  assert.equal(f.fix, "on d2 (10.0.0.12): ip addr del 10.0.0.100/24 dev eth0");
  assert.match(f.what, /while its agent is BACKUP for web: the VIP is on d1 and d2/);
  o.directors[1]!.agent = status(instance("MASTER"));
  const r = run(o);
  assert.match(only(r, "vip-placement").what, /d1 and d2 are all MASTER for web .*split brain/);
  const none = healthy();
  none.directors[0]!.addresses!.pop();
  assert.match(
    only(run(none), "vip-placement").what,
    /no director holds 10\.0\.0\.100 \(web\); its agents: d1 MASTER, d2 BACKUP/,
  );
});

test("VRRP dropped on d2: the firewall rule and the deaf director are named, not the one that hears", () => {
  const o = healthy();
  o.directors[1]!.firewall = {
    iptablesLegacy: { out: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p vrrp -j DROP\nCOMMIT\n", err: "", rc: 0 },
  };
  o.directors[1]!.agent = status(instance("MASTER"));
  o.directors[1]!.adverts = { interfaces: ["eth0"], seconds: 3, senders: [], dropped: {} };
  o.directors[0]!.adverts = {
    interfaces: ["eth0"],
    seconds: 3,
    senders: [advert("10.0.0.12", { priority: 100 })],
    dropped: {},
  };
  const r = run(o);
  const fw = only(r, "firewall-vrrp");
  assert.deepEqual([fw.host, fw.fix], ["d2", "on d2 (10.0.0.12): iptables-legacy -D INPUT -p vrrp -j DROP"]);
  const deaf = only(r, "vrrp-adverts");
  assert.equal(deaf.host, "d2");
  assert.match(
    deaf.what,
    /heard no VRRP adverts from d1 \(10\.0\.0\.11\), MASTER for web \(VRID 51\), on eth0 in 3 s: d2 is MASTER too/,
  );
  assert.match(
    deaf.fix,
    /^let IP protocol 112 from 10\.0\.0\.11 in on d2 \(see firewall-vrrp\), then check: on d2 \(10\.0\.0\.12\): tcpdump -ni eth0 ip proto 112; where the network drops multicast/,
  );
});

test("a foreign router on the cluster's VRID is named with a free VRID to move to; other VRIDs are only listed", () => {
  const o = healthy();
  for (const d of o.directors) {
    const a = d.adverts as { senders: AdvertSender[] };
    a.senders.push(advert("10.0.0.3", { priority: 1 }), advert("10.0.0.5", { vrid: 52 }));
  }
  const r = run(o);
  const f = only(r, "foreign-vrid");
  assert.equal(f.host, "d1,d2");
  assert.match(
    f.what,
    /^10\.0\.0\.3, not a director of this cluster, advertises VRID 51 \(v3, priority 1\) on eth0, heard by d1 and d2/,
  );
  assert.equal(
    f.fix,
    "give one of them another VRID: set vips[0].vrid: 53 in site.yaml (no advert used it) and lvsctl up -f site.yaml, or change the router at 10.0.0.3",
  );
  assert.match(r.find((e) => e.id === "foreign-vrid")!.summary, /other routers: 10\.0\.0\.5 VRID 52/);
  assert.equal(freeVrid(new Set([255, 1]), 255), 2);
});

test("VRID, version, interface and auth: the fragment, the running agent and the wire", () => {
  const o = healthy();
  o.directors[1]!.fragments!.web!.text = fragment({ vrid: 52 });
  o.directors[1]!.agent = status(instance("MASTER", { vrid: 52 }));
  (o.directors[0]!.adverts as { senders: AdvertSender[] }).senders.push(
    advert("10.0.0.12", { vrid: 52, priority: 100 }),
  );
  const r = run(o);
  const f = r.find((e) => e.id === "vrrp-agreement")!.findings;
  assert.deepEqual(
    f.map((x) => [x.host, x.file ?? ""]),
    [
      ["d2", "/etc/lvs-agent/conf.d/vip-web.json"],
      ["d2", ""],
    ],
  );
  assert.match(f[0]!.what, /its fragment \/etc\/lvs-agent\/conf\.d\/vip-web\.json has vrid 52 \(the file: 51\)/);
  assert.equal(
    f[0]!.fix,
    "write the file's values back and reload the agent: lvsctl refresh -f site.yaml && lvsctl up -f site.yaml",
  );
  assert.match(f[1]!.what, /d1 hears d2 advertise 10\.0\.0\.100 with VRID 52 v3 \(the file: VRID 51 v3\)/);
  assert.ok(!failing(r).includes("vrrp-adverts"), "a master on another VRID is not a deaf peer");

  const auth = healthy();
  auth.directors[0]!.fragments!.web!.text = fragment({ auth: { type: "PASS", password: "secret1" } });
  const a = only(run(auth), "vrrp-agreement");
  assert.match(a.what, /auth PASS \(the file: none\)/);
  const withAuth = {
    ...input,
    vips: [{ ...input.vips![0]!, version: 2 as const, auth: { type: "PASS" as const, password: "secret2" } }],
  };
  const other = healthy();
  for (const d of other.directors) d.agent = status(instance(d.name === "d1" ? "MASTER" : "BACKUP", { version: 2 }));
  (other.directors[1]!.adverts as { senders: AdvertSender[] }).senders = [
    advert("10.0.0.11", { version: 2, authType: "pass" }),
  ];
  other.directors[0]!.fragments!.web!.text = fragment({ version: 2, auth: { type: "PASS", password: "secret2" } });
  other.directors[1]!.fragments!.web!.text = fragment({ version: 2, auth: { type: "PASS", password: "secret1" } });
  const p = only(run(other, withAuth), "vrrp-agreement");
  assert.equal(p.host, "d2");
  assert.match(p.what, /auth with another password than the file's/);
  assert.ok(!JSON.stringify(run(other, withAuth)).includes("secret"), "no password is shown");

  const stale = healthy();
  stale.directors[1]!.agent = status(instance("BACKUP", { interface: "eth1" }));
  assert.equal(
    only(run(stale), "vrrp-agreement").fix,
    "reload it: on d2 (10.0.0.12): /opt/lvs-agent/current/bin/lvs-agent reload",
  );
});

test("ip_forward 0 on a director running a NAT virtual server", () => {
  const nat = { ...input, virtualServers: [{ ...input.virtualServers![0]!, forwarding: "NAT" as const }] };
  const o = healthy();
  o.directors[1]!.ipForward = "1";
  const r = run(o, nat);
  const f = only(r, "ip-forward");
  assert.equal(f.host, "d1");
  assert.match(f.fix, /^on d1 \(10\.0\.0\.11\): sysctl -w net\.ipv4\.ip_forward=1 /);
  assert.equal(verdict(r, "arp-suppression"), "n/a", "NAT real servers need no preparation");
});

test("a real server refusing its health check from the directors; the VIP failing from here", () => {
  const o = healthy();
  for (const d of o.directors) {
    d.probes = probes({ ok: false, detail: "ECONNREFUSED" });
    d.agent = status(instance(d.name === "d1" ? "MASTER" : "BACKUP"), "down");
  }
  o.services[0]!.attempts = [
    { ok: true, detail: "HTTP 200" },
    { ok: false, detail: "ECONNREFUSED" },
  ];
  const r = run(o);
  const f = only(r, "real-server-direct");
  assert.equal(f.host, "rs2");
  assert.match(
    f.what,
    /^10\.0\.0\.22:80 fails its tcp health check \(http\/10\.0\.0\.22:80\) from d1 and d2: ECONNREFUSED; the agents on d1 and d2 mark it down/,
  );
  assert.equal(
    f.fix,
    "start the service that listens on port 80 on rs2 (10.0.0.22): nothing accepts connections there",
  );
  assert.match(
    only(r, "service-via-vip").what,
    /^1 of 2 requests to 10\.0\.0\.100:80 \(http\) from here failed: ECONNREFUSED/,
  );
});

test("the report: one line per examination, then each finding with where and the fix", () => {
  const o = healthy();
  o.realServers[0]!.addresses!.splice(1, 1);
  const examinations = run(o);
  const report: DoctorReport = { file: FILE, ok: false, examinations, ms: 4200 };
  const text = formatReport(report);
  assert.match(text, /^lvsctl doctor site\.yaml: 11 examinations, 1 failed, 0 with warnings \(4\.2 s\)\n/);
  assert.match(text, /\nok {4}hosts +answered over SSH: d1, d2, rs1 and rs2; agents answer on d1 and d2\n/);
  assert.match(text, /\nFAIL {2}loopback-vip +the VIPs on lo \(or tunl0\) on rs2; not on rs1\n/);
  assert.match(
    text,
    /\n1 finding\(s\):\nFAIL {2}loopback-vip: rs1 10\.0\.0\.21 lo\n {6}10\.0\.0\.100\/32 is not on lo: .*\n {6}fix: on rs1 \(10\.0\.0\.21\): ip addr add 10\.0\.0\.100\/32 dev lo /,
  );
});
