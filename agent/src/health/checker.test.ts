import { test } from "node:test";
import assert from "node:assert/strict";
import { HealthCheck, type HealthCheckConfig } from "../config/health-checks.ts";
import { createLogger } from "../log.ts";
import type { Attempt, HealthResult, Probe } from "./core.ts";
import { HealthChecker, runAttempts } from "./checker.ts";

const quiet = createLogger({ write: () => true }, { level: "error" });
const target = { address: "192.0.2.1", port: 80 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tcp = (over: Record<string, unknown> = {}): HealthCheckConfig => HealthCheck.parse({ type: "tcp", ...over });

/** A probe answering from a list (the last entry repeats), counting calls. */
function scripted(results: Attempt[], takesMs = 0): Probe & { calls: number } {
  const probe = Object.assign(
    async (): Promise<Attempt> => {
      const r = results[Math.min(probe.calls, results.length - 1)]!;
      probe.calls++;
      if (takesMs) await sleep(takesMs);
      return r;
    },
    { calls: 0 },
  );
  return probe;
}

const UP: Attempt = { ok: true, detail: "up" };
const DOWN: Attempt = { ok: false, detail: "down" };

test("retries: a success within 1 + retries attempts counts, with the pause between", async () => {
  const probe = scripted([DOWN, DOWN, UP]);
  const r = await runAttempts(probe, { retries: 2, delayBeforeRetry: 0.05 });
  assert.equal(r.ok, true);
  assert.equal(probe.calls, 3);
  assert.ok(r.ms >= 95, `two pauses of 50 ms, took ${r.ms}`);
});

test("retries exhausted: failed, saying how many attempts", async () => {
  const probe = scripted([DOWN]);
  const r = await runAttempts(probe, { retries: 1, delayBeforeRetry: 0 });
  assert.deepEqual([r.ok, r.detail, probe.calls], [false, "down (attempt 2 of 2)", 2]);
  const once = await runAttempts(scripted([DOWN]), { retries: 0, delayBeforeRetry: 0 });
  assert.equal(once.detail, "down");
});

test("a probe that throws is a failed attempt, not a lost check", async () => {
  const r = await runAttempts(() => Promise.reject(new Error("boom")), { retries: 0, delayBeforeRetry: 0 });
  assert.deepEqual([r.ok, r.detail], [false, "boom"]);
});

test("an abort ends the pause between attempts at once", async () => {
  const ac = new AbortController();
  const probe = scripted([DOWN]);
  setTimeout(() => ac.abort(), 30);
  const r = await runAttempts(probe, { retries: 5, delayBeforeRetry: 10 }, ac.signal);
  assert.equal(r.ok, false);
  assert.ok(r.ms < 1000, `took ${r.ms}`);
  assert.equal(probe.calls, 2);
});

/** Runs a checker over the scripted results until `n` checks have finished; returns its changes. */
async function drive(cfg: HealthCheckConfig, results: Attempt[], n: number, initialUp?: boolean) {
  const changes: Array<[boolean, number | undefined]> = [];
  const seen: HealthResult[] = [];
  const hc = new HealthChecker({
    cfg,
    target,
    probe: scripted(results),
    initialUp,
    log: quiet,
    onChange: (up, r) => changes.push([up, r.weight]),
    onResult: (r) => seen.push(r),
  });
  hc.start();
  while (seen.length < n) await sleep(5);
  await hc.stop();
  return { changes, hc, seen };
}

test("rise and fall debounce the results; the first result decides", async () => {
  const cfg = tcp({ interval: 0.01, rise: 2, fall: 3, retries: 0 });
  const { changes, hc } = await drive(cfg, [UP, DOWN, DOWN, UP, DOWN, DOWN, DOWN, UP, UP], 9);
  assert.deepEqual(changes, [
    [true, undefined],
    [false, undefined],
    [true, undefined],
  ]);
  assert.equal(hc.up, true);
  assert.equal(hc.last?.ok, true);
});

test("initialUp: no change reported while the results agree", async () => {
  const cfg = tcp({ interval: 0.01, fall: 2, retries: 0 });
  const { changes } = await drive(cfg, [UP, UP, DOWN, DOWN], 4, true);
  assert.deepEqual(changes, [[false, undefined]]);
  const alpha = await drive(cfg, [UP], 1, false);
  assert.deepEqual(alpha.changes, [[true, undefined]]);
});

test("dynamic weight: reported when it changes, kept over exit 0, restored on coming back up", async () => {
  const cfg = HealthCheck.parse({
    type: "script",
    script: "/bin/true",
    dynamicWeight: true,
    interval: 0.01,
    retries: 0,
  });
  const w = (weight: number): Attempt => ({ ok: true, detail: `w${weight}`, weight });
  const { changes, seen } = await drive(cfg, [w(10), UP, w(10), w(20), DOWN, UP], 6);
  assert.deepEqual(changes, [
    [true, 10],
    [true, 20],
    [false, undefined],
    [true, 20],
  ]);
  assert.equal(seen[1]?.weight, 10, "an exit 0 carries the last dynamic weight");
});

test("checks never overlap, even when one outlasts the interval", async () => {
  let running = 0;
  let most = 0;
  const probe: Probe = async () => {
    most = Math.max(most, ++running);
    await sleep(30);
    running--;
    return UP;
  };
  const hc = new HealthChecker({ cfg: tcp({ interval: 0.005 }), target, probe, log: quiet, onChange: () => {} });
  hc.start();
  hc.start();
  await sleep(150);
  await hc.stop();
  assert.equal(most, 1);
});

test("stop aborts the check in progress and drops its result", async () => {
  let aborted = false;
  const probe: Probe = (signal) =>
    new Promise((resolve) =>
      signal?.addEventListener("abort", () => {
        aborted = true;
        resolve(DOWN);
      }),
    );
  const changes: boolean[] = [];
  const hc = new HealthChecker({ cfg: tcp(), target, probe, log: quiet, onChange: (up) => changes.push(up) });
  hc.start();
  await sleep(20);
  const t0 = Date.now();
  await hc.stop();
  assert.ok(aborted);
  assert.ok(Date.now() - t0 < 100);
  assert.deepEqual(changes, []);
  assert.equal(hc.up, undefined);
});

test("warmup delays the first check by random * warmup", async () => {
  const probe = scripted([UP]);
  const hc = new HealthChecker({
    cfg: tcp({ warmup: 1 }),
    target,
    probe,
    random: () => 0.3,
    log: quiet,
    onChange: () => {},
  });
  const t0 = performance.now();
  hc.start();
  while (probe.calls === 0) await sleep(2);
  const waited = performance.now() - t0;
  await hc.stop();
  // 300 ms, give or take the 5 ms of timer-grid alignment
  assert.ok(waited >= 294 && waited < 600, `waited ${waited}`);
});
