// An IPv6 virtual server run from a keepalived.conf written the way corpus file 28 writes its services
// (`alpha 1`, `omega 1`, `quorum 1`, quorum_up/quorum_down adding and removing the VIP on lo), by the
// real agent inside user-mode Linux: the service is programmed over generic netlink as AF_INET6 (ipvsadm
// is the oracle), alpha keeps real servers out until their first check passes, quorum_up puts the VIP
// on lo when the first one passes, so traffic from a client flows through IPVS NAT; quorum_down takes
// it off when the last one fails, and omega runs quorum_down again at shutdown.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Lab, waitFor, type Host } from "../helpers/netns.ts";
import { Watched } from "../helpers/procs.ts";
import { agentBundle } from "./helpers/bundle.ts";
import { REPO, ipvsDests, ipvsadm, parseRecord, sleep, type LogRecord } from "./helpers/agent.ts";
import { requests, startWeb } from "./helpers/web.ts";

const DIR = "/run/lvs-ipvs6-quorum";
const VIP = "2001:db8:10::100";
/** real servers' and the director's segment; the client's is another, so NAT replies go back through the director */
const SERVERS = "2001:db8:1";
const CLIENTS = "2001:db8:2";
const URL = `http://[${VIP}]:80/`;

const CONF = `global_defs {
  script_user root
}

virtual_server ${VIP} 80 {
  delay_loop 1
  alpha 1
  omega 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  quorum 1
  quorum_up "/sbin/ip -6 addr add ${VIP}/128 dev lo nodad"
  quorum_down "/sbin/ip -6 addr del ${VIP}/128 dev lo"

  real_server ${SERVERS}::21 80 {
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
  real_server ${SERVERS}::22 80 {
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
`;

/** The service's real servers in ipvsadm -Ln, as "[address]:port Forward weight". */
const dests = (director: Host) => ipvsDests(director, `TCP  [${VIP}]:80`);

const vipOnLo = (director: Host) => director.exec("ip", ["-6", "addr", "show", "dev", "lo"]).includes(`${VIP}/128`);

function addV6(host: Host, cidr: string): void {
  host.exec("ip", ["-6", "addr", "add", cidr, "dev", "eth0", "nodad"]);
}

describe("an IPv6 virtual server with alpha, quorum_up/quorum_down and omega, from keepalived.conf", () => {
  let lab: Lab;
  let agent: Watched;
  const webs = new Map<string, Watched>();
  const records = () => agent.lines.map((l) => parseRecord(l.text)).filter((r): r is LogRecord => !!r);
  const quorumEvents = () => records().filter((r) => r.event === "ipvs.quorum");
  const director = () => lab.host("d1");

  before(async () => {
    lab = Lab.create([
      { name: "d1", addr: "10.36.0.11/24" },
      { name: "r1", addr: "10.36.0.21/24" },
      { name: "r2", addr: "10.36.0.22/24" },
      { name: "c1", addr: "10.36.0.31/24" },
    ]);
    addV6(lab.host("d1"), `${SERVERS}::11/64`);
    addV6(lab.host("d1"), `${CLIENTS}::11/64`);
    for (const r of ["r1", "r2"]) {
      addV6(lab.host(r), `${SERVERS}::${r.slice(1) === "1" ? "21" : "22"}/64`);
      lab.host(r).exec("ip", ["-6", "route", "add", "default", "via", `${SERVERS}::11`]);
      // One L2 segment holds both prefixes here, so the director (a router now) would redirect the
      // replies straight to the client, past IPVS's reverse NAT: real servers of a NAT director ignore
      // redirects (IPv6 has no send_redirects knob on the director's side).
      lab
        .host(r)
        .exec("sysctl", ["-q", "-w", "net.ipv6.conf.all.accept_redirects=0", "net.ipv6.conf.eth0.accept_redirects=0"]);
    }
    addV6(lab.host("c1"), `${CLIENTS}::31/64`);
    lab.host("c1").exec("ip", ["-6", "route", "add", "default", "via", `${CLIENTS}::11`]);

    rmSync(DIR, { recursive: true, force: true });
    mkdirSync(DIR, { recursive: true });
    const file = join(DIR, "keepalived.conf");
    writeFileSync(file, CONF);
    const bundle = await agentBundle(REPO, DIR);
    agent = new Watched(
      director().spawn(
        process.execPath,
        [bundle, "run", "--keepalived-conf", file, "--config-id", "d1", "--socket", join(DIR, "agent.sock")].concat([
          "--state-dir",
          join(DIR, "state"),
          "--metrics-listen",
          "",
        ]),
        { cwd: REPO },
      ),
    );
    await agent.waitLine((l) => parseRecord(l.text)?.event === "agent.start", 30_000, "agent.start");
  });

  after(async () => {
    for (const w of webs.values()) w.signal("SIGKILL");
    if (agent && agent.child.exitCode === null) {
      agent.signal("SIGKILL");
      await agent.exited(5000).catch(() => undefined);
    }
    lab?.destroy();
    rmSync(DIR, { recursive: true, force: true });
  });

  async function web(name: "r1" | "r2", up: boolean): Promise<void> {
    if (up) webs.set(name, await startWeb(lab.host(name), name));
    else {
      webs.get(name)?.signal("SIGKILL");
      await webs.get(name)?.exited(5000);
      webs.delete(name);
    }
  }

  test("alpha: the AF_INET6 service is there, its real servers stay out before a check passed, quorum starts lost without a script", async () => {
    // Checks run every second and fail at once (nothing listens): give them a few rounds.
    await sleep(3000);
    assert.deepEqual(dests(director()), []);
    assert.equal(vipOnLo(director()), false, "quorum_up has not run");
    assert.deepEqual(quorumEvents(), [], "a start is no crossing: keepalived runs no quorum script then either");
  });

  test("the first check that passes gains the quorum: quorum_up puts the VIP on lo, the client is served over IPv6 NAT", async () => {
    await web("r1", true);
    await waitFor(() => quorumEvents().some((r) => r.up === true), 15_000, "ipvs.quorum up");
    await waitFor(() => vipOnLo(director()), 10_000, "quorum_up's address on lo");
    assert.deepEqual(dests(director()), [`[${SERVERS}::21]:80 Masq 1`]);
    assert.equal(director().exec("sysctl", ["-n", "net.ipv6.conf.all.forwarding"]).trim(), "1");
    const t = await requests(lab.host("c1"), URL, 4);
    assert.deepEqual(t, { counts: { r1: 4 }, errors: [] }, ipvsadm(director(), "-Lnc"));
    await web("r2", true);
    await waitFor(() => dests(director()).length === 2, 15_000, "r2 in service");
    const both = await requests(lab.host("c1"), URL, 6);
    assert.deepEqual(both, { counts: { r1: 3, r2: 3 }, errors: [] });
    assert.equal(quorumEvents().length, 1, "a second live server is no new crossing");
  });

  test("the last real server failing loses the quorum: quorum_down takes the VIP off lo, the client is refused", async () => {
    await web("r1", false);
    await web("r2", false);
    await waitFor(() => quorumEvents().some((r) => r.up === false), 15_000, "ipvs.quorum down");
    await waitFor(() => !vipOnLo(director()), 10_000, "quorum_down's address removed");
    assert.deepEqual(dests(director()), []);
    const t = await requests(lab.host("c1"), URL, 1, 1000);
    assert.equal(t.errors.length, 1, JSON.stringify(t));
    assert.deepEqual(
      quorumEvents().map((r) => [r.virtualServer, r.up, r.liveWeight]),
      [
        [`${VIP}:80`, true, 1],
        [`${VIP}:80`, false, 0],
      ],
    );
  });

  test("omega: at shutdown quorum_down runs as the service goes", async () => {
    await web("r1", true);
    await waitFor(() => vipOnLo(director()), 20_000, "quorum back up");
    agent.signal("SIGTERM");
    assert.equal(await agent.exited(20_000), 0);
    assert.equal(vipOnLo(director()), false, "quorum_down ran at shutdown");
    assert.equal(ipvsadm(director(), "-Ln").split("\n").slice(3).join("\n"), "", "the agent removed its service");
    const scripts = records().filter((r) => r.event === "ipvs.quorum.script");
    assert.equal(scripts.length, 4, JSON.stringify(scripts));
  });
});
