// The real agent programs IPVS services of every kind from its config (inside user-mode Linux, in a lab
// namespace with its own IPVS table); ipvsadm is the oracle and `lvs-agent status --json` must agree.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { AgentConfigInput } from "../../agent/src/config/schema.ts";
import { Lab } from "../helpers/netns.ts";
import { ipvsadm, startAgent, type UmlAgent } from "./helpers/agent.ts";

const NET = "10.31.0";
const VIP = `${NET}.100`;
const VIP2 = `${NET}.101`;
const rs = (n: number) => `${NET}.${n}`;

/** tcp/udp/sctp/fwmark; rr wrr lc wlc sh dh mh; persistence with a netmask; DR/NAT/TUN; weights and thresholds. */
const CONFIG: AgentConfigInput = {
  ipvsTimeouts: { tcp: 7200, udp: 45 },
  virtualServers: {
    web: {
      address: VIP,
      port: 80,
      scheduler: "wrr",
      realServers: [
        { address: rs(21), weight: 1 },
        { address: rs(22), weight: 3, upperThreshold: 100, lowerThreshold: 10 },
        { address: rs(23), port: 8080, weight: 2, forwarding: "NAT" },
        { address: rs(24), weight: 5, forwarding: "TUN" },
      ],
    },
    dns: {
      address: VIP,
      port: 53,
      protocol: "UDP",
      scheduler: "rr",
      persistence: { timeout: 300, netmask: 24 },
      realServers: [{ address: rs(21), weight: 4 }, { address: rs(22) }],
    },
    ike: {
      address: VIP2,
      port: 4500,
      protocol: "UDP",
      scheduler: "wlc",
      flags: { onePacket: true },
      forwarding: "NAT",
      realServers: [{ address: rs(25), port: 4501 }],
    },
    assoc: {
      address: VIP2,
      port: 5000,
      protocol: "SCTP",
      scheduler: "mh",
      flags: { fallback: true, port: true },
      realServers: [{ address: rs(21), weight: 7 }],
    },
    marked: {
      fwmark: 7,
      scheduler: "sh",
      flags: { port: true },
      realServers: [
        { address: rs(21), weight: 0 },
        { address: rs(22), weight: 2, forwarding: "TUN" },
      ],
    },
    api: {
      address: VIP2,
      port: 8080,
      scheduler: "lc",
      persistence: { timeout: 60 },
      realServers: [{ address: rs(26), upperThreshold: 50 }],
    },
    cache: { address: VIP2, port: 8081, scheduler: "dh", realServers: [] },
  },
};

/** A real server's line in ipvsadm -Ln (fresh, no connections). */
const dl = (addrPort: string, fwd: string, weight: number) =>
  `  -> ${addrPort.padEnd(28)} ${fwd.padEnd(7)} ${String(weight).padEnd(6)} ${"0".padEnd(10)} ${"0".padEnd(10)}`;
/** A real server's line in ipvsadm -Ln --thresholds (no connections). */
const tl = (addrPort: string, upper: number, lower: number) =>
  `  -> ${addrPort.padEnd(28)} ${String(upper).padEnd(10)} ${String(lower).padEnd(10)} ${"0".padEnd(10)} ${"0".padEnd(10)}`;

const LISTING = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  ${VIP}:80 wrr
${dl(`${rs(21)}:80`, "Route", 1)}
${dl(`${rs(22)}:80`, "Route", 3)}
${dl(`${rs(23)}:8080`, "Masq", 2)}
${dl(`${rs(24)}:80`, "Tunnel", 5)}
TCP  ${VIP2}:8080 lc persistent 60
${dl(`${rs(26)}:8080`, "Route", 1)}
TCP  ${VIP2}:8081 dh
UDP  ${VIP}:53 rr persistent 300 mask 255.255.255.0
${dl(`${rs(21)}:53`, "Route", 4)}
${dl(`${rs(22)}:53`, "Route", 1)}
UDP  ${VIP2}:4500 wlc ops
${dl(`${rs(25)}:4501`, "Masq", 1)}
SCTP ${VIP2}:5000 mh (mh-fallback,mh-port)
${dl(`${rs(21)}:5000`, "Route", 7)}
FWM  7 sh (sh-port)
${dl(`${rs(21)}:0`, "Route", 0)}
${dl(`${rs(22)}:0`, "Tunnel", 2)}
`;

describe("the agent programs services of every kind from its config", () => {
  let lab: Lab;
  let agent: UmlAgent;
  before(async () => {
    lab = Lab.create([{ name: "d1", addr: `${NET}.11/24` }]);
    agent = await startAgent(lab.host("d1"), CONFIG);
    await agent.ready();
  });
  after(async () => {
    await agent?.stop().catch(() => undefined);
    agent?.cleanup();
    lab?.destroy();
  });

  test("ipvsadm -Ln shows exactly the config, and the first reconcile logged each write", () => {
    assert.equal(ipvsadm(lab.host("d1"), "-Ln"), LISTING);
    const ops = agent.events("ipvs.reconcile").flatMap((r) => r.ops as string[]);
    // 7 services and 11 real servers, each added once
    assert.equal(ops.filter((o) => o.startsWith("addService")).length, 7, ops.join("\n"));
    assert.equal(ops.filter((o) => o.startsWith("addDest")).length, 11, ops.join("\n"));
    assert.equal(agent.events("ipvs.drift").length, 0);
  });

  test("thresholds, zero counters and an empty connection table", () => {
    const d1 = lab.host("d1");
    const thresholds = ipvsadm(d1, "-Ln", "--thresholds").split("\n");
    assert.ok(thresholds.includes(tl(`${rs(22)}:80`, 100, 10)), thresholds.join("\n"));
    assert.ok(thresholds.includes(tl(`${rs(26)}:8080`, 50, 0)), thresholds.join("\n"));
    const stats = ipvsadm(d1, "-Ln", "--stats")
      .split("\n")
      .filter((l) => /^(TCP|UDP|SCTP|FWM) /.test(l));
    assert.equal(stats.length, 7);
    for (const l of stats) assert.match(l, /\s0\s+0\s+0\s+0\s+0\s*$/, l);
    assert.equal(ipvsadm(d1, "-Lnc").trim().split("\n").length, 2, "only the two header lines");
  });

  test("configured IPVS timeouts are set; the unnamed one (tcpfin) is left at the kernel's value", () => {
    assert.equal(ipvsadm(lab.host("d1"), "-L", "--timeout").trim(), "Timeout (tcp tcpfin udp): 7200 120 45");
  });

  test("NAT real servers made the agent turn on ip_forward in the director's namespace", () => {
    assert.equal(lab.host("d1").exec("sysctl", ["-n", "net.ipv4.ip_forward"]).trim(), "1");
  });

  test("lvs-agent status --json lists every virtual server with its real servers", async () => {
    const s = await agent.status();
    const vss = s.virtualServers ?? [];
    assert.deepEqual(
      vss.map((v) => [v.name, v.service, v.scheduler]),
      [
        ["web", `TCP ${VIP}:80`, "wrr"],
        ["dns", `UDP ${VIP}:53`, "rr"],
        ["ike", `UDP ${VIP2}:4500`, "wlc"],
        ["assoc", `SCTP ${VIP2}:5000`, "mh"],
        ["marked", "FWM 7", "sh"],
        ["api", `TCP ${VIP2}:8080`, "lc"],
        ["cache", `TCP ${VIP2}:8081`, "dh"],
      ],
    );
    const dests = (name: string) =>
      vss
        .find((v) => v.name === name)!
        .dests.map((d) => `${d.address}:${d.port} ${d.forwarding} ${d.weight} ${d.health}`)
        .sort();
    assert.deepEqual(dests("web"), [
      `${rs(21)}:80 dr 1 unchecked`,
      `${rs(22)}:80 dr 3 unchecked`,
      `${rs(23)}:8080 nat 2 unchecked`,
      `${rs(24)}:80 tun 5 unchecked`,
    ]);
    assert.deepEqual(dests("marked"), [`${rs(21)}:0 dr 0 unchecked`, `${rs(22)}:0 tun 2 unchecked`]);
    assert.deepEqual(dests("cache"), []);
  });

  test("on SIGTERM the agent removes the services it owns and leaves others alone", async () => {
    const d1 = lab.host("d1");
    ipvsadm(d1, "-A", "-t", `${NET}.200:443`, "-s", "rr");
    await agent.stop();
    assert.equal(agent.child.exitCode, 0, agent.tail());
    assert.equal(ipvsadm(d1, "-Ln").split("\n").slice(3).join("\n"), `TCP  ${NET}.200:443 rr\n`);
  });
});
