// A partition between the two directors, then the heal (not pure: root, namespaces, agents, nft,
// tcpdump, `ip monitor`). VRRPv3 at 0.1 s adverts, d1 at priority 150 and d2 at 100, and a client
// probing the VIP. nftables inside each director drops the VRRP from the other (nft-loss.ts's VrrpLoss at
// 100%): only VRRP, so ARP still crosses and the client follows d2's gratuitous ARP when d2 takes over.
// Two masters during the partition are expected. At the heal, d2 must step down at the first advert of
// d1 that reaches it, so within one advert interval plus the latency of the processes involved
// (HEAL_MARGIN_MS), the VIP must leave d2 as quickly, and the client's neighbour entry for the VIP must
// point to d1's MAC again.
//
// Which advert crosses first at a heal is no accident: both masters advertise every 100 ms, d2 61 ms
// after d1 (it took over Master_Down_Interval = 3 intervals + 60.9 ms Skew_Time after d1's last advert),
// so it depends on where the heal falls in that cycle. If d2's crosses first, d1 answers a lower priority
// (an advert and gratuitous ARP) and d2 steps down at that advert; if d1's crosses first, d2 steps down
// before d1 has heard anything. The test does not leave that to chance: it reads both masters' advert
// times off the client's wire and heals both directors in the same instant (VrrpLoss.setAll: an `nft -i`
// already running in each, a few ms) at the start of the window that gives the order it wants. It checks
// from the capture's kernel timestamps which advert did cross first, and tries again (up to MAX_ATTEMPTS)
// if the heal missed its window. (Not from VrrpLoss's NFLOG capture: libpcap stamps NFLOG packets when
// tcpdump reads them.)
import { describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import type { AgentConfigInput } from "../../agent/src/config/schema.ts";
import { Lab, waitFor, type Host } from "../helpers/netns.ts";
import { startAgent, type Peer } from "../helpers/agent.ts";
import { Watched, nowMs } from "../helpers/procs.ts";
import { startEcho, startProber } from "../helpers/probe.ts";
import { VipWatch, VrrpLoss } from "../helpers/nft-loss.ts";
import { masterDownMs, parseNflogAdvert, statesEntered } from "../helpers/loss-stats.ts";

const VIP = "10.73.0.100";
const ADVERT = 0.1;
const ADVERT_MS = ADVERT * 1000;
const [D1_PRIO, D2_PRIO] = [150, 100];
/** d2's Master_Down_Interval: 360.9 ms. */
const MDI_MS = masterDownMs(ADVERT, D2_PRIO);
/**
 * Past the heal, d1's next advert leaves within one interval; what may add to that is a chain of wake-ups
 * of processes that were asleep: d1's timer (its late ticks do not add up, fsm.ts nextAdverTimer), d2
 * reading the socket and logging, and this process reading the log line (or `ip monitor`'s line, after
 * d2's netlink delete). Each is a scheduler wake-up of a few ms at most on an idle machine; 100 ms leaves
 * room for four of them to wait a full 25 ms each behind busy processes on both cores, and is still well
 * under the 361 ms after which a lost first advert would show (the second one ends it then).
 */
const HEAL_MARGIN_MS = 100;
/** Partitioned at least this long after d2's takeover: enough of both masters' adverts to see their phase. */
const PARTITION_MS = 800;
const MAX_ATTEMPTS = 4;
/** How long after the other director's (predicted) advert the heal starts: its timer's jitter, and more. */
const HEAL_AFTER_MS = 5;

/** Whose advert crosses first after the heal. */
type First = "d1" | "d2";

function config(priority: number): AgentConfigInput {
  return {
    instances: {
      VI_1: {
        interface: "eth0",
        vrid: 73,
        priority,
        version: 3,
        advertInterval: ADVERT,
        virtualAddresses: [{ address: `${VIP}/24` }],
        // No second burst 5 s after becoming master (garp_master_delay): d1's, from start-up, would move
        // the client back to d1 in the middle of a partition. Then only the heal makes d1 send any.
        garp: { count: 5, intervalMs: 0, repeatDelay: 0, refresh: 0 },
      },
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}

function transitions(p: Peer, from: number): string[] {
  return statesEntered(p.kind, "VI_1", p.lines.slice(from));
}

/**
 * CLOCK_REALTIME minus CLOCK_MONOTONIC (ms, to 0.5 ms): turns tcpdump's kernel timestamps into nowMs()
 * times. Taken afresh where it is used: the two clocks need not run at the same rate (in this lab's VM
 * the wall clock gained 5 ms a second), and performance.timeOrigin is fixed at start-up.
 */
function realtimeOffset(): number {
  return Date.now() + 0.5 - nowMs();
}

/** The client's neighbour entry for the VIP changing, from `ip -o -4 monitor neigh`. */
function neighEvents(mon: Watched): { t: number; mac: string }[] {
  return mon.lines.flatMap((l) => {
    const m = /^(\d+\.\d+\.\d+\.\d+) dev \S+ lladdr (\S+)/.exec(l.text);
    return m && m[1] === VIP ? [{ t: l.t, mac: m[2]! }] : [];
  });
}

/** The first advert time at or after `after`, from the last one seen every ADVERT_MS (timers count from ideal deadlines). */
function nextAt(times: readonly number[], after: number): number {
  const last = times.at(-1)!;
  return last + Math.max(0, Math.ceil((after - last) / ADVERT_MS)) * ADVERT_MS;
}

async function setUp() {
  const lab = Lab.create([
    { name: "d1", addr: "10.73.0.11/24" },
    { name: "d2", addr: "10.73.0.12/24" },
    { name: "client", addr: "10.73.0.50/24" },
  ]);
  try {
    const [d1, d2, client] = [lab.host("d1"), lab.host("d2"), lab.host("client")];
    // The watches start before the agents, so they see every change of the VIP.
    const [w1, w2] = await Promise.all([VipWatch.start(d1, VIP), VipWatch.start(d2, VIP)]);
    const [l1, l2] = await Promise.all([VrrpLoss.install(d1), VrrpLoss.install(d2)]);
    const wire = new Watched(client.spawn("tcpdump", ["-l", "-n", "-tt", "-i", "eth0", "ip proto 112"]));
    await wire.waitLine((l) => l.text.startsWith("listening on"), 10_000, "tcpdump in the client");
    const neigh = new Watched(client.spawn("ip", ["-o", "-4", "monitor", "neigh"]));
    await Promise.all([startEcho(d1), startEcho(d2)]);
    const master = startAgent(d1, config(D1_PRIO));
    await master.waitState("VI_1", "MASTER", 10_000);
    const backup = startAgent(d2, config(D2_PRIO));
    await backup.waitState("VI_1", "BACKUP", 10_000);
    const prober = await startProber(client, VIP, 10);
    await prober.firstReplyFrom("d1", nowMs(), 5000);
    await waitFor(() => client.neighbourMac(VIP) === d1.mac, 5000, "the client's entry for the VIP -> d1's MAC");
    return { lab, d1, d2, client, w1, w2, l1, l2, wire, neigh, master, backup, prober };
  } catch (err) {
    lab.destroy();
    throw err;
  }
}

type Setup = Awaited<ReturnType<typeof setUp>>;

/** Times (nowMs) of the adverts from host h on the client's wire (tcpdump prints them as it does NFLOG's). */
function wireTimes(t: Setup, h: Host, offset = realtimeOffset()): number[] {
  return t.wire.lines.flatMap((l) => {
    const a = parseNflogAdvert(l.text);
    return a && a.src === h.ip ? [a.t - offset] : [];
  });
}

/**
 * One partition and heal, aiming the heal at the window where `want`'s advert crosses first. Asserts what
 * must hold whichever crossed first; returns which did, and whether both rules were surely gone by then.
 */
async function partitionAndHeal(
  tc: TestContext,
  t: Setup,
  want: First,
  attempt: number,
): Promise<{ first: First; clean: boolean }> {
  const [mm, mb] = [t.master.lines.length, t.backup.lines.length];
  const dropped0 = [t.l1.counters().dropped, t.l2.counters().dropped];
  const tPart = nowMs();
  await VrrpLoss.setAll([t.l1, t.l2], 100);
  const took = await t.backup.waitState("VI_1", "MASTER", 5000, mb);
  await waitFor(() => t.w1.holds() && t.w2.holds(), 2000, "both directors holding the VIP");
  // d2's gratuitous ARP crossed (only VRRP is dropped): the client's entry moved to d2.
  await waitFor(
    () => neighEvents(t.neigh).some((e) => e.t > tPart && e.mac === t.d2.mac),
    2000,
    "the client's entry for the VIP -> d2's MAC",
  );
  await t.prober.firstReplyFrom("d2", took.t, 2000);
  await sleep(took.t + PARTITION_MS - nowMs());
  assert.deepEqual(transitions(t.master, mm), [], "d1 stayed MASTER through the partition");
  assert.deepEqual(transitions(t.backup, mb), ["MASTER"], "d2 became MASTER once during the partition");
  assert.ok(t.w1.holds() && t.w2.holds(), "both directors hold the VIP during the partition");
  assert.equal(t.client.neighbourMac(VIP), t.d2.mac, "the client is on d2's MAC before the heal");
  const dropped = [t.l1.counters().dropped - dropped0[0]!, t.l2.counters().dropped - dropped0[1]!];
  assert.ok(
    dropped.every((d) => d > 0),
    `VRRP dropped in d1/d2: ${dropped.join("/")}`,
  );

  // Heal just after the other's advert (dropped): the whole window up to want's next one is left for
  // the heal to land (a few ms on an idle machine, up to some 40 ms on a loaded one).
  const [d1s, d2s] = [wireTimes(t, t.d1), wireTimes(t, t.d2)];
  const other = want === "d1" ? d2s : d1s;
  const mine = want === "d1" ? d1s : d2s;
  const prev = nextAt(other, nowMs() + 30);
  const until = nextAt(mine, prev);
  await sleep(prev + HEAL_AFTER_MS - nowMs());
  const [hm, hb] = [t.master.lines.length, t.backup.lines.length];
  const h0 = nowMs();
  await VrrpLoss.setAll([t.l1, t.l2], 0);
  const h1 = nowMs();
  const offset = realtimeOffset();
  const down = await t.backup.waitState("VI_1", "BACKUP", 2000, hb);
  const vipGone = await waitFor(() => t.w2.events().find((e) => !e.holds && e.t > h0), 2000, "the VIP leaving d2");
  const onD1 = await waitFor(
    () => neighEvents(t.neigh).find((e) => e.t > h0 && e.mac === t.d1.mac),
    3000,
    "the client's entry for the VIP -> d1's MAC",
  ).catch(() => undefined);
  await sleep(300);
  // Who crossed first, from the client's capture (kernel timestamps: the frame reaches the other director
  // in the same instant). An advert before h0 met a rule, one after h1 none; in between it is not known.
  const [d1After, d2After] = [t.d1, t.d2].map((h) => wireTimes(t, h, offset).filter((x) => x >= h0)) as [
    number[],
    number[],
  ];
  const [w1, w2] = [d1After[0], d2After[0]];
  const first: First = w2 !== undefined && (w1 === undefined || w2 < w1) ? "d2" : "d1";
  const clean = Math.min(w1 ?? Infinity, w2 ?? Infinity) >= h1;
  /** d1's first advert that surely reached d2 */
  const a12 = d1After.find((x) => x >= h1);
  const reasserts = t.master.lines.slice(hm).filter((l) => l.text.includes('"vrrp.reassert"')).length;
  const ms = (x: number | undefined) => (x === undefined ? "none" : `${(x - h1).toFixed(1)}`);
  tc.diagnostic(
    `attempt ${attempt} (want ${want} first): d2 MASTER ${(took.t - tPart).toFixed(0)} ms into the partition (Master_Down_Interval ${MDI_MS.toFixed(0)}), dropped d1/d2 ${dropped.join("/")}; ` +
      `heal ${(h0 - prev).toFixed(1)}-${(h1 - prev).toFixed(1)} ms into the ${(until - prev).toFixed(0)} ms window; from its end (ms): d1's first advert ${ms(w1)}, d2's ${ms(w2)} -> ${first} first${clean ? "" : " (not surely healed)"}; ` +
      `d1 reasserts ${reasserts}; d2 BACKUP ${ms(down.t)}, VIP off d2 ${ms(vipGone.t)}, client on d1's MAC ${ms(onD1?.t)}`,
  );

  assert.ok(w1 !== undefined && a12 !== undefined, "d1 advertised after the heal");
  // d2 stepped down at d1's first advert to reach it (d1's own, or its answer to d2's), not at a later
  // one, and advertised no more.
  assert.ok(down.t >= w1 - 1, `d2 stepped down ${(w1 - down.t).toFixed(1)} ms before d1 advertised after the heal`);
  assert.ok(
    down.t - a12 < HEAL_MARGIN_MS,
    `d2 stepped down ${(down.t - a12).toFixed(1)} ms after d1's first advert surely reached it`,
  );
  assert.ok(
    d2After.every((x) => x < down.t + 1),
    `d2 advertised after stepping down: ${d2After.map(ms).join(", ")} ms`,
  );
  const bound = ADVERT_MS + HEAL_MARGIN_MS;
  assert.ok(down.t - h1 < bound, `d2 BACKUP ${(down.t - h1).toFixed(1)} ms after the heal`);
  assert.ok(vipGone.t - h1 < bound, `the VIP left d2 ${(vipGone.t - h1).toFixed(1)} ms after the heal`);
  assert.deepEqual(transitions(t.master, hm), [], "d1 stayed MASTER at the heal");
  assert.deepEqual(transitions(t.backup, hb), ["BACKUP"], "d2 stepped down once");
  assert.ok(
    t.w1.events().every((e) => e.holds) && t.w1.holds() && !t.w2.holds(),
    "d1 kept the VIP and only d1 holds it after the heal",
  );
  assert.ok(
    onD1 !== undefined && onD1.t - h1 < bound,
    `the client's entry for the VIP ${onD1 ? `moved to d1 only ${(onD1.t - h1).toFixed(0)} ms` : "was still on d2's MAC 3 s"} after the heal ` +
      `(${first}'s advert crossed first; d1 reasserted ${reasserts} times)`,
  );
  assert.equal(t.client.neighbourMac(VIP), t.d1.mac, "the client's entry for the VIP is d1's MAC");
  return { first, clean };
}

async function healWith(tc: TestContext, want: First): Promise<void> {
  const t = await setUp();
  try {
    const got: string[] = [];
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const r = await partitionAndHeal(tc, t, want, attempt);
      got.push(`${r.first}${r.clean ? "" : " (before both rules were gone)"}`);
      if (r.first === want && r.clean) return;
    }
    assert.fail(
      `no heal in ${MAX_ATTEMPTS} had ${want}'s advert crossing first after both rules were gone: ${got.join(", ")}`,
    );
  } finally {
    t.l1.remove();
    t.l2.remove();
    t.lab.destroy();
  }
}

describe("a partition between the directors (VRRPv3, 0.1 s adverts)", { timeout: 90_000 }, () => {
  test("both master while partitioned; healed where d2's advert crosses first (d1 answers it): d2 steps down within one advert interval, the client back on d1's MAC", async (tc) => {
    await healWith(tc, "d2");
  });

  test("both master while partitioned; healed where d1's advert crosses first (d2 steps down before d1 hears it): d2 steps down within one advert interval, the client back on d1's MAC", async (tc) => {
    await healWith(tc, "d1");
  });
});
