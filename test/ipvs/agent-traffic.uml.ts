// HTTP through a VIP that the real agent holds as VRRP master and balances with real IPVS (inside
// user-mode Linux): DR and NAT end to end from a client namespace, the scheduler's weights, counters and
// the connection table, and health checks taking a dead real server out and bringing it back.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { AgentConfigInput } from "../../agent/src/config/schema.ts";
import { Lab, waitFor, type Host } from "../helpers/netns.ts";
import type { Watched } from "../helpers/procs.ts";
import { ipvsDests, ipvsadm, startAgent, type UmlAgent } from "./helpers/agent.ts";
import { prepareDrRealServer, requests, startWeb } from "./helpers/web.ts";

/** Health checks every second, two failures take a server out, one success brings it back. */
const CHECK = { interval: 1, fall: 2, rise: 1, retries: 0, connectTimeout: 1 };
const FALL_BUDGET_MS = CHECK.interval * CHECK.fall * 1000 + 2500;
const RISE_BUDGET_MS = CHECK.interval * CHECK.rise * 1000 + 2500;

function vrrp(vip: string, vrid: number): AgentConfigInput["instances"] {
  return {
    VI_1: { interface: "eth0", vrid, priority: 150, advertInterval: 0.5, virtualAddresses: [{ address: `${vip}/24` }] },
  };
}

const dests = ipvsDests;

interface Setup {
  lab: Lab;
  agent: UmlAgent;
  director: Host;
  client: Host;
  webs: Map<string, Watched>;
  /** "TCP 10.x.0.100:80" as ipvsadm prints it */
  service: string;
  url: string;
}

/**
 * Kill one real server's HTTP server by PID: out within interval x fall (+ slack), traffic keeps
 * flowing to the other; restart it: back within interval x rise (+ slack), both serve again.
 */
async function killAndRestart(
  s: Setup,
  victim: { host: Host; name: string; port: number; dest: string },
  other: string,
): Promise<void> {
  const from = s.agent.lines.length;
  s.webs.get(victim.name)!.signal("SIGKILL");
  const killedAt = Date.now();
  await waitFor(
    () => !dests(s.director, s.service).some((d) => d.startsWith(`${victim.dest} `)),
    FALL_BUDGET_MS,
    `${victim.dest} removed from ${s.service}`,
    100,
  );
  const removedMs = Date.now() - killedAt;
  // the log line may still be in the pipe when ipvsadm already shows the change
  await s.agent.waitEvent("check.change", 3000, (r) => r.up === false, from);
  assert.equal(s.agent.events("ipvs.drift", from).length, 0, "a health change is no drift");
  const during = await requests(s.client, s.url, 12);
  assert.deepEqual(during, { counts: { [other]: 12 }, errors: [] }, "all requests succeed on the remaining server");

  const upFrom = s.agent.lines.length;
  s.webs.set(victim.name, await startWeb(victim.host, victim.name, victim.port));
  const restartedAt = Date.now();
  await waitFor(
    () => dests(s.director, s.service).some((d) => d.startsWith(`${victim.dest} `)),
    RISE_BUDGET_MS,
    `${victim.dest} back in ${s.service}`,
    100,
  );
  const backMs = Date.now() - restartedAt;
  await s.agent.waitEvent("check.change", 3000, (r) => r.up === true, upFrom);
  const after = await requests(s.client, s.url, 8);
  assert.deepEqual(after.errors, []);
  assert.ok((after.counts[victim.name] ?? 0) > 0 && (after.counts[other] ?? 0) > 0, JSON.stringify(after));
  process.stdout.write(
    `# ${s.service}: ${victim.dest} removed ${removedMs} ms after its server was killed, back ${backMs} ms after restart\n`,
  );
}

type WebService = NonNullable<AgentConfigInput["virtualServers"]>[string];

/** The director's agent balancing `web` on VIP:80: started, MASTER, and both real servers checked up. */
async function startBalancing(s: Partial<Setup>, vip: string, vrid: number, web: WebService): Promise<void> {
  const agent = (s.agent = await startAgent(s.director!, { instances: vrrp(vip, vrid), virtualServers: { web } }));
  await agent.ready();
  await agent.waitEvent("vrrp.transition", 20_000, (r) => r.to === "MASTER");
  s.service = `TCP  ${vip}:80`;
  s.url = `http://${vip}`;
  await waitFor(
    () => agent.events("check.change").filter((r) => r.up === true).length === 2,
    10_000,
    "both real servers checked up",
    100,
  );
}

function teardown(s: Partial<Setup>): Promise<void> {
  return (async () => {
    await s.agent?.stop().catch(() => undefined);
    s.agent?.cleanup();
    s.lab?.destroy();
  })();
}

describe("DR end to end: client -> VIP on the VRRP master -> two real servers", () => {
  const NET = "10.32.0";
  const VIP = `${NET}.100`;
  const RS = { rs1: `${NET}.21`, rs2: `${NET}.22` };
  const s: Partial<Setup> = {};
  before(async () => {
    const lab = (s.lab = Lab.create([
      { name: "c1", addr: `${NET}.50/24` },
      { name: "d1", addr: `${NET}.11/24` },
      { name: "rs1", addr: `${RS.rs1}/24` },
      { name: "rs2", addr: `${RS.rs2}/24` },
    ]));
    s.director = lab.host("d1");
    s.client = lab.host("c1");
    s.webs = new Map();
    for (const name of ["rs1", "rs2"] as const) {
      prepareDrRealServer(lab.host(name), VIP);
      s.webs.set(name, await startWeb(lab.host(name), name));
    }
    await startBalancing(s, VIP, 32, {
      address: VIP,
      port: 80,
      scheduler: "wrr",
      forwarding: "DR",
      healthCheck: { type: "http", path: "/", ...CHECK },
      realServers: [
        { address: RS.rs1, weight: 1 },
        { address: RS.rs2, weight: 3 },
      ],
    });
  });
  after(() => teardown(s));

  test("wrr 1:3 over 40 requests, visible in --stats and -Lnc", async () => {
    const t = await requests(s.client!, s.url!, 40);
    assert.deepEqual(t.errors, []);
    const rs1 = t.counts.rs1 ?? 0;
    const rs2 = t.counts.rs2 ?? 0;
    assert.equal(rs1 + rs2, 40, JSON.stringify(t));
    assert.ok(rs1 >= 7 && rs1 <= 13, `wrr 1:3 should give rs1 about 10 of 40: ${JSON.stringify(t)}`);
    // every connection is in the director's table, to the real server that answered it
    const conns = ipvsadm(s.director!, "-Lnc")
      .split("\n")
      .filter((l) => l.includes(`${VIP}:80`));
    const to = (ip: string) => conns.filter((l) => l.trim().endsWith(`${ip}:80`)).length;
    assert.deepEqual([to(RS.rs1), to(RS.rs2)], [rs1, rs2], conns.join("\n"));
    // counters reach the dump at the estimator's 2 s tick
    const conns0 = (line: string | undefined) => Number(/^(?:TCP|\s+->)\s+\S+\s+(\d+)/.exec(line ?? "")?.[1]);
    const stats = () => ipvsadm(s.director!, "-Ln", "--stats").split("\n");
    await waitFor(() => conns0(stats().find((l) => l.startsWith(s.service!))) === 40, 6000, "40 conns in --stats", 250);
    const lines = stats();
    const destConns = (ip: string) => conns0(lines.find((l) => l.includes(` ${ip}:80 `)));
    assert.deepEqual([destConns(RS.rs1), destConns(RS.rs2)], [rs1, rs2], lines.join("\n"));
    const status = await s.agent!.status();
    const web = status.virtualServers?.find((v) => v.name === "web");
    assert.deepEqual(web?.dests.map((d) => `${d.address} ${d.health}`).sort(), [`${RS.rs1} up`, `${RS.rs2} up`]);
  });

  test("a killed real server is removed by its health check and comes back when restarted", async () => {
    await killAndRestart(s as Setup, { host: s.lab!.host("rs1"), name: "rs1", port: 80, dest: `${RS.rs1}:80` }, "rs2");
  });
});

describe("NAT end to end: real servers route back through the director", () => {
  const NET = "10.33.0";
  const CNET = "10.33.1";
  const VIP = `${CNET}.100`;
  const RS = { rs1: `${NET}.21`, rs2: `${NET}.22` };
  const s: Partial<Setup> = {};
  before(async () => {
    // one segment, two subnets: real servers in NET, the client and the VIP in CNET, the director in both
    const lab = (s.lab = Lab.create([
      { name: "c1", addr: `${CNET}.50/24` },
      { name: "d1", addr: `${NET}.11/24` },
      { name: "rs1", addr: `${RS.rs1}/24` },
      { name: "rs2", addr: `${RS.rs2}/24` },
    ]));
    s.director = lab.host("d1");
    s.client = lab.host("c1");
    s.director.exec("ip", ["addr", "add", `${CNET}.11/24`, "dev", "eth0"]);
    s.director.exec("sysctl", [
      "-q",
      "-w",
      "net.ipv4.ip_forward=0",
      "net.ipv4.conf.all.send_redirects=0",
      "net.ipv4.conf.eth0.send_redirects=0",
    ]);
    s.client.exec("ip", ["route", "add", "default", "via", `${CNET}.11`]);
    s.webs = new Map();
    for (const name of ["rs1", "rs2"] as const) {
      lab.host(name).exec("ip", ["route", "add", "default", "via", `${NET}.11`]);
      s.webs.set(name, await startWeb(lab.host(name), name, 8080));
    }
    await startBalancing(s, VIP, 33, {
      address: VIP,
      port: 80,
      scheduler: "rr",
      forwarding: "NAT",
      healthCheck: { type: "tcp", ...CHECK },
      realServers: [
        { address: RS.rs1, port: 8080 },
        { address: RS.rs2, port: 8080 },
      ],
    });
  });
  after(() => teardown(s));

  test("the agent turned ip_forward on by itself (NAT needs it) and logged it", () => {
    assert.equal(s.director!.exec("sysctl", ["-n", "net.ipv4.ip_forward"]).trim(), "1");
    const set = s.agent!.events("sysctl.set");
    assert.ok(JSON.stringify(set).includes("net.ipv4.ip_forward"), JSON.stringify(set));
  });

  test("rr over 40 requests through NAT, port 80 -> 8080, replies un-NATed by the director", async () => {
    assert.deepEqual(dests(s.director!, s.service!), [`${RS.rs1}:8080 Masq 1`, `${RS.rs2}:8080 Masq 1`]);
    const t = await requests(s.client!, s.url!, 40);
    assert.deepEqual(t, { counts: { rs1: 20, rs2: 20 }, errors: [] });
    const conns = ipvsadm(s.director!, "-Lnc")
      .split("\n")
      .filter((l) => l.includes(`${VIP}:80`));
    assert.equal(conns.length, 40, conns.join("\n"));
    // NAT sees both directions, so the connections were closed properly (TIME_WAIT), not left half-open
    assert.ok(
      conns.every((l) => /TIME_WAIT|FIN_WAIT|CLOSE/.test(l)),
      conns.join("\n"),
    );
  });

  test("a killed real server is removed by its health check and comes back when restarted", async () => {
    await killAndRestart(
      s as Setup,
      { host: s.lab!.host("rs2"), name: "rs2", port: 8080, dest: `${RS.rs2}:8080` },
      "rs1",
    );
  });
});
