// The faults `lvsctl doctor -f cluster.yaml` must find on a deployed cluster, for the lvsctl cluster test
// (which made the lab hosts and deployed the file with `lvsctl up`). Clean, every examination passes
// (exit 0); then each fault is made by hand, doctor must fail (exit 1) with a finding naming the host and
// the fix, and the fault is put right before the next: arp_ignore 0 and the loopback VIP deleted on rs1;
// the VIP added by hand on the backup d2 with a foreign VRRP router on the VRID; VRRP dropped by d2's
// firewall (iptables-legacy: this UML kernel has no nftables ip/inet family); d2's fragment edited to
// another VRID (put right by the fix doctor gives: lvsctl refresh && up); ip_forward 0 on a director the
// file says runs NAT; nginx stopped on rs2, then on rs1 too (left stopped: the caller destroys next).
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert/strict";
import { lvsctlIn as lvsctl, type Run } from "./lab-cli.ts";
import { ssh } from "../../lvsctl/src/lab/access.ts";
import { labDir } from "../../lvsctl/src/lab/record.ts";
import { byRole, type LabHost, type Topology } from "../../lvsctl/src/lab/topology.ts";
import type { ClusterView } from "../../lvsctl/src/cluster/status-view.ts";
import { waitFor } from "../helpers/netns.ts";
import type { DoctorReport, ExaminationId, Finding } from "../../lvsctl/src/doctor/observations.ts";

const REPO = new URL("../..", import.meta.url).pathname;
const FOREIGN = join(REPO, "test/engine/fixtures/foreign-vrrp.ts");

const shown = (r: Run) => `exit ${r.code}\n${r.err.slice(-4000)}\n${r.out.slice(-6000)}`;

/** lvsctl doctor --json, timed; its report. */
function doctor(t: Topology, file: string, label: string): { run: Run; report: DoctorReport } {
  const t0 = Date.now();
  const run = lvsctl(t, "doctor", "-f", file, "--json");
  console.log(`# doctor, ${label}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  let report: DoctorReport;
  try {
    report = JSON.parse(run.out) as DoctorReport;
  } catch {
    assert.fail(`doctor printed no report:\n${shown(run)}`);
  }
  return { run, report };
}

const verdicts = (r: DoctorReport) => Object.fromEntries(r.examinations.map((e) => [e.id, e.verdict]));
const findings = (r: DoctorReport, id: ExaminationId): Finding[] => r.examinations.find((e) => e.id === id)!.findings;

/** The one failing finding of an examination about a host, which must name it and give the fix. */
function finding(r: DoctorReport, id: ExaminationId, host: string, fix: string | RegExp): Finding {
  const all = findings(r, id);
  const f = all.find((x) => x.severity === "fail" && (x.host ?? "").split(",").includes(host));
  assert.ok(f, `no failing ${id} finding for ${host}: ${JSON.stringify(r.examinations, null, 1).slice(0, 6000)}`);
  if (typeof fix === "string") assert.ok(f.fix.includes(fix), `${id} fix for ${host}: ${f.fix}\nwanted: ${fix}`);
  else assert.match(f.fix, fix);
  return f;
}

function assertClean(r: { run: Run; report: DoctorReport }, what: string): void {
  const bad = r.report.examinations.filter((e) => e.verdict !== "ok" && e.verdict !== "n/a");
  assert.equal(r.run.code, 0, `${what}: ${JSON.stringify(bad, null, 1)}\n${shown(r.run)}`);
  assert.deepEqual(bad, [], what);
}

/** Lab `name` (topology t: d1, d2, rs1, rs2) runs cluster `file` (in scratch directory dir). */
export async function doctorScenario(name: string, t: Topology, dir: string, file: string): Promise<void> {
  const [d1, d2] = byRole(t, "director") as [LabHost, LabHost];
  const [rs1, rs2] = byRole(t, "realServer") as [LabHost, LabHost];
  const client = byRole(t, "client")[0]!;
  const onHost = (h: LabHost, script: string) => {
    const r = ssh(t, labDir(name), h, script, 60);
    assert.equal(r.code, 0, `${h.name}: ${script}: ${r.stderr}`);
    return r.stdout;
  };
  let foreign: ReturnType<typeof spawn> | undefined;
  try {
    const vip = t.vip;

    // 1. the cluster as deployed: every examination passes, and people get one line per examination
    const clean = doctor(t, file, "clean");
    assertClean(clean, "a freshly deployed cluster");
    assert.equal(verdicts(clean.report)["ip-forward"], "n/a", "no NAT in the lab");
    const human = lvsctl(t, "doctor", "-f", file);
    assert.equal(human.code, 0, shown(human));
    console.log(human.out);
    assert.match(human.out, /^ok +vip-placement +10\.\S+ \(web\) on d1 only/m);
    assert.match(human.out, /^ok +vrrp-adverts +d1 \(MASTER\) hears no other director; d2 \(BACKUP\) hears d1 /m);
    assert.match(human.out, /^ok +real-server-direct +answer from the directors: rs\d:80 and rs\d:80/m);

    // 2. rs1: ARP answered for the VIP (arp_ignore 0 on all and eth0), and its loopback VIP gone
    onHost(
      rs1,
      `sysctl -w net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.eth0.arp_ignore=0 && ip addr del ${vip}/32 dev lo`,
    );
    const arp = doctor(t, file, "rs1 arp_ignore + loopback VIP");
    assert.equal(arp.run.code, 1, shown(arp.run));
    const a = finding(
      arp.report,
      "arp-suppression",
      "rs1",
      `on rs1 (${rs1.address}): sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.eth0.arp_ignore=1`,
    );
    assert.equal(a.interface, "eth0");
    finding(arp.report, "loopback-vip", "rs1", `on rs1 (${rs1.address}): ip addr add ${vip}/32 dev lo`);
    assert.deepEqual(
      findings(arp.report, "arp-suppression").map((f) => f.host),
      ["rs1"],
      "rs2 is fine",
    );
    const text = lvsctl(t, "doctor", "-f", file);
    assert.equal(text.code, 1);
    console.log(text.out);
    assert.match(text.out, /^FAIL +arp-suppression +/m);
    assert.match(text.out, /^FAIL +arp-suppression: rs1 \S+ eth0\n +arp_ignore on eth0 is 0 .*\n +fix: on rs1 /m);
    onHost(
      rs1,
      `sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.eth0.arp_ignore=1 && ip addr add ${vip}/32 dev lo`,
    );

    // 3. the VIP added by hand on the backup d2, and a foreign router advertising the cluster's VRID
    onHost(d2, `ip addr add ${vip}/24 dev eth0`);
    foreign = spawn(
      "ip",
      ["netns", "exec", client.ns, process.execPath, "--import", "tsx", FOREIGN, "eth0", client.address, "51", vip],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    await new Promise<void>((resolve, reject) => {
      foreign!.stdout!.once("data", () => resolve());
      foreign!.once("exit", (code) => reject(new Error(`the foreign router exited (${code})`)));
    });
    const two = doctor(t, file, "VIP on d2 + foreign VRID");
    assert.equal(two.run.code, 1, shown(two.run));
    const p = finding(two.report, "vip-placement", "d2", `on d2 (${d2.address}): ip addr del ${vip}/24 dev eth0`);
    assert.match(p.what, /while its agent is BACKUP for web: the VIP is on d1 and d2/);
    const fr = finding(two.report, "foreign-vrid", "d1", `set vips[0].vrid: 52 in ${file}`);
    assert.match(
      fr.what,
      new RegExp(`^${client.address.replace(/\./g, "\\.")}, not a director of this cluster, advertises VRID 51`),
    );
    foreign.kill("SIGTERM");
    foreign = undefined;
    // The backup's agent may have taken the stray VIP off already (a slow doctor run gives it time).
    onHost(d2, `ip addr del ${vip}/24 dev eth0 2>/dev/null || true`);

    // 4. d2's firewall drops VRRP: nftables cannot here (no ip/inet family in this UML kernel), iptables-legacy can
    assert.equal(
      spawnSync("sh", ["-c", "command -v iptables-legacy"]).status,
      0,
      "iptables-legacy is not installed (bash scripts/setup.sh installs iptables)",
    );
    const nft = ssh(t, labDir(name), d2, "nft add table ip t");
    assert.notEqual(nft.code, 0, "nft works in the guest now: use it here instead");
    onHost(d2, "iptables-legacy -A INPUT -p vrrp -j DROP && sleep 2");
    const fw = doctor(t, file, "iptables drops VRRP on d2");
    assert.equal(fw.run.code, 1, shown(fw.run));
    const rule = finding(
      fw.report,
      "firewall-vrrp",
      "d2",
      `on d2 (${d2.address}): iptables-legacy -D INPUT -p vrrp -j DROP`,
    );
    assert.match(rule.what, /iptables-legacy filter INPUT drops VRRP: `-A INPUT -p vrrp -j DROP`/);
    finding(fw.report, "vrrp-adverts", "d2", /let IP protocol 112 from \S+ in on d2/);
    assert.deepEqual(
      findings(fw.report, "firewall-vrrp").map((f) => f.host),
      ["d2"],
    );
    assert.equal(verdicts(fw.report)["vip-placement"], "fail", "both directors are MASTER");
    onHost(d2, "iptables-legacy -D INPUT -p vrrp -j DROP && sleep 1");

    // 5. d2's fragment says another VRID: doctor's fix (lvsctl refresh && up) puts it right
    const frag = "/etc/lvs-agent/conf.d/vip-web.json";
    onHost(d2, `sed -i 's/"vrid": 51/"vrid": 52/' ${frag} && /opt/lvs-agent/current/bin/lvs-agent reload && sleep 1`);
    const vr = doctor(t, file, "d2 fragment VRID 52");
    assert.equal(vr.run.code, 1, shown(vr.run));
    const g = finding(vr.report, "vrrp-agreement", "d2", `lvsctl refresh -f ${file} && lvsctl up -f ${file}`);
    assert.match(g.what, /vrid 52 \(the file: 51\)/);
    assert.equal(g.file, frag);
    const refreshed = lvsctl(t, "refresh", "-f", file);
    assert.equal(refreshed.code, 0, shown(refreshed));
    const redeployed = lvsctl(t, "up", "-f", file);
    assert.equal(redeployed.code, 0, shown(redeployed));
    // d1 stayed MASTER throughout and sent no gratuitous ARP, so this machine's neighbour entry for the
    // VIP may still name d2's MAC (d2 held the VIP as MASTER of VRID 52): doctor's service-via-vip says
    // so; a client forgets it within a minute, the test at once.
    spawnSync("ip", ["-n", byRole(t, "control")[0]!.ns, "neigh", "flush", "to", vip]);
    assertClean(doctor(t, file, "after lvsctl refresh && up"), "after doctor's fix for the VRID");

    // 6. ip_forward 0 on a director the file says runs a NAT virtual server (the lab runs DR: the file is a variant)
    const nat = join(dir, "nat.yaml");
    writeFileSync(nat, readFileSync(file, "utf8").replace("forwarding: DR", "forwarding: NAT"));
    assert.notEqual(readFileSync(nat, "utf8"), readFileSync(file, "utf8"));
    onHost(d1, "sysctl -w net.ipv4.ip_forward=0");
    const fwd = doctor(t, nat, "ip_forward 0 with NAT");
    assert.equal(fwd.run.code, 1, shown(fwd.run));
    finding(fwd.report, "ip-forward", "d1", `on d1 (${d1.address}): sysctl -w net.ipv4.ip_forward=1`);
    finding(fwd.report, "ip-forward", "d2", `on d2 (${d2.address}): sysctl -w net.ipv4.ip_forward=1`);

    // 7. nginx stopped on rs2: it fails its health check from both directors; IPVS took it out, so the VIP
    // still answers (from rs1); with rs1's nginx stopped too, requests through the VIP fail
    const stopNginx = (h: LabHost) =>
      spawnSync("kill", [readFileSync(join(labDir(name), h.name, "nginx.pid"), "utf8").trim()]).status;
    assert.equal(stopNginx(rs2), 0);
    // Until the master's health check has failed rs2 (retries x delay), IPVS still sends it requests and
    // doctor rightly says the VIP fails: wait for the agent, as an SRE would read `lvsctl status`.
    await waitFor(
      () => {
        const st = lvsctl(t, "status", "-f", file, "--json");
        const rows = (JSON.parse(st.out) as ClusterView).virtualServers[0]?.realServers ?? [];
        return rows.some((r) => r.server.startsWith(`${rs2.address}:`) && r.health !== "up");
      },
      120_000,
      "the master's agent to find rs2 down",
      1000,
    );
    const down = doctor(t, file, "nginx stopped on rs2");
    assert.equal(down.run.code, 1, shown(down.run));
    const h = finding(
      down.report,
      "real-server-direct",
      "rs2",
      `start the service that listens on port 80 on rs2 (${rs2.address})`,
    );
    assert.match(h.what, /fails its tcp health check .* from d1 and d2: ECONNREFUSED/);
    assert.deepEqual(
      findings(down.report, "real-server-direct").map((f) => f.host),
      ["rs2"],
    );
    assert.equal(verdicts(down.report)["service-via-vip"], "ok", "IPVS sends everything to rs1");
    assert.equal(stopNginx(rs1), 0);
    const none = doctor(t, file, "nginx stopped on rs1 and rs2");
    assert.equal(none.run.code, 1, shown(none.run));
    const via = findings(none.report, "service-via-vip");
    assert.equal(via.length, 1);
    assert.match(via[0]!.what, new RegExp(`requests to ${vip.replace(/\./g, "\\.")}:80 \\(http\\) from here failed`));
  } finally {
    foreign?.kill("SIGTERM");
  }
}
