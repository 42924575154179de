// Agents whose event loop is blocked (a busy-wait: the process runs, unlike SIGSTOP) for 100 ms to 4 s,
// on a real kernel (not pure: root, namespaces, agents, tcpdump, `ip monitor`). The stall comes from
// test/helpers/stall-preload.mjs, loaded with `node --import` beside the agent: nothing is added to the
// product. VRRPv3, d1 master at priority 150, d2 backup at 100, a client probing the VIP and capturing
// the adverts on its wire (kernel timestamps).
//
// - A stalled backup finds its Master_Down timer long overdue when it wakes, and the master's adverts
//   queued in its socket: it must read them first (instance.ts onTimer) and stay BACKUP, at any length.
// - A stalled master sends nothing. At 1 s adverts the backup's Master_Down_Interval is 3609 ms, and the
//   master's last advert came at most one interval before the stall began: a stall under 2609 ms can
//   never cause a takeover (the 100 ms and 2 s stalls begin at that worst phase, just before an advert is
//   due), one over 3609 ms always does (then the woken master must read the backup's lower-priority
//   advert, answer it and send gratuitous ARP, and the backup must step down).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentConfigInput } from "../../agent/src/config/schema.ts";
import { Lab, waitFor, type Host } from "../helpers/netns.ts";
import { AGENT_TSX, REPO, startAgent, stateDir, type Peer } from "../helpers/agent.ts";
import { Watched, nowMs } from "../helpers/procs.ts";
import { startEcho, startProber, type Prober } from "../helpers/probe.ts";
import { VipWatch } from "../helpers/nft-loss.ts";
import { masterDownMs, parseNflogAdvert, statesEntered } from "../helpers/loss-stats.ts";
import { scrape } from "../agent/fixtures/ops.ts";

const VIP = "10.74.0.100";
const [MASTER_PRIO, BACKUP_PRIO] = [150, 100];
const ENTRY = ["--import", join(REPO, "test/helpers/stall-preload.mjs"), ...AGENT_TSX];

function config(priority: number, advert: number): AgentConfigInput {
  return {
    instances: {
      VI_1: {
        interface: "eth0",
        vrid: 74,
        priority,
        version: 3,
        advertInterval: advert,
        virtualAddresses: [{ address: `${VIP}/24` }],
        // No second burst 5 s after becoming master (garp_master_delay): then the only gratuitous ARP the
        // master sends after start-up is the one a reassert makes it send.
        garp: { count: 5, intervalMs: 0, repeatDelay: 0, refresh: 0 },
      },
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}

/** CLOCK_REALTIME minus CLOCK_MONOTONIC (ms, to 0.5 ms), taken where used: the two need not run at the same rate. */
function realtimeOffset(): number {
  return Date.now() + 0.5 - nowMs();
}

interface Stall {
  ms: number;
  /** process.hrtime ms in the agent, comparable with nowMs() */
  begin: number;
  end: number;
}

/** Block p's event loop for ms (stall-preload.mjs); resolves when it runs again. */
async function stall(p: Peer, ms: number): Promise<Stall> {
  writeFileSync(join(stateDir(p.host, "agent"), "stall-ms"), String(ms));
  const from = p.lines.length;
  p.signal("SIGUSR2");
  const l = await p.waitLine(
    (x) => x.text.includes('"event":"test.stall"'),
    ms + 10_000,
    `${p.host.name} stalled ${ms} ms`,
    from,
  );
  const s = JSON.parse(l.text) as Stall;
  assert.ok(s.end - s.begin >= ms, `${p.host.name} stalled ${(s.end - s.begin).toFixed(0)} ms, not ${ms}`);
  return s;
}

async function setUp(advert: number) {
  const lab = Lab.create([
    { name: "d1", addr: "10.74.0.11/24" },
    { name: "d2", addr: "10.74.0.12/24" },
    { name: "client", addr: "10.74.0.50/24" },
  ]);
  try {
    const [d1, d2, client] = [lab.host("d1"), lab.host("d2"), lab.host("client")];
    const [w1, w2] = await Promise.all([VipWatch.start(d1, VIP), VipWatch.start(d2, VIP)]);
    const wire = new Watched(client.spawn("tcpdump", ["-l", "-n", "-tt", "-i", "eth0", "ip proto 112"]));
    await wire.waitLine((l) => l.text.startsWith("listening on"), 10_000, "tcpdump in the client");
    const neigh = new Watched(client.spawn("ip", ["-o", "-4", "monitor", "neigh"]));
    await Promise.all([startEcho(d1), startEcho(d2)]);
    const master = startAgent(d1, config(MASTER_PRIO, advert), [], ENTRY);
    await master.waitState("VI_1", "MASTER", 15_000);
    const backup = startAgent(d2, config(BACKUP_PRIO, advert), [], ENTRY);
    await backup.waitState("VI_1", "BACKUP", 15_000);
    const prober = await startProber(client, VIP, 10);
    await prober.firstReplyFrom("d1", nowMs(), 5000);
    await waitFor(() => client.neighbourMac(VIP) === d1.mac, 5000, "the client's entry for the VIP -> d1's MAC");
    return { lab, d1, d2, client, w1, w2, wire, neigh, master, backup, prober };
  } catch (err) {
    lab.destroy();
    throw err;
  }
}

type Setup = Awaited<ReturnType<typeof setUp>>;

/** Times (nowMs, converted with `offset`) of the adverts from h on the client's wire. */
function advertTimes(t: Setup, h: Host, offset: number): number[] {
  return t.wire.lines.flatMap((l) => {
    const a = parseNflogAdvert(l.text);
    return a && a.src === h.ip ? [a.t - offset] : [];
  });
}

function transitions(p: Peer, from: number): string[] {
  return statesEntered(p.kind, "VI_1", p.lines.slice(from));
}

async function metric(h: Host, name: string): Promise<number> {
  return (await scrape(h)).get(name, { instance: "VI_1" }) ?? 0;
}

function neighEvents(mon: Watched): { t: number; mac: string }[] {
  return mon.lines.flatMap((l) => {
    const m = /^(\d+\.\d+\.\d+\.\d+) dev \S+ lladdr (\S+)/.exec(l.text);
    return m && m[1] === VIP ? [{ t: l.t, mac: m[2]! }] : [];
  });
}

async function firstReplyFrom(p: Prober, from: string, t: number): Promise<number> {
  return (await p.firstReplyFrom(from, t, 5000)).t;
}

describe("agents whose event loop is blocked (busy-wait, VRRPv3)", { timeout: 90_000 }, () => {
  test("a backup stalled 100 ms, 500 ms and 2 s at 0.1 s adverts while the master advertises never takes over", async (tc) => {
    const ADVERT_MS = 100;
    const mdi = masterDownMs(ADVERT_MS / 1000, BACKUP_PRIO);
    const t = await setUp(ADVERT_MS / 1000);
    try {
      for (const ms of [100, 500, 2000]) {
        const from = t.backup.lines.length;
        const before = await metric(t.d2, "lvs_vrrp_adverts_received_total");
        const s = await stall(t.backup, ms);
        // Past Master_Down_Interval, its timer is overdue at once when it wakes; a takeover would be now.
        await sleep(3 * mdi);
        const offset = realtimeOffset();
        const queued = advertTimes(t, t.d1, offset).filter((x) => x > s.begin && x < s.end).length;
        const read = (await metric(t.d2, "lvs_vrrp_adverts_received_total")) - before;
        const took = transitions(t.backup, from).filter((x) => x === "MASTER").length;
        tc.diagnostic(
          `backup stalled ${ms} ms (${(s.end - s.begin).toFixed(1)} measured; Master_Down_Interval ${mdi.toFixed(0)} ms): the master sent ${queued} adverts meanwhile, the backup read ${read} by ${(3 * mdi).toFixed(0)} ms after; takeovers ${took}`,
        );
        assert.equal(
          took,
          0,
          `the backup took over after a ${ms} ms stall:\n${t.backup.lines
            .slice(from)
            .map((l) => l.text)
            .join("\n")}`,
        );
        assert.ok(read >= queued, `the backup read ${read} adverts, fewer than the ${queued} sent during its stall`);
        assert.ok(
          ms < mdi || queued >= Math.floor(ms / ADVERT_MS) - 1,
          `only ${queued} adverts during a ${ms} ms stall: the master was not advertising`,
        );
      }
      assert.deepEqual(t.w2.events(), [], "the backup never held the VIP");
      assert.ok(t.w1.holds(), "the master holds the VIP");
      assert.deepEqual(transitions(t.master, 0), ["BACKUP", "MASTER"], "the master only went through start-up");
      tc.diagnostic(
        "where it breaks: nowhere in 100-2000 ms. Woken past its deadline, the backup reads what is queued before it acts on the timer, and each advert read restarts Master_Down_Timer from the moment it is read: a stalled backup takes over only if no advert at all was queued (the master died too), and then Master_Down_Interval after it wakes",
      );
    } finally {
      t.lab.destroy();
    }
  });

  test("a master stalled at 1 s adverts: 100 ms and 2 s cause no takeover, 4 s does and the woken master wins back at once", async (tc) => {
    const ADVERT_MS = 1000;
    const mdi = masterDownMs(ADVERT_MS / 1000, BACKUP_PRIO);
    const t = await setUp(ADVERT_MS / 1000);
    try {
      const gaps: string[] = [];
      for (const ms of [100, 2000]) {
        const from = t.backup.lines.length;
        // The worst phase: the stall begins 50 ms before the master's next advert is due (counted from a
        // fresh one: the first advert after a stall is late, the ones after it are back on their schedule).
        const t0 = nowMs();
        const last = await waitFor(
          () => advertTimes(t, t.d1, realtimeOffset()).find((x) => x > t0),
          2 * ADVERT_MS,
          "an advert from the master",
        );
        await sleep(last + ADVERT_MS - 50 - nowMs());
        const offBefore = realtimeOffset();
        const s = await stall(t.master, ms);
        // The master's next advert: at once if its Adver_Timer came due during the stall, else on time.
        const next = await waitFor(
          () => advertTimes(t, t.d1, realtimeOffset()).find((x) => x > s.end),
          2 * ADVERT_MS,
          "the master's first advert after the stall",
        );
        await sleep(200);
        const prev = advertTimes(t, t.d1, offBefore)
          .filter((x) => x < s.begin)
          .at(-1)!;
        const gap = next - prev;
        gaps.push(`${ms} ms stall ${(s.begin - prev).toFixed(0)} ms after an advert: gap ${gap.toFixed(0)} ms`);
        tc.diagnostic(
          `master stalled ${ms} ms (${(s.end - s.begin).toFixed(1)} measured) ${(s.begin - prev).toFixed(0)} ms after its last advert: the backup went ${gap.toFixed(0)} ms without one (Master_Down_Interval ${mdi.toFixed(0)} ms)`,
        );
        assert.ok(
          gap < mdi,
          `a ${gap.toFixed(0)} ms gap: the stall should not have been able to make one over ${mdi.toFixed(0)} ms`,
        );
        assert.deepEqual(transitions(t.backup, from), [], `the backup changed state after a ${ms} ms master stall`);
        assert.deepEqual(t.w2.events(), [], "the backup never held the VIP");
      }

      // 4 s: over Master_Down_Interval whatever the phase. The backup takes over (correctly) while the
      // master is stalled; the woken master reads the backup's lower-priority advert and reasserts.
      const [mm, mb] = [t.master.lines.length, t.backup.lines.length];
      const reassertsBefore = await metric(t.d1, "lvs_vrrp_master_reasserts_total");
      const offBefore = realtimeOffset();
      const s = await stall(t.master, 4000);
      const prev = advertTimes(t, t.d1, offBefore)
        .filter((x) => x < s.begin)
        .at(-1)!;
      const took = await t.backup.waitState("VI_1", "MASTER", 1000, mb);
      const reassert = await t.master.waitLine(
        (l) => l.text.includes('"vrrp.reassert"'),
        3000,
        "the master's reassert",
        mm,
      );
      const down = await t.backup.waitState("VI_1", "BACKUP", 3000, mb);
      const vipOff = await waitFor(
        () => t.w2.events().find((e) => !e.holds && e.t > took.t),
        3000,
        "the VIP leaving d2",
      );
      const toD2 = neighEvents(t.neigh).find((e) => e.t > s.begin && e.mac === t.d2.mac);
      const toD1 = await waitFor(
        () => neighEvents(t.neigh).find((e) => e.t > s.end && e.mac === t.d1.mac),
        3000,
        "the client's entry for the VIP -> d1's MAC",
      );
      const reply = await firstReplyFrom(t.prober, "d1", s.end);
      const reasserts = (await metric(t.d1, "lvs_vrrp_master_reasserts_total")) - reassertsBefore;
      const w = (x: number) => `${(x - s.end).toFixed(1)}`;
      tc.diagnostic(
        `master stalled 4000 ms (${(s.end - s.begin).toFixed(1)} measured) ${(s.begin - prev).toFixed(0)} ms after its last advert: the backup took over ${(took.t - prev).toFixed(0)} ms after that advert ` +
          `(Master_Down_Interval ${mdi.toFixed(0)} ms); from the wake (ms): reassert ${w(reassert.t)}, backup BACKUP ${w(down.t)}, VIP off d2 ${w(vipOff.t)}, ` +
          `client on d1's MAC ${w(toD1.t)}, first reply from d1 ${w(reply)}; reasserts counted ${reasserts}`,
      );
      tc.diagnostic(
        `where it breaks: a master stall makes the backup take over once the time since its last advert plus the stall passes ${mdi.toFixed(0)} ms: ` +
          `stalls over ${(mdi - ADVERT_MS).toFixed(0)} ms at worst (the stall begins just before an advert is due), over ${mdi.toFixed(0)} ms at best. Seen: ${gaps.join("; ")}; 4000 ms stall: takeover`,
      );
      assert.ok(took.t > s.begin && took.t < s.end, "the backup took over during the stall");
      assert.ok(
        Math.abs(took.t - prev - mdi) < 200,
        `the backup took over ${(took.t - prev).toFixed(0)} ms after the master's last advert, not Master_Down_Interval`,
      );
      assert.ok(
        toD2 !== undefined && toD2.t < s.end,
        "the client followed the backup's gratuitous ARP during the stall",
      );
      assert.deepEqual(transitions(t.master, mm), [], "the master never left MASTER");
      assert.ok(t.w1.events().every((e) => e.holds) && t.w1.holds(), "the master kept the VIP throughout");
      assert.ok(reasserts >= 1, `reasserts counted: ${reasserts}`);
      assert.deepEqual(
        transitions(t.backup, mb),
        ["MASTER", "BACKUP"],
        "the backup took over once and stepped down once",
      );
      // The woken master answers the advert queued for it at once: within a few ms of its wake, not an interval.
      assert.ok(down.t - s.end < ADVERT_MS / 2, `the backup stepped down ${w(down.t)} ms after the master woke`);
      assert.ok(
        toD1.t - s.end < ADVERT_MS / 2,
        `the client came back to d1's MAC ${w(toD1.t)} ms after the master woke`,
      );
      assert.ok(
        !t.w2.holds() && t.client.neighbourMac(VIP) === t.d1.mac,
        "at the end only d1 holds the VIP, and the client is on its MAC",
      );
    } finally {
      t.lab.destroy();
    }
  });
});
