// Pauses, not crashes: a director frozen with SIGSTOP/SIGCONT (keepalived: its whole process group), as
// a GC pause, a starved CPU or a hung VM would freeze it while its kernel goes on holding the VIP. Ours
// and keepalived in the same run, VRRPv3 at 0.02 s adverts, d1 master at priority 150, d2 backup at 100
// (Master_Down_Interval ~72 ms), the client probing the VIP every 10 ms (test/helpers/probe.ts).
//
// - backup frozen 50 ms to 1 s while the master advertises, then 1 s more: a takeover (the backup
//   logging MASTER) is a false one, and the client should lose nothing.
// - master frozen 150 ms: a real takeover by d2, then d1 (preempt) wins back at SIGCONT. From the freeze
//   until 3 s after SIGCONT: the client's longest gap between replies, its lost probes (seqs with no
//   reply) and which director answers at the end (d1 again).
//
// Each run is one fresh lab per implementation (every backup freeze, then the master freeze, each from
// d1 alone holding the VIP), runs alternating ours / keepalived first. Ours is the bundled agent
// (dist/lvs-agent.mjs, as bench/idle.ts builds it).
import { freeze, saysState, type Peer } from "../test/helpers/agent.ts";
import { waitFor } from "../test/helpers/netns.ts";
import { nowMs } from "../test/helpers/procs.ts";
import { parseReply, type Prober, type Reply } from "../test/helpers/probe.ts";
import { bundleAgent } from "./idle.ts";
import {
  BACKUP_PRIO,
  INSTANCE,
  VIP,
  createTopology,
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

const SETTING: Setting = { version: 3, advert: 0.02 };
const PRIOS = { masterPrio: 150, backupPrio: BACKUP_PRIO };
const PROBE_EVERY_MS = 10;
export const BACKUP_FREEZES_MS = [50, 100, 200, 500, 1000] as const;
const MASTER_FREEZE_MS = 150;
const AFTER_BACKUP_MS = 1000;
const AFTER_MASTER_MS = 3000;
/** After start-up, before the first freeze: node's first seconds of compiling and collecting. */
const WARMUP_MS = 2000;
/** What a master logs when it answers a lower-priority advert by forcing an election. */
const REASSERT: Record<Impl, string> = { ours: '"vrrp.reassert"', keepalived: "forcing new election" };

interface BackupResult {
  /** MASTER transitions the frozen backup logged */
  takeovers: number;
  lost: number;
}

interface MasterResult {
  gapMs: number;
  lost: number;
  /** who answered the client at the end */
  endsOn: string;
  /** SIGCONT -> the client's first reply from d1 */
  backMs: number;
  tookOver: boolean;
  reasserted: boolean;
}

interface RunResult {
  backup: BackupResult[];
  master: MasterResult;
}

interface ClientView {
  lost: number;
  gapMs: number;
  /** the first reply at or after the window's end */
  last: Reply;
  replies: Reply[];
}

function replies(p: Prober): Reply[] {
  return p.proc.lines.map(parseReply).filter((r): r is Reply => r !== undefined);
}

/**
 * What the client saw from t0 to t1, bounded by the last reply before t0 and the first at or after t1:
 * the probes in between with no reply, and the longest gap between two replies.
 */
async function clientView(p: Prober, t0: number, t1: number): Promise<ClientView> {
  await p.proc.waitLine((l) => (parseReply(l)?.t ?? -Infinity) >= t1, 10_000, "a reply after the window");
  const rs = replies(p);
  const first = rs.filter((r) => r.t < t0).at(-1)!;
  const last = rs.find((r) => r.t >= t1)!;
  const inside = rs.filter((r) => r.t >= first.t && r.t <= last.t);
  const got = new Set(inside.map((r) => r.seq).filter((s) => s > first.seq && s < last.seq));
  const gapMs = Math.max(...inside.slice(1).map((r, i) => r.t - inside[i]!.t));
  return { lost: last.seq - first.seq - 1 - got.size, gapMs, last, replies: inside };
}

function transitionsTo(p: Peer, state: "MASTER" | "BACKUP", from: number): number {
  return p.lines.slice(from).filter((l) => saysState(p.kind, INSTANCE, state, l)).length;
}

/** d1 alone holds the VIP and answers the client: where every freeze starts from. */
async function settled(t: Topology, p: Prober): Promise<void> {
  const ok = () => t.d1.hasAddr(VIP) && !t.d2.hasAddr(VIP) && t.client.neighbourMac(VIP) === t.d1.mac;
  await waitFor(ok, 5000, "d1 alone holding the VIP and the client on d1's MAC");
  await p.firstReplyFrom("d1", nowMs(), 2000);
}

async function freezeBackup(t: Topology, c: Cluster, ms: number): Promise<BackupResult> {
  await settled(t, c.prober);
  const from = c.backup.lines.length;
  const t0 = nowMs();
  await freeze(c.backup, ms);
  await sleep(AFTER_BACKUP_MS);
  const view = await clientView(c.prober, t0, nowMs());
  return { takeovers: transitionsTo(c.backup, "MASTER", from), lost: view.lost };
}

async function freezeMaster(t: Topology, c: Cluster, impl: Impl): Promise<MasterResult> {
  await settled(t, c.prober);
  const [mFrom, bFrom] = [c.master.lines.length, c.backup.lines.length];
  const t0 = nowMs();
  const woke = await freeze(c.master, MASTER_FREEZE_MS);
  await sleep(AFTER_MASTER_MS);
  const view = await clientView(c.prober, t0, nowMs());
  const back = view.replies.find((r) => r.from === "d1" && r.t >= woke);
  return {
    gapMs: view.gapMs,
    lost: view.lost,
    endsOn: view.last.from,
    backMs: back ? back.t - woke : NaN,
    tookOver: transitionsTo(c.backup, "MASTER", bFrom) > 0,
    reasserted: c.master.lines.slice(mFrom).some((l) => l.text.includes(REASSERT[impl])),
  };
}

/** One implementation in a fresh lab: every backup freeze, then the master freeze. */
async function runOnce(impl: Impl, agentEntry: string[]): Promise<RunResult> {
  const t = createTopology();
  try {
    const c = await startCluster(t, impl, SETTING, { ...PRIOS, probeEveryMs: PROBE_EVERY_MS, agentEntry });
    await sleep(WARMUP_MS);
    const backup: BackupResult[] = [];
    for (const ms of BACKUP_FREEZES_MS) backup.push(await freezeBackup(t, c, ms));
    return { backup, master: await freezeMaster(t, c, impl) };
  } finally {
    t.lab.destroy();
  }
}

function runNote(run: string, impl: Impl, r: RunResult): void {
  const b = r.backup.map((x, i) => `${BACKUP_FREEZES_MS[i]}ms:${x.takeovers}/${x.lost}`).join(" ");
  const m = r.master;
  note(`  run ${run} impl=${impl} backup takeovers/lost ${b}`);
  note(
    `  run ${run} impl=${impl} master gap_ms=${m.gapMs.toFixed(0)} lost=${m.lost} ends_on=${m.endsOn} back_on_d1_ms=${m.backMs.toFixed(0)} took_over=${m.tookOver} reasserted=${m.reasserted}`,
  );
}

function backupPart(rs: BackupResult[]): string {
  return `takeovers ${rs.filter((r) => r.takeovers > 0).length}/${rs.length} lost ${median(rs.map((r) => r.lost))}`;
}

function backupLine(i: number, ours: RunResult[], ka: RunResult[]): string {
  const [o, k] = [ours.map((r) => r.backup[i]!), ka.map((r) => r.backup[i]!)];
  return `freeze backup ${BACKUP_FREEZES_MS[i]}ms  ours ${backupPart(o)} (median)  keepalived ${backupPart(k)}`;
}

function masterPart(rs: MasterResult[]): string {
  const onD1 = rs.filter((r) => r.endsOn === "d1").length;
  return `gap p50 ${median(rs.map((r) => r.gapMs)).toFixed(0)} ms, lost ${median(rs.map((r) => r.lost))}, ends on d1 ${onD1}/${rs.length}`;
}

function masterLine(ours: RunResult[], ka: RunResult[]): string {
  const [o, k] = [ours.map((r) => r.master), ka.map((r) => r.master)];
  const ratio = median(o.map((r) => r.gapMs)) / median(k.map((r) => r.gapMs));
  return `freeze master ${MASTER_FREEZE_MS}ms  ours ${masterPart(o)}  keepalived ${masterPart(k)}  ratio ${ratio.toFixed(2)}`;
}

export async function benchFreeze(opts: { runs: number }): Promise<void> {
  const entry = bundleAgent();
  const res: Record<Impl, RunResult[]> = { ours: [], keepalived: [] };
  for (let i = 0; i < opts.runs; i++) {
    for (const impl of implOrder(i)) {
      const r = await runOnce(impl, entry);
      res[impl].push(r);
      runNote(`${i + 1}/${opts.runs}`, impl, r);
    }
  }
  BACKUP_FREEZES_MS.forEach((_, i) => console.log(backupLine(i, res.ours, res.keepalived)));
  console.log(masterLine(res.ours, res.keepalived));
}
