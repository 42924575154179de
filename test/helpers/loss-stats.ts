// What the VRRP loss test and bench compute from what they observed (pure: no I/O, no clock). The
// lines parsed come from tcpdump on an NFLOG group (the adverts that got past the loss rule), from
// `ip -o monitor address` (who holds the VIP) and from the agent's or keepalived's log (transitions).
// The Master_Down_Interval formula is restated here from RFC 5798 6.1 rather than imported from the
// agent, so that the tests check the agent against the RFC and not against itself.
import { saysState, type Peer, type State } from "./agent.ts";
import type { Line } from "./procs.ts";

/** RFC 5798 6.1 (VRRPv3): 3 * Master_Adver_Interval + Skew_Time, Skew_Time = (256 - Priority) * interval / 256. */
export function masterDownMs(advertS: number, priority: number): number {
  const ms = advertS * 1000;
  return 3 * ms + ((256 - priority) * ms) / 256;
}

/** One advert that reached the host's input hook past the loss rule. */
export interface Advert {
  /** kernel timestamp (CLOCK_REALTIME) in ms: what gaps are measured with */
  t: number;
  src: string;
  priority: number;
}

/** A line of `tcpdump -n -tt -i nflog:G`, e.g. "1796316104.790011 IP 10.68.0.11 > 224.0.0.18: VRRPv3, Advertisement, vrid 68, prio 150, ...". */
export function parseNflogAdvert(text: string): Advert | undefined {
  const m = /^(\d+\.\d+) IP (\d+\.\d+\.\d+\.\d+) > \S+: VRRPv\d, Advertisement, .*\bprio (\d+)/.exec(text);
  return m ? { t: Number(m[1]) * 1000, src: m[2]!, priority: Number(m[3]) } : undefined;
}

export interface TakeoverBounds {
  /** gaps so long that a correct backup must have taken over in each */
  min: number;
  /** gaps long enough that a correct backup may have taken over in each */
  max: number;
  /** every gap over Master_Down_Interval, ms, in order */
  overMdi: number[];
  maxGapMs: number;
}

/**
 * How many times a correct backup takes over, given the times (ms) at which the master's adverts reached
 * it. A backup restarts Master_Down_Timer on each advert it reads and takes over when it runs out, so it
 * takes over once per gap longer than Master_Down_Interval and never in a shorter one; it reads adverts
 * already queued before acting on an expired timer. The times are when tcpdump read each NFLOG copy
 * (libpcap stamps NFLOG with gettimeofday() at read, not the kernel's arrival time): under load up to
 * tens of ms late, so a gap measured `below` ms under the interval can never cause a takeover, a gap
 * just over it may not either (the timer may fire late, after the next advert came), and one `above` ms
 * over it must.
 */
export function takeoverBounds(
  times: readonly number[],
  mdiMs: number,
  margins = { below: 50, above: 100 },
): TakeoverBounds {
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  return {
    min: gaps.filter((g) => g > mdiMs + margins.above).length,
    max: gaps.filter((g) => g > mdiMs - margins.below).length,
    overMdi: gaps.filter((g) => g > mdiMs),
    maxGapMs: Math.max(0, ...gaps),
  };
}

/** A VIP appearing (true) or going (false) on a host, at a monotonic time in ms. */
export interface Hold {
  t: number;
  holds: boolean;
}

/** A line of `ip -o -4 monitor address` about vip: true when added, false when deleted, else undefined. */
export function parseAddrEvent(text: string, vip: string): boolean | undefined {
  const m = /^(Deleted )?\d+: \S+\s+inet (\d+\.\d+\.\d+\.\d+)\//.exec(text);
  if (!m || m[2] !== vip) return undefined;
  return !m[1];
}

export interface Interval {
  start: number;
  end: number;
}

/** Whether a host holds the VIP at time t, given its events in time order and its state before them. */
function holdsAt(events: readonly Hold[], t: number, initial: boolean): boolean {
  let h = initial;
  for (const e of events) {
    if (e.t > t) break;
    h = e.holds;
  }
  return h;
}

/** The intervals within [from, to] during which both hosts hold the VIP (both start out without it). */
export function bothHold(a: readonly Hold[], b: readonly Hold[], from: number, to: number): Interval[] {
  const cuts = [from, ...[...a, ...b].map((e) => e.t).filter((t) => t > from && t < to), to].sort((x, y) => x - y);
  const out: Interval[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const [s, e] = [cuts[i]!, cuts[i + 1]!];
    if (e <= s || !holdsAt(a, s, false) || !holdsAt(b, s, false)) continue;
    const last = out.at(-1);
    if (last && last.end === s) last.end = e;
    else out.push({ start: s, end: e });
  }
  return out;
}

export function totalMs(xs: readonly Interval[]): number {
  return xs.reduce((a, x) => a + x.end - x.start, 0);
}

export function longestMs(xs: readonly Interval[]): number {
  return Math.max(0, ...xs.map((x) => x.end - x.start));
}

const STATES: readonly State[] = ["INIT", "BACKUP", "MASTER", "FAULT"];

/** The states a peer of this kind logged instance `name` entering, in order, among lines. */
export function statesEntered(kind: Peer["kind"], name: string, lines: readonly Line[]): State[] {
  return lines.flatMap((l) => STATES.find((s) => saysState(kind, name, s, l)) ?? []);
}
