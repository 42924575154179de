// Failover time as a client sees it: from the moment the master is killed (SIGKILL; keepalived: its
// whole process group), stopped (SIGTERM: a priority-0 advert) or cut off (`ip link set eth0 down`)
// until the first reply to the client's VIP probes comes from the backup.
//
// Each run uses a fresh lab: directors d1 (priority 200) and d2 (100) of the same implementation, each
// with a UDP echo responder, and a client probing the VIP every 5 ms (test/helpers/probe.ts). Before the
// failure d2 is BACKUP and has heard the master for 1.5 adverts, and the client's ARP entry for the VIP
// holds d1's MAC. Runs alternate ours / keepalived so that drift in machine load hits both alike.
//
// Phase: after a crash the backup waits Master_Down_Interval from the master's *last* advert, so a
// kill at a random moment would add up to one advert interval of noise (a whole second at v2), and a
// fixed sequence of start-up steps would add a bias that differs between implementations. So the
// failure is injected right after an advert, as seen by tcpdump in the client: the worst case, the
// same for both. `linkdown-mid` cuts the link at a random point between adverts instead, as a real
// fault comes; its line adds each implementation's time beyond the protocol's own window
// (Master_Down_Interval from the last advert the backup heard), which the phase does not move.
import type { Host } from "../test/helpers/netns.ts";
import { crash, type Peer } from "../test/helpers/agent.ts";
import { Watched, nowMs, type Line } from "../test/helpers/procs.ts";
import { masterDownIntervalMs } from "../agent/src/vrrp/fsm.ts";
import {
  BACKUP_PRIO,
  INSTANCE,
  SETTINGS,
  createTopology,
  electionMs,
  implOrder,
  median,
  note,
  sleep,
  startCluster,
  type Cluster,
  type Impl,
  type Setting,
  type Topology,
} from "./common.ts";

export type Case = "kill" | "term" | "linkdown" | "linkdown-mid";
export const CASES: readonly Case[] = ["kill", "term", "linkdown", "linkdown-mid"];

export interface RunResult {
  /** failure -> first reply from the backup */
  ms: number;
  /** failure -> the backup's "MASTER" log line reached us */
  stateMs: number;
  /** the master's last advert before the failure (the client's capture time) -> failure */
  phaseMs: number;
}

function fail(c: Case, master: Peer): void {
  if (c === "kill") crash(master);
  else if (c === "term") master.signal("SIGTERM");
  else master.host.linkSet("down");
}

/** Time beyond the protocol's window: failover ms minus what Master_Down_Interval left after the last advert. */
function beyondWindowMs(r: RunResult, s: Setting): number {
  return r.ms - (masterDownIntervalMs(s.version, BACKUP_PRIO, s.advert * 100) - r.phaseMs);
}

/** tcpdump in the client printing a line per VRRP packet as soon as it arrives. */
async function startSniffer(client: Host): Promise<Watched> {
  // -tt: each packet's kernel time (Unix seconds), to compare with the failure's Date.now().
  const w = new Watched(client.spawn("tcpdump", ["-tt", "-l", "-n", "--immediate-mode", "-i", "eth0", "ip proto 112"]));
  await w.waitLine((l) => l.text.startsWith("listening on"), 10_000, "tcpdump listening");
  return w;
}

/** Resolves when the next advert passes the client. */
function nextAdvert(sniffer: Watched, s: Setting): Promise<Line> {
  return sniffer.waitLine(
    (l) => l.text.includes("VRRP"),
    2 * s.advert * 1000 + 1000,
    "an advert",
    sniffer.lines.length,
  );
}

/** Unix ms of the master's last advert before epochMs, by the kernel's capture time (tcpdump -tt). */
function lastAdvertBefore(sniffer: Watched, epochMs: number, first: Line): number {
  const times = sniffer.lines
    .slice(sniffer.lines.indexOf(first))
    .filter((l) => l.text.includes("VRRP"))
    .map((l) => Number(l.text.split(" ")[0]) * 1000);
  return Math.max(...times.filter((t) => t <= epochMs));
}

interface Ready extends Cluster {
  sniffer: Watched;
}

async function ready(t: Topology, impl: Impl, s: Setting): Promise<Ready> {
  const [sniffer, cluster] = await Promise.all([startSniffer(t.client), startCluster(t, impl, s)]);
  // The backup's Master_Down_Timer now runs from the master's last advert, not from its own start-up.
  await sleep(1.5 * s.advert * 1000);
  return { ...cluster, sniffer };
}

/** One failover in a fresh lab. */
export async function runOnce(impl: Impl, c: Case, s: Setting): Promise<RunResult> {
  const t = createTopology();
  try {
    const { master, backup, prober, sniffer } = await ready(t, impl, s);
    const from = backup.lines.length;
    const advert = await nextAdvert(sniffer, s);
    if (c === "linkdown-mid") await sleep(Math.random() * s.advert * 1000);
    const [t0, epoch0] = [nowMs(), Date.now()];
    fail(c, master);
    const reply = await prober.firstReplyFrom("d2", t0, electionMs(s));
    const state = await backup.waitState(INSTANCE, "MASTER", 5000, from);
    return { ms: reply.t - t0, stateMs: state.t - t0, phaseMs: epoch0 - lastAdvertBefore(sniffer, epoch0, advert) };
  } finally {
    t.lab.destroy();
  }
}

function resultLine(c: Case, s: Setting, runs: Record<Impl, RunResult[]>): string {
  const [o, k] = [median(runs.ours.map((r) => r.ms)), median(runs.keepalived.map((r) => r.ms))];
  const line = `failover case=${c} advert=${s.advert} version=${s.version} ours_ms=${o.toFixed(0)} keepalived_ms=${k.toFixed(0)} ratio=${(o / k).toFixed(2)}`;
  if (c !== "linkdown-mid") return line;
  const beyond = (rs: RunResult[]) => median(rs.map((r) => beyondWindowMs(r, s))).toFixed(0);
  return `${line} ours_beyond_window_ms=${beyond(runs.ours)} keepalived_beyond_window_ms=${beyond(runs.keepalived)}`;
}

/** `runs` alternating runs per implementation of one case at one setting; prints its result line. */
export async function benchCase(c: Case, s: Setting, runs: number): Promise<string> {
  const results: Record<Impl, RunResult[]> = { ours: [], keepalived: [] };
  for (let i = 0; i < runs; i++) {
    for (const impl of implOrder(i)) {
      const r = await runOnce(impl, c, s);
      results[impl].push(r);
      note(
        `  run ${i + 1}/${runs} case=${c} advert=${s.advert} impl=${impl} ms=${r.ms.toFixed(0)} state_logged_ms=${r.stateMs.toFixed(0)} after_advert_ms=${r.phaseMs.toFixed(1)} beyond_window_ms=${beyondWindowMs(r, s).toFixed(0)}`,
      );
    }
  }
  const line = resultLine(c, s, results);
  console.log(line);
  return line;
}

export async function benchFailover(opts: { runs: number; cases?: readonly Case[] }): Promise<void> {
  for (const s of SETTINGS) {
    for (const c of opts.cases ?? CASES) await benchCase(c, s, opts.runs);
  }
}
