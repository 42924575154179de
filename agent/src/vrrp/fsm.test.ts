import { test } from "node:test";
import assert from "node:assert/strict";
import {
  initialState,
  masterDownIntervalMs,
  nextDeadline,
  skewTimeMs,
  step,
  type FsmAction,
  type FsmConfig,
  type FsmEvent,
  type FsmState,
} from "./fsm.ts";

const base: FsmConfig = {
  version: 3,
  priority: 100,
  advertIntervalCs: 100,
  preempt: true,
  preemptDelayMs: 0,
  primaryIp: "10.0.0.2",
};

/** A router driven by a fake clock: events at chosen times, ticks fired exactly at deadlines. */
class Sim {
  s: FsmState;
  now = 0;
  log: { t: number; a: FsmAction }[] = [];
  constructor(cfg: Partial<FsmConfig> = {}) {
    this.s = initialState({ ...base, ...cfg });
  }
  ev(e: FsmEvent): FsmAction[] {
    const r = step(this.s, e, this.now);
    this.s = r.state;
    for (const a of r.actions) this.log.push({ t: this.now, a });
    return r.actions;
  }
  /** Advance to t, firing every deadline on the way. */
  advance(t: number): void {
    for (let d = nextDeadline(this.s); d !== undefined && d <= t; d = nextDeadline(this.s)) {
      this.now = d;
      this.ev({ type: "tick" });
    }
    this.now = t;
  }
  transitions(): string[] {
    return this.log.filter((l) => l.a.type === "transition").map((l) => `${l.t}:${(l.a as { to: string }).to}`);
  }
}

test("RFC 5798 timing table: Skew_Time and Master_Down_Interval", () => {
  // [version, priority, Master_Adver_Interval cs, Skew_Time ms, Master_Down_Interval ms]
  const table: [2 | 3, number, number, number, number][] = [
    [3, 100, 100, 609.375, 3609.375], // (256-100)*100/256 = 60.9375 cs
    [3, 254, 100, 7.8125, 3007.8125],
    [3, 1, 100, 996.09375, 3996.09375],
    [3, 100, 10, 60.9375, 360.9375], // 0.1 s adverts
    [3, 200, 10, 21.875, 321.875],
    [3, 100, 1, 6.09375, 36.09375], // one centisecond
    [2, 100, 100, 609.375, 3609.375], // RFC 3768: (256-Priority)/256 s
    [2, 100, 300, 609.375, 9609.375], // v2 skew does not scale with the interval
    [2, 150, 100, 414.0625, 3414.0625],
  ];
  for (const [v, p, i, skew, down] of table) {
    assert.equal(skewTimeMs(v, p, i), skew, `skew v${v} p${p} i${i}`);
    assert.equal(masterDownIntervalMs(v, p, i), down, `down v${v} p${p} i${i}`);
  }
});

test("a lone backup becomes master after Master_Down_Interval and then advertises every interval", () => {
  const r = new Sim();
  r.ev({ type: "startup" });
  assert.equal(r.s.state, "BACKUP");
  r.advance(3609);
  assert.equal(r.s.state, "BACKUP");
  r.advance(3610);
  assert.equal(r.s.state, "MASTER");
  assert.deepEqual(r.transitions(), ["0:BACKUP", "3609.375:MASTER"]);
  r.advance(3609.375 + 3000);
  const sends = r.log.filter((l) => l.a.type === "send").map((l) => l.t);
  assert.deepEqual(sends, [3609.375, 4609.375, 5609.375, 6609.375]);
});

test("the address owner (priority 255) becomes master at once", () => {
  const r = new Sim({ priority: 255 });
  const acts = r.ev({ type: "startup" });
  assert.equal(r.s.state, "MASTER");
  assert.deepEqual(acts[0], { type: "send", priority: 255 });
});

test("adverts from a higher-priority master keep a backup down; silence makes it master", () => {
  const r = new Sim({ priority: 100 });
  r.ev({ type: "startup" });
  for (let t = 1000; t <= 10_000; t += 1000) {
    r.advance(t);
    r.ev({ type: "advert", src: "10.0.0.1", priority: 200, intervalCs: 100 });
  }
  assert.equal(r.s.state, "BACKUP");
  assert.equal(r.s.masterIp, "10.0.0.1");
  r.advance(10_000 + 3609);
  assert.equal(r.s.state, "BACKUP");
  r.advance(10_000 + 3610);
  assert.equal(r.s.state, "MASTER");
});

test("priority 0 from the master: backup takes over after Skew_Time", () => {
  const r = new Sim({ priority: 100 });
  r.ev({ type: "startup" });
  r.advance(500);
  r.ev({ type: "advert", src: "10.0.0.1", priority: 0, intervalCs: 100 });
  r.advance(500 + 609);
  assert.equal(r.s.state, "BACKUP");
  r.advance(500 + 610);
  assert.equal(r.s.state, "MASTER");
  assert.match(JSON.stringify(r.log.at(-1)), /master left \(priority 0\); Skew_Time \(609 ms\) passed/);
});

test("shutdown of a master sends priority 0 and goes to INIT", () => {
  const r = new Sim({ priority: 255 });
  r.ev({ type: "startup" });
  const acts = r.ev({ type: "shutdown" });
  assert.deepEqual(acts, [
    { type: "send", priority: 0 },
    { type: "transition", from: "MASTER", to: "INIT", reason: "shutdown" },
  ]);
  assert.equal(nextDeadline(r.s), undefined);
});

test("a v3 backup learns the master's advert interval; v2 keeps its own", () => {
  const v3 = new Sim({ version: 3, advertIntervalCs: 100 });
  v3.ev({ type: "startup" });
  v3.ev({ type: "advert", src: "10.0.0.1", priority: 200, intervalCs: 10 });
  assert.equal(v3.s.masterAdverIntervalCs, 10);
  assert.equal(v3.s.masterDownTimerAt, masterDownIntervalMs(3, 100, 10));
  const v2 = new Sim({ version: 2, advertIntervalCs: 100 });
  v2.ev({ type: "startup" });
  v2.ev({ type: "advert", src: "10.0.0.1", priority: 200, intervalCs: 100 });
  assert.equal(v2.s.masterAdverIntervalCs, 100);
});

test("preempt: a higher-priority backup ignores a lower master and takes over after Master_Down_Interval", () => {
  const r = new Sim({ priority: 150 });
  r.ev({ type: "startup" });
  r.advance(100);
  r.ev({ type: "advert", src: "10.0.0.1", priority: 100, intervalCs: 100 });
  // The advert was discarded: the timer still runs from startup.
  r.advance(masterDownIntervalMs(3, 150, 100));
  assert.equal(r.s.state, "MASTER");
});

test("nopreempt: a higher-priority backup stays backup while the lower master advertises", () => {
  const r = new Sim({ priority: 150, preempt: false });
  r.ev({ type: "startup" });
  for (let t = 100; t < 20_000; t += 1000) {
    r.advance(t);
    r.ev({ type: "advert", src: "10.0.0.1", priority: 100, intervalCs: 100 });
  }
  assert.equal(r.s.state, "BACKUP");
});

test("preempt_delay: the lower master is tolerated for the delay, then preempted", () => {
  const r = new Sim({ priority: 150, preemptDelayMs: 5000 });
  r.ev({ type: "startup" });
  for (let t = 1000; t <= 12_000; t += 1000) {
    r.advance(t);
    if (r.s.state === "BACKUP") r.ev({ type: "advert", src: "10.0.0.1", priority: 100, intervalCs: 100 });
  }
  // First seen at 1000 -> preempting allowed from 6000; adverts from then on are discarded, and the
  // timer last reset at 5000 fires at 5000 + Master_Down_Interval.
  const became = r.log.find((l) => l.a.type === "transition" && l.a.to === "MASTER");
  assert.equal(became?.t, 5000 + masterDownIntervalMs(3, 150, 100));
});

test("master with equal priority yields to the higher primary address only", () => {
  const lowAddr = new Sim({ priority: 255, primaryIp: "10.0.0.2" });
  lowAddr.ev({ type: "startup" });
  lowAddr.ev({ type: "config", cfg: { ...lowAddr.s.cfg, priority: 100 } });
  lowAddr.ev({ type: "advert", src: "10.0.0.1", priority: 100, intervalCs: 100 });
  assert.equal(lowAddr.s.state, "MASTER", "lower address does not win the tie");
  lowAddr.ev({ type: "advert", src: "10.0.0.3", priority: 100, intervalCs: 100 });
  assert.equal(lowAddr.s.state, "BACKUP", "higher address wins the tie");
});

test("master yields to a higher priority, telling it with one last advert, and learns its interval", () => {
  const r = new Sim({ priority: 255 });
  r.ev({ type: "startup" });
  r.ev({ type: "config", cfg: { ...r.s.cfg, priority: 100 } });
  const acts = r.ev({ type: "advert", src: "10.0.0.9", priority: 101, intervalCs: 50 });
  assert.equal(r.s.state, "BACKUP");
  // One last advert at its own priority first: the winner answers it with gratuitous ARP (a healed partition).
  assert.deepEqual(acts[0], { type: "send", priority: 100 });
  assert.equal(r.s.masterAdverIntervalCs, 50);
  assert.equal(r.s.adverTimerAt, undefined);
});

test("a master hearing priority 0 from another router re-asserts itself at once", () => {
  const r = new Sim({ priority: 255 });
  r.ev({ type: "startup" });
  r.now = 300;
  const acts = r.ev({ type: "advert", src: "10.0.0.1", priority: 0, intervalCs: 100 });
  assert.deepEqual(acts, [{ type: "send", priority: 255 }]);
  assert.equal(r.s.adverTimerAt, 1300);
});

test("a master hearing a lower priority advertises at once and asks for gratuitous ARP (keepalived's forced election)", () => {
  const r = new Sim({ priority: 150 });
  r.ev({ type: "startup" });
  r.advance(4000);
  assert.equal(r.s.state, "MASTER");
  r.now = 4100;
  const acts = r.ev({ type: "advert", src: "10.0.0.1", priority: 100, intervalCs: 100 });
  assert.deepEqual(acts, [
    { type: "send", priority: 150 },
    { type: "reassert", src: "10.0.0.1", priority: 100 },
  ]);
  assert.equal(r.s.state, "MASTER");
  assert.equal(r.s.adverTimerAt, 5100);
  // A lower address at equal priority loses the tie the same way.
  const tie = r.ev({ type: "advert", src: "10.0.0.1", priority: 150, intervalCs: 100 });
  assert.deepEqual(
    tie.map((a) => a.type),
    ["send", "reassert"],
  );
});

test("Adver_Timer counts from the ideal deadline: late ticks do not lower the rate", () => {
  const r = new Sim({ priority: 255, advertIntervalCs: 1 });
  r.ev({ type: "startup" });
  // Every tick runs 3 ms late (a busy event loop), for 100 intervals of 10 ms.
  for (let i = 0; i < 100; i++) {
    r.now = nextDeadline(r.s)! + 3;
    r.ev({ type: "tick" });
  }
  const sends = r.log.filter((l) => l.a.type === "send");
  assert.equal(sends.length, 101, "the startup advert and one per interval");
  assert.equal(sends.at(-1)!.t, 1003, "still on the 10 ms grid, 3 ms late");
  // A tick more than a whole interval late starts again from then, with no burst of missed adverts.
  r.now = nextDeadline(r.s)! + 55;
  r.ev({ type: "tick" });
  assert.equal(r.s.adverTimerAt, r.now + 10);
});

test("fault: master sends priority 0 and holds nothing; clearing the fault returns to backup", () => {
  const r = new Sim({ priority: 255 });
  r.ev({ type: "startup" });
  const acts = r.ev({ type: "fault", faults: ["interface eth0 down"] });
  assert.deepEqual(acts[0], { type: "send", priority: 0 });
  assert.equal(r.s.state, "FAULT");
  r.advance(100_000);
  assert.equal(r.log.filter((l) => l.a.type === "send").length, 2, "no adverts while in fault");
  r.ev({ type: "config", cfg: { ...r.s.cfg, priority: 100 } });
  r.ev({ type: "fault", faults: [] });
  assert.equal(r.s.state, "BACKUP");
});

test("a fault present at startup starts in FAULT", () => {
  const r = new Sim();
  r.ev({ type: "fault", faults: ["script chk down"] });
  r.ev({ type: "startup" });
  assert.equal(r.s.state, "FAULT");
  r.ev({ type: "fault", faults: [] });
  assert.equal(r.s.state, "BACKUP");
});

test("a priority change while master is advertised at once", () => {
  const r = new Sim({ priority: 255 });
  r.ev({ type: "startup" });
  r.now = 250;
  const acts = r.ev({ type: "config", cfg: { ...r.s.cfg, priority: 90 } });
  assert.deepEqual(acts, [{ type: "send", priority: 90 }]);
});

test("a priority change while backup rescales the running Master_Down_Timer", () => {
  const r = new Sim({ priority: 100 });
  r.ev({ type: "startup" });
  r.ev({ type: "config", cfg: { ...r.s.cfg, priority: 254 } });
  assert.equal(r.s.masterDownTimerAt, masterDownIntervalMs(3, 254, 100));
});

test("resign: a master sends priority 0 and becomes backup; anyone else ignores it", () => {
  const r = new Sim({ priority: 255 });
  r.ev({ type: "startup" });
  r.now = 300;
  const acts = r.ev({ type: "resign", reason: "sync group G: VI_2 went BACKUP" });
  assert.deepEqual(acts, [
    { type: "send", priority: 0 },
    { type: "transition", from: "MASTER", to: "BACKUP", reason: "sync group G: VI_2 went BACKUP" },
  ]);
  assert.equal(r.s.masterDownTimerAt, 300 + masterDownIntervalMs(3, 255, 100));
  assert.deepEqual(r.ev({ type: "resign", reason: "again" }), []);
});

test("a sync group member's Master_Down_Timer only makes it want MASTER; takeover makes it MASTER", () => {
  const r = new Sim({ syncGroup: true });
  r.ev({ type: "startup" });
  const mdi = masterDownIntervalMs(3, 100, 100);
  r.advance(mdi + 1);
  assert.deepEqual(r.transitions(), ["0:BACKUP"], "stays BACKUP");
  assert.deepEqual(r.log.at(-1)!.a, { type: "wantMaster", reason: r.s.wantsMaster, again: false });
  assert.match(r.s.wantsMaster!, /no advertisement for Master_Down_Interval/);
  assert.ok(!r.log.some((l) => l.a.type === "send"), "it sends nothing while it waits for its group");
  // It asks again each Master_Down_Interval (as keepalived), with the first reason, still BACKUP.
  r.advance(r.now + mdi);
  assert.deepEqual(r.log.at(-1)!.a, { type: "wantMaster", reason: r.s.wantsMaster, again: true });
  assert.equal(r.s.state, "BACKUP");
  // An advert from a master: no longer wanting, the timer runs again.
  r.ev({ type: "advert", src: "10.0.0.9", priority: 200, intervalCs: 100 });
  assert.equal(r.s.wantsMaster, undefined);
  assert.equal(nextDeadline(r.s), r.now + mdi);
  r.ev({ type: "takeover", reason: "sync group G: every member wants MASTER" });
  assert.equal(r.s.state, "BACKUP", "a takeover for a member that does not want MASTER does nothing");
  r.advance(r.now + mdi + 1);
  r.ev({ type: "takeover", reason: "sync group G: every member wants MASTER" });
  assert.equal(r.s.state, "MASTER");
  assert.equal(r.s.wantsMaster, undefined);
  const last = r.log.filter((l) => l.a.type === "transition").at(-1)!.a as { reason: string };
  assert.match(last.reason, /Master_Down_Interval .*; sync group G: every member wants MASTER/);
});

test("outside a sync group the timer makes a backup MASTER at once, as before", () => {
  const r = new Sim();
  r.ev({ type: "startup" });
  r.advance(masterDownIntervalMs(3, 100, 100) + 1);
  assert.equal(r.s.state, "MASTER");
  assert.ok(!r.log.some((l) => l.a.type === "wantMaster"));
});

test("an address owner in a sync group starts as BACKUP and goes MASTER with its group", () => {
  const owner = new Sim({ priority: 255, syncGroup: true });
  owner.ev({ type: "startup" });
  assert.equal(owner.s.state, "BACKUP");
  owner.advance(masterDownIntervalMs(3, 255, 100) + 1);
  assert.equal(owner.s.state, "BACKUP");
  assert.ok(owner.s.wantsMaster);
  owner.ev({ type: "takeover", reason: "sync group G: every member wants MASTER" });
  assert.equal(owner.s.state, "MASTER");
  const alone = new Sim({ priority: 255 });
  alone.ev({ type: "startup" });
  assert.equal(alone.s.state, "MASTER", "outside a group the owner is MASTER at once (RFC 5798 6.4.1)");
});
