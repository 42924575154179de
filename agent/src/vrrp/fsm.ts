// The VRRP state machine of RFC 5798 section 6.4 (and RFC 3768 6.4 for v2), as a pure function.
//
// step(state, event, now) returns the next state and the actions the shell must perform. Timers are
// absolute deadlines inside the state (Adver_Timer, Master_Down_Timer); the shell calls step with a
// "tick" at the earliest deadline. `now` is injected, so tests drive the clock by hand.
// Fault is an extension of the RFC's three states (as in keepalived): a tracked interface or script
// without weight is down; the router neither sends nor answers, and holds no virtual address.

export type VrrpState = "INIT" | "BACKUP" | "MASTER" | "FAULT";
export type Version = 2 | 3;

export interface FsmConfig {
  version: Version;
  /** effective Priority (configured priority adjusted by weighted tracks), 1-255 */
  priority: number;
  /** Advertisement_Interval, centiseconds */
  advertIntervalCs: number;
  preempt: boolean;
  /** keepalived preempt_delay: how long a lower-priority master is tolerated before preempting */
  preemptDelayMs: number;
  /** our primary IPv4 address: the tie-breaker when priorities are equal (RFC 5798 6.4.3) */
  primaryIp: string;
  /**
   * a member of a vrrp_sync_group: Master_Down_Timer only makes it want MASTER ("wantMaster"); it goes
   * MASTER when its group does ("takeover", sync-group.ts decides), as keepalived's members do
   */
  syncGroup?: boolean;
}

export interface FsmState {
  readonly cfg: FsmConfig;
  readonly state: VrrpState;
  /** Master_Adver_Interval: v3 backups learn it from the master's adverts; v2 uses the local one */
  readonly masterAdverIntervalCs: number;
  readonly adverTimerAt?: number;
  readonly masterDownTimerAt?: number;
  /** when a lower-priority master was first seen under preempt_delay: preempting is allowed from then */
  readonly preemptAt?: number;
  /** address of the current master as last heard (or our own when we are master) */
  readonly masterIp?: string;
  /** the master announced priority 0: Master_Down_Timer was cut to Skew_Time */
  readonly masterLeft?: boolean;
  /** why we are in FAULT; empty when there is no fault */
  readonly faults: readonly string[];
  /** a sync group member in BACKUP whose Master_Down_Timer fired: why it wants MASTER (it waits for its group) */
  readonly wantsMaster?: string;
}

export type FsmEvent =
  | { type: "startup" }
  | { type: "shutdown" }
  | { type: "tick" }
  | { type: "advert"; src: string; priority: number; intervalCs: number }
  | { type: "fault"; faults: readonly string[] }
  /** leave MASTER for BACKUP at once, telling the others with priority 0 (a sync group member followed a sibling) */
  | { type: "resign"; reason: string }
  /** a sync group member that wants MASTER goes MASTER: every member of its group wants it too */
  | { type: "takeover"; reason: string }
  | { type: "config"; cfg: FsmConfig };

export type FsmAction =
  | { type: "send"; priority: number }
  | { type: "transition"; from: VrrpState; to: VrrpState; reason: string }
  /** another router is master beside us at a lower priority: we advertised at once; announce the VIPs */
  | { type: "reassert"; src: string; priority: number }
  /** a sync group member's Master_Down_Timer fired: it stays BACKUP until its group takes over together */
  | { type: "wantMaster"; reason: string; again: boolean };

export interface StepResult {
  state: FsmState;
  actions: FsmAction[];
}

/** Priority 0 in an advert: the master is leaving (RFC 5798 6.4.3). */
export const PRIORITY_STOP = 0;
/** The address owner's priority. */
export const PRIORITY_OWNER = 255;

/**
 * Skew_Time in ms. v3 (RFC 5798 6.1): (((256 - priority) * Master_Adver_Interval) / 256) centiseconds.
 * v2 (RFC 3768 6.1): ((256 - Priority) / 256) seconds.
 */
export function skewTimeMs(version: Version, priority: number, masterAdverIntervalCs: number): number {
  return version === 3 ? (((256 - priority) * masterAdverIntervalCs) / 256) * 10 : ((256 - priority) / 256) * 1000;
}

/** Master_Down_Interval in ms: (3 * Master_Adver_Interval) + Skew_Time (RFC 5798 6.1, RFC 3768 6.1). */
export function masterDownIntervalMs(version: Version, priority: number, masterAdverIntervalCs: number): number {
  return 3 * masterAdverIntervalCs * 10 + skewTimeMs(version, priority, masterAdverIntervalCs);
}

export function initialState(cfg: FsmConfig): FsmState {
  return { cfg, state: "INIT", masterAdverIntervalCs: cfg.advertIntervalCs, faults: [] };
}

/** The earliest pending deadline, for the shell's single timer. */
export function nextDeadline(s: FsmState): number | undefined {
  const ds = [s.adverTimerAt, s.masterDownTimerAt].filter((d): d is number => d !== undefined);
  return ds.length ? Math.min(...ds) : undefined;
}

/** Compare IPv4 addresses as unsigned 32-bit numbers. */
function ipGreater(a: string, b: string): boolean {
  const n = (ip: string) => ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  return n(a) > n(b);
}

function intervalMs(cs: number): number {
  return cs * 10;
}

class Step {
  readonly actions: FsmAction[] = [];
  constructor(
    public s: FsmState,
    readonly now: number,
  ) {}

  patch(p: Partial<FsmState>): void {
    this.s = { ...this.s, ...p };
  }

  send(priority: number): void {
    this.actions.push({ type: "send", priority });
  }

  goto(to: VrrpState, reason: string): void {
    if (to === this.s.state) return;
    this.actions.push({ type: "transition", from: this.s.state, to, reason });
    this.patch({ state: to });
  }

  /** Enter Master: send an ADVERTISEMENT now and start Adver_Timer (RFC 5798 6.4.1/6.4.2). */
  becomeMaster(reason: string): void {
    this.send(this.s.cfg.priority);
    this.patch({
      adverTimerAt: this.now + intervalMs(this.s.cfg.advertIntervalCs),
      masterDownTimerAt: undefined,
      preemptAt: undefined,
      masterIp: this.s.cfg.primaryIp,
      masterLeft: undefined,
      wantsMaster: undefined,
    });
    this.goto("MASTER", reason);
  }

  /** Enter Backup with Master_Down_Timer = Master_Down_Interval. */
  becomeBackup(reason: string, masterAdverIntervalCs: number, masterIp?: string): void {
    const { version, priority } = this.s.cfg;
    this.patch({
      masterAdverIntervalCs,
      adverTimerAt: undefined,
      masterDownTimerAt: this.now + masterDownIntervalMs(version, priority, masterAdverIntervalCs),
      masterIp,
      masterLeft: undefined,
      wantsMaster: undefined,
    });
    this.goto("BACKUP", reason);
  }

  /** Leave to INIT or FAULT: timers cancelled; a master first tells the others with priority 0. */
  stop(to: "INIT" | "FAULT", reason: string): void {
    if (this.s.state === "MASTER") this.send(PRIORITY_STOP);
    this.patch({
      adverTimerAt: undefined,
      masterDownTimerAt: undefined,
      preemptAt: undefined,
      masterIp: undefined,
      wantsMaster: undefined,
    });
    this.goto(to, reason);
  }

  /**
   * Startup, or the end of a fault: the owner becomes Master at once, anyone else Backup. An owner in a
   * sync group starts as Backup too (as keepalived's), and goes MASTER with its group.
   */
  start(reason: string): void {
    if (this.s.cfg.priority === PRIORITY_OWNER && !this.s.cfg.syncGroup)
      this.becomeMaster(`${reason}; address owner (priority 255)`);
    else this.becomeBackup(reason, this.s.cfg.advertIntervalCs);
  }
}

function onTick(st: Step): void {
  const { s, now } = st;
  if (s.state === "BACKUP" && s.masterDownTimerAt !== undefined && now >= s.masterDownTimerAt) {
    const downMs = masterDownIntervalMs(s.cfg.version, s.cfg.priority, s.masterAdverIntervalCs);
    const skewMs = skewTimeMs(s.cfg.version, s.cfg.priority, s.masterAdverIntervalCs);
    const reason = s.masterLeft
      ? `master left (priority 0); Skew_Time (${skewMs.toFixed(0)} ms) passed`
      : `no advertisement for Master_Down_Interval (${downMs.toFixed(0)} ms)`;
    if (!s.cfg.syncGroup) return st.becomeMaster(reason);
    // keepalived's sync groups go MASTER together, and only when every member would: until then this one
    // stays BACKUP (preferring BACKUP to a group split across directors). As keepalived, it asks again
    // each Master_Down_Interval, so no missed wake-up can hold it for good; an advert ends the wish.
    const again = s.wantsMaster !== undefined;
    st.patch({ masterDownTimerAt: now + downMs, wantsMaster: s.wantsMaster ?? reason });
    st.actions.push({ type: "wantMaster", reason: s.wantsMaster ?? reason, again });
  } else if (s.state === "MASTER" && s.adverTimerAt !== undefined && now >= s.adverTimerAt) {
    st.send(s.cfg.priority);
    st.patch({ adverTimerAt: nextAdverTimer(s.adverTimerAt, now, s.cfg.advertIntervalCs) });
  }
}

/**
 * Adver_Timer's next deadline counted from the ideal one, so late ticks do not add up and the rate stays
 * nominal. A tick later than a whole interval starts again from now: missed adverts are not sent in a burst.
 */
export function nextAdverTimer(due: number, now: number, advertIntervalCs: number): number {
  const next = due + intervalMs(advertIntervalCs);
  return next > now ? next : now + intervalMs(advertIntervalCs);
}

function learnedInterval(s: FsmState, advertCs: number): number {
  // RFC 5798 6.4.2: a v3 Backup sets Master_Adver_Interval from the ADVERTISEMENT. v2 intervals must match.
  return s.cfg.version === 3 ? advertCs : s.cfg.advertIntervalCs;
}

function backupOnAdvert(st: Step, ev: Extract<FsmEvent, { type: "advert" }>): void {
  const { s, now } = st;
  if (ev.priority === PRIORITY_STOP) {
    // The master is leaving: take over after Skew_Time rather than a full Master_Down_Interval.
    st.patch({
      masterDownTimerAt: now + skewTimeMs(s.cfg.version, s.cfg.priority, s.masterAdverIntervalCs),
      masterLeft: true,
    });
    return;
  }
  const lower = ev.priority < s.cfg.priority;
  if (!s.cfg.preempt || !lower) {
    st.becomeBackup("advertisement from master", learnedInterval(s, ev.intervalCs), ev.src);
    st.patch({ preemptAt: undefined });
    return;
  }
  // Preempt_Mode and a lower-priority master. With preempt_delay we keep accepting it until the delay
  // has passed since we first saw it; after that we discard its adverts and Master_Down_Timer fires.
  const preemptAt = s.preemptAt ?? now + s.cfg.preemptDelayMs;
  st.patch({ preemptAt });
  if (now < preemptAt)
    st.becomeBackup("lower-priority master tolerated (preempt_delay)", learnedInterval(s, ev.intervalCs), ev.src);
}

function masterOnAdvert(st: Step, ev: Extract<FsmEvent, { type: "advert" }>): void {
  const { s, now } = st;
  if (ev.priority === PRIORITY_STOP) {
    // Another router is leaving: assert ourselves at once so backups do not take over after skew.
    st.send(s.cfg.priority);
    st.patch({ adverTimerAt: now + intervalMs(s.cfg.advertIntervalCs) });
    return;
  }
  const higher = ev.priority > s.cfg.priority;
  const tieLost = ev.priority === s.cfg.priority && ipGreater(ev.src, s.cfg.primaryIp);
  if (higher || tieLost) {
    const why = higher ? `higher priority ${ev.priority} from ${ev.src}` : `equal priority, higher address ${ev.src}`;
    // Two masters (a healed partition): the better one may not have heard us yet, and clients still send
    // to our MAC. One last advert at our priority makes it answer as it does any lower priority (below):
    // an advert and gratuitous ARP, so clients come back to it at once rather than when their entry fails.
    st.send(s.cfg.priority);
    st.becomeBackup(why, learnedInterval(s, ev.intervalCs), ev.src);
    return;
  }
  // RFC 5798 6.4.3 discards a lower-priority advert. But a router advertising beside us took over during
  // a blip, and clients still send to its MAC: as keepalived ("forcing new election"), advertise now so
  // it steps back, and have the shell send gratuitous ARP so clients come back to us.
  st.send(s.cfg.priority);
  st.patch({ adverTimerAt: now + intervalMs(s.cfg.advertIntervalCs) });
  st.actions.push({ type: "reassert", src: ev.src, priority: ev.priority });
}

function onConfig(st: Step, cfg: FsmConfig): void {
  const { s, now } = st;
  st.patch({ cfg });
  if (s.state === "BACKUP" && s.masterDownTimerAt !== undefined) {
    // A new priority changes Skew_Time: keep the timer's start, recompute its length.
    const started = s.masterDownTimerAt - masterDownIntervalMs(s.cfg.version, s.cfg.priority, s.masterAdverIntervalCs);
    st.patch({ masterDownTimerAt: started + masterDownIntervalMs(cfg.version, cfg.priority, s.masterAdverIntervalCs) });
  }
  if (s.state === "MASTER" && cfg.priority !== s.cfg.priority) {
    // Announce the new priority now so a better backup can preempt without waiting an interval.
    st.send(cfg.priority);
    st.patch({ adverTimerAt: now + intervalMs(cfg.advertIntervalCs) });
  }
}

function onFault(st: Step, faults: readonly string[]): void {
  const was = st.s.faults.length > 0;
  st.patch({ faults });
  if (faults.length > 0 && st.s.state !== "FAULT" && st.s.state !== "INIT") st.stop("FAULT", faults.join("; "));
  else if (faults.length === 0 && was && st.s.state === "FAULT") st.start("fault cleared");
}

export function step(s: FsmState, ev: FsmEvent, now: number): StepResult {
  const st = new Step(s, now);
  switch (ev.type) {
    case "startup":
      if (s.state !== "INIT") break;
      if (s.faults.length > 0) st.goto("FAULT", s.faults.join("; "));
      else st.start("startup");
      break;
    case "shutdown":
      if (s.state !== "INIT") st.stop("INIT", "shutdown");
      break;
    case "tick":
      onTick(st);
      break;
    case "advert":
      if (s.state === "BACKUP") backupOnAdvert(st, ev);
      else if (s.state === "MASTER") masterOnAdvert(st, ev);
      break;
    case "fault":
      onFault(st, ev.faults);
      break;
    case "config":
      onConfig(st, ev.cfg);
      break;
    case "resign":
      if (s.state !== "MASTER") break;
      st.send(PRIORITY_STOP);
      st.becomeBackup(ev.reason, s.cfg.advertIntervalCs);
      break;
    case "takeover":
      if (s.state === "BACKUP" && s.wantsMaster !== undefined) st.becomeMaster(`${s.wantsMaster}; ${ev.reason}`);
      break;
  }
  return { state: st.s, actions: st.actions };
}
