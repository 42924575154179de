// Issue 12, an agent crash (SIGKILL) on the master, inside user-mode Linux: two directors (VRRP v3,
// d1 priority 200 with preempt) in front of two DR real servers. Adverts every 1 s: at 0.1 s a guest on
// a loaded machine starved an agent past Master_Down_Interval and the backup took over before any step
// (seen in CI), which is right for VRRP but not what this test is about. A crash leaves d1's VIP
// and IPVS table in the kernel and the backup takes over after Master_Down_Interval; the same command
// started again on d1 adopts the kernel's table (no writes, counters carried on, nothing doubled),
// clears the stale VIP and takes the master role back. Then a "reboot" of d1 (its namespace deleted and
// made again, /run wiped): the same config rebuilds the table exactly and d1 is master again.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { AgentConfigInput } from "../../agent/src/config/schema.ts";
import { masterDownIntervalMs } from "../../agent/src/vrrp/fsm.ts";
import { Lab, run, waitFor, type Host } from "../helpers/netns.ts";
import { nowMs, Watched } from "../helpers/procs.ts";
import type { AgentStatus } from "../../agent/src/status/format.ts";
import { execIn, ipvsadm, parseRecord, startAgent, type LogRecord, type UmlAgent } from "./helpers/agent.ts";
import { createDrLab, drWebService } from "./helpers/dr-lab.ts";
import { requests } from "./helpers/web.ts";

const NET = "10.37.0";
const VIP = `${NET}.100`;
const D1 = `${NET}.11`;
const RS = [`${NET}.21`, `${NET}.22`];
const ADVERT_S = 1;
const VRID = 37;
const METRICS = "127.0.0.1:9572";
/** What the configured table is, as `ipvsadm -Sn` prints it: each service and destination once. */
const TABLE = [`-A -t ${VIP}:80 -s rr`, ...RS.map((r) => `-a -t ${VIP}:80 -r ${r}:80 -g -w 1`)].join("\n") + "\n";
/** The writes that build TABLE from an empty kernel. */
const BUILD_OPS = [`addService tcp ${VIP}:80 rr`, ...RS.map((r) => `addDest tcp ${VIP}:80 -> ${r}:80 dr w1`)];
/** Master_Down_Interval of each director (RFC 5798: 3 * interval + (256 - priority) * interval / 256). */
const MDI_D1 = masterDownIntervalMs(3, 200, ADVERT_S * 100);
const MDI_D2 = masterDownIntervalMs(3, 100, ADVERT_S * 100);
/** Generous: the condition is what is asserted, the time it took is printed. */
const WAIT_MS = 20_000;

function config(priority: number, metricsListen = ""): AgentConfigInput {
  return {
    global: { metricsListen, ipvsReconcileInterval: 1 },
    instances: {
      VI_1: {
        interface: "eth0",
        vrid: VRID,
        priority,
        advertInterval: ADVERT_S,
        virtualAddresses: [{ address: `${VIP}/24` }],
      },
    },
    virtualServers: { web: drWebService(VIP, RS) },
  };
}

/** Per real server, the Conns column of `ipvsadm -Ln --stats` (the kernel's connection counter). */
function conns(director: Host): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of ipvsadm(director, "-Ln", "--stats").matchAll(/->\s+(\d+\.\d+\.\d+\.\d+):80\s+(\d+)\s/g))
    out[m[1]!] = Number(m[2]);
  return out;
}

/**
 * `ipvsadm -Ln --stats` once it holds `want` connections per real server and no longer changes over an
 * estimator tick (Linux 6.1 copies the per-CPU counters into the dump every 2 s).
 */
async function settledStats(director: Host, want: Record<string, number>): Promise<string> {
  let last = "";
  let since = 0;
  return waitFor(
    () => {
      const s = ipvsadm(director, "-Ln", "--stats");
      const now = nowMs();
      if (s !== last) [last, since] = [s, now];
      return JSON.stringify(conns(director)) === JSON.stringify(want) && now - since >= 2500 ? s : undefined;
    },
    WAIT_MS,
    `${director.name}: ${JSON.stringify(want)} connections, settled`,
    250,
  );
}

/** (from, to) of every VRRP transition an agent logged. */
const transitions = (a: UmlAgent) => a.events("vrrp.transition").map((r) => `${String(r.from)}->${String(r.to)}`);

/** Where the VIP is, as `ip addr` shows it on each director (each entry once per address found). */
function vipHolders(...directors: Host[]): string[] {
  return directors.flatMap((d) =>
    d
      .ip4Addrs()
      .filter((a) => a.split("/")[0] === VIP)
      .map(() => d.name),
  );
}

/** One Prometheus sample (metric name with labels exactly as rendered), or undefined when absent. */
function sample(metrics: string, series: string): number | undefined {
  const line = metrics.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("agent crash (SIGKILL) on the master, restart, and a director reboot", () => {
  let lab: Lab;
  let d1: Host;
  let d2: Host;
  let client: Host;
  /** d1's agents in order: the one that crashes, the restarted one, the one after the reboot */
  const d1Agents: UmlAgent[] = [];
  let backup: UmlAgent;
  /** d1's config file exactly as the first agent ran it (socket, state dir and all) */
  let d1Config: AgentConfigInput;
  let statsBeforeCrash: string;

  const current = () => d1Agents[d1Agents.length - 1]!;
  const metrics = () => d1.exec("curl", ["-sSf", `http://${METRICS}/metrics`]);

  before(async () => {
    ({ lab, client, d1, d2 } = await createDrLab(NET, VIP));
    const first = await startAgent(d1, config(200, METRICS));
    d1Agents.push(first);
    await first.ready();
    await first.waitEvent("vrrp.transition", WAIT_MS, (r) => r.to === "MASTER");
    d1Config = JSON.parse(readFileSync(join(first.confDir, "00-base.json"), "utf8")) as AgentConfigInput;
    backup = await startAgent(d2, config(100));
    await backup.ready();
    await backup.waitEvent("vrrp.transition", WAIT_MS, (r) => r.to === "BACKUP");
  });
  after(async () => {
    for (const a of [backup, ...d1Agents]) {
      await a?.stop().catch(() => undefined);
      a?.cleanup();
    }
    lab?.destroy();
  });

  test("d1 is master with the VIP and the table; traffic through it is counted", async () => {
    assert.deepEqual(vipHolders(d1, d2), ["d1"]);
    assert.equal(ipvsadm(d1, "-Sn"), TABLE);
    assert.equal(ipvsadm(d2, "-Sn"), TABLE);
    assert.deepEqual(
      current()
        .events("ipvs.reconcile")
        .map((r) => r.ops),
      [BUILD_OPS],
      "the first start built the table",
    );
    assert.deepEqual(await requests(client, `http://${VIP}`, 10), { counts: { rs1: 5, rs2: 5 }, errors: [] });
    assert.equal(client.neighbourMac(VIP), d1.mac);
    statsBeforeCrash = await settledStats(d1, { [RS[0]!]: 5, [RS[1]!]: 5 });
    assert.deepEqual(conns(d2), { [RS[0]!]: 0, [RS[1]!]: 0 });
  });

  test("SIGKILL on the master: the VIP and the table stay in d1's kernel; d2 takes over after Master_Down_Interval", async () => {
    // d1's adverts as d2's interface receives them: the gap to d2's takeover is measured on the wire.
    const capture = new Watched(
      d2.spawn("tcpdump", ["-l", "-n", "-tt", "-i", "eth0", `ip proto 112 and src host ${D1}`]),
    );
    try {
      await capture.waitLine((l) => l.text.startsWith("listening on"), WAIT_MS, "tcpdump in d2");
      await capture.waitLine(
        (l) => l.text.includes(`IP ${D1} > 224.0.0.18: VRRPv3, Advertisement, vrid ${VRID}, prio 200,`),
        WAIT_MS,
        "an advert of d1 captured",
      );
      const from = backup.lines.length;
      const t0 = nowMs();
      await current().crash();
      const line = await backup.waitEvent("vrrp.transition", WAIT_MS, (r) => r.to === "MASTER", from);
      const rec = parseRecord(line.text)!;
      assert.equal(rec.reason, `no advertisement for Master_Down_Interval (${MDI_D2.toFixed(0)} ms)`);
      const adverts = capture.lines
        .filter((l) => /VRRPv3, Advertisement/.test(l.text))
        .map((l) => Number(l.text.split(" ")[0]) * 1000);
      const gapMs = Date.parse(String(rec.ts)) - adverts[adverts.length - 1]!;
      // Slack below: the log's ts has ms resolution (truncated), and the wall clock both stamps come from
      // may run a few ms per second apart from the monotonic one the agent's timer uses.
      assert.ok(
        gapMs >= MDI_D2 - 5,
        `d2 took over ${gapMs} ms after d1's last advert, before Master_Down_Interval ${MDI_D2} ms`,
      );
      assert.ok(gapMs < MDI_D2 + 5000, `d2 took over only ${gapMs} ms after d1's last advert`);
      process.stdout.write(
        `# crash: d2 MASTER ${Math.round(line.t - t0)} ms after SIGKILL, ${gapMs.toFixed(1)} ms after d1's last advert on the wire (Master_Down_Interval ${MDI_D2.toFixed(1)} ms)\n`,
      );
    } finally {
      capture.signal("SIGKILL");
    }
    await waitFor(() => d2.hasAddr(VIP), WAIT_MS, "the VIP on d2", 50);
    // What the crash left behind: d1 still holds the VIP (both directors now have it), and its table.
    assert.deepEqual(vipHolders(d1, d2), ["d1", "d2"]);
    assert.equal(ipvsadm(d1, "-Sn"), TABLE);
    assert.equal(ipvsadm(d1, "-Ln", "--stats"), statsBeforeCrash);
  });

  test("while d1's agent is down, d2 serves the VIP", async () => {
    await waitFor(
      () => client.neighbourMac(VIP) === d2.mac,
      WAIT_MS,
      "c1's ARP entry for the VIP at d2's MAC (gratuitous ARP)",
      50,
    );
    assert.deepEqual(await requests(client, `http://${VIP}`, 10), { counts: { rs1: 5, rs2: 5 }, errors: [] });
    await settledStats(d2, { [RS[0]!]: 5, [RS[1]!]: 5 });
    assert.equal(ipvsadm(d1, "-Ln", "--stats"), statsBeforeCrash, "nothing reached d1");
  });

  test("the same command again on d1: it adopts the kernel's table (no writes), clears the stale VIP and is master again", async () => {
    const fromBackup = backup.lines.length;
    const t0 = nowMs();
    const again = await startAgent(d1, d1Config);
    d1Agents.push(again);
    await again.ready();
    const init = await again.waitEvent("vrrp.transition", WAIT_MS, (r) => r.to === "BACKUP");
    const up = await again.waitEvent("vrrp.transition", WAIT_MS, (r) => r.to === "MASTER");
    const down = await backup.waitEvent("vrrp.transition", WAIT_MS, (r) => r.to === "BACKUP", fromBackup);
    assert.equal(
      parseRecord(up.text)!.reason,
      `no advertisement for Master_Down_Interval (${MDI_D1.toFixed(0)} ms)`,
      "d1 ignored d2's lower-priority adverts (preempt)",
    );
    assert.equal(parseRecord(down.text)!.reason, `higher priority 200 from ${D1}`);
    await waitFor(() => vipHolders(d1, d2).join() === "d1", WAIT_MS, "the VIP on d1 only", 50);
    const stale = again.lines
      .map((l) => parseRecord(l.text))
      .filter((r): r is LogRecord => r?.msg === "removed virtual addresses left by an earlier run");
    assert.deepEqual(
      stale.map((r) => r.addresses),
      [[`${VIP}/24 dev eth0`]],
    );
    const backupMs = Date.parse(String(parseRecord(up.text)!.ts)) - Date.parse(String(parseRecord(init.text)!.ts));
    // That it waited out Master_Down_Interval is the reason asserted above; the two log stamps only
    // approximate it (wall clock, taken when each transition is carried out: 317 ms was seen in CI).
    process.stdout.write(
      `# restart: d1 BACKUP ${backupMs} ms then MASTER ${Math.round(up.t - t0)} ms after the command started (node start-up included), d2 BACKUP ${Math.round(down.t - t0)} ms\n`,
    );

    // Health results arrive (each a reconcile), then one more whole pass.
    for (const rs of RS)
      await again.waitEvent("check.change", WAIT_MS, (r) => r.server === `web/${rs}:80` && r.up === true);
    const passes = sample(metrics(), 'lvs_ipvs_reconciles_total{result="ok"}') ?? 0;
    await waitFor(
      () => (sample(metrics(), 'lvs_ipvs_reconciles_total{result="ok"}') ?? 0) > passes,
      WAIT_MS,
      "a reconcile pass after the health results",
      100,
    );
    const m = metrics();
    const writes = m.split("\n").filter((l) => l.startsWith("lvs_ipvs_writes_total"));
    assert.deepEqual(writes, [], "no IPVS write since the restart");
    assert.equal(sample(m, "lvs_ipvs_drift_repairs_total"), 0);
    assert.deepEqual(again.events("ipvs.reconcile"), []);
    assert.deepEqual(again.events("ipvs.drift"), []);
    process.stdout.write(
      `# restart: ${sample(m, 'lvs_ipvs_reconciles_total{result="ok"}')} reconcile passes, ${writes.length} writes\n`,
    );

    // Adopted, not flushed and recreated: each service and destination once, the kernel's counters as before.
    assert.equal(ipvsadm(d1, "-Sn"), TABLE);
    assert.equal(ipvsadm(d1, "-Ln", "--stats"), statsBeforeCrash);
    await waitFor(
      () => client.neighbourMac(VIP) === d1.mac,
      WAIT_MS,
      "c1's ARP entry for the VIP back at d1's MAC",
      50,
    );
    assert.deepEqual(await requests(client, `http://${VIP}`, 10), { counts: { rs1: 5, rs2: 5 }, errors: [] });
    // 5 + 5 per real server: the counters went on from before the crash (a recreated service starts at 0)
    await settledStats(d1, { [RS[0]!]: 10, [RS[1]!]: 10 });
    assert.deepEqual(transitions(again), ["INIT->BACKUP", "BACKUP->MASTER"]);
    // status through the socket the config names (the one a restart reuses; the helper's own is unused)
    const st = await execIn(d1, process.execPath, [
      again.bundle,
      "status",
      "--json",
      "--socket",
      d1Config.global!.statusSocket!,
    ]);
    assert.equal(st.code, 0, st.stderr);
    assert.equal((JSON.parse(st.stdout) as AgentStatus).instances[0]?.state, "MASTER");
  });

  test("a reboot of d1 (namespace deleted and made again, /run wiped): the same config rebuilds the table and d1 is master again", async () => {
    const fromBackup = backup.lines.length;
    const t0 = nowMs();
    await current().crash();
    const takeover = await backup.waitEvent("vrrp.transition", WAIT_MS, (r) => r.to === "MASTER", fromBackup);
    process.stdout.write(`# reboot: d2 MASTER ${Math.round(takeover.t - t0)} ms after SIGKILL\n`);
    run("ip", ["netns", "del", d1.ns]);
    d1 = lab.addHost({ name: "d1", addr: `${D1}/24` });
    assert.equal(ipvsadm(d1, "-Sn"), "", "a fresh kernel: empty IPVS table");
    assert.deepEqual(vipHolders(d1), [], "a fresh kernel: no VIP");
    const g = d1Config.global!;
    rmSync(g.stateDir!, { recursive: true, force: true });
    rmSync(g.statusSocket!, { force: true });

    const fromBackup2 = backup.lines.length;
    const t1 = nowMs();
    const rebooted = await startAgent(d1, d1Config);
    d1Agents.push(rebooted);
    await rebooted.ready();
    assert.deepEqual(
      rebooted.events("ipvs.reconcile").map((r) => r.ops),
      [BUILD_OPS],
      "the table rebuilt by exactly its writes",
    );
    assert.equal(ipvsadm(d1, "-Sn"), TABLE);
    const up = await rebooted.waitEvent("vrrp.transition", WAIT_MS, (r) => r.to === "MASTER");
    const down = await backup.waitEvent("vrrp.transition", WAIT_MS, (r) => r.to === "BACKUP", fromBackup2);
    await waitFor(() => vipHolders(d1, d2).join() === "d1", WAIT_MS, "the VIP on d1 only", 50);
    assert.ok(
      !rebooted.lines.some((l) => parseRecord(l.text)?.msg === "removed virtual addresses left by an earlier run"),
      "nothing stale after a reboot",
    );
    process.stdout.write(
      `# reboot: d1 MASTER ${Math.round(up.t - t1)} ms after the start, d2 BACKUP ${Math.round(down.t - t1)} ms\n`,
    );

    const m = metrics();
    assert.equal(sample(m, 'lvs_ipvs_writes_total{op="addService"}'), 1);
    assert.equal(sample(m, 'lvs_ipvs_writes_total{op="addDest"}'), 2);
    assert.equal(m.split("\n").filter((l) => l.startsWith("lvs_ipvs_writes_total")).length, 2);
    await waitFor(
      () => client.neighbourMac(VIP) === d1.mac,
      WAIT_MS,
      "c1's ARP entry for the VIP at the new d1's MAC",
      50,
    );
    assert.deepEqual(await requests(client, `http://${VIP}`, 10), { counts: { rs1: 5, rs2: 5 }, errors: [] });
    await settledStats(d1, { [RS[0]!]: 5, [RS[1]!]: 5 });
    assert.equal(ipvsadm(d1, "-Sn"), TABLE);
    assert.deepEqual(transitions(rebooted), ["INIT->BACKUP", "BACKUP->MASTER"]);
  });

  test("no flapping: each agent's VRRP transitions are exactly the ones the steps caused", () => {
    assert.deepEqual(transitions(d1Agents[0]!), ["INIT->BACKUP", "BACKUP->MASTER"]);
    assert.deepEqual(transitions(backup), [
      "INIT->BACKUP",
      "BACKUP->MASTER",
      "MASTER->BACKUP",
      "BACKUP->MASTER",
      "MASTER->BACKUP",
    ]);
  });
});
