// When health checks run: pure arithmetic, so the timing rules are unit-tested without timers.

/**
 * The first check's delay: uniform in [0, warmup) seconds (keepalived `warmup`). An agent starting
 * with a thousand real servers would otherwise open a thousand connections in the same millisecond,
 * every interval from then on.
 */
export function warmupDelayMs(warmupS: number, random: () => number = Math.random): number {
  return warmupS > 0 ? Math.floor(random() * warmupS * 1000) : 0;
}

/**
 * Delay from `now` to the next check, `interval` after the start of the one that just ended (so the
 * period does not stretch by the check's own duration). A check that ran longer than the interval is
 * followed at once: checks never overlap, and one slow check must not also skip the next.
 */
export function nextDelayMs(intervalS: number, startedAt: number, now: number): number {
  return Math.max(0, Math.round(intervalS * 1000 - (now - startedAt)));
}

/**
 * `delayMs` from `now`, moved so the due time falls on the nearest multiple of `gridMs`. Checks due
 * within a few ms of each other then share one event-loop wakeup (and their connects complete
 * together) instead of waking the process once per check: at a thousand checks a second this cuts the
 * checker's CPU by about a fifth (bench/health-checks.ts). Rounding to the nearest slot, not up, keeps the
 * average period equal to the interval. Never negative.
 */
export function alignDelayMs(now: number, delayMs: number, gridMs: number): number {
  if (!(gridMs > 0)) return delayMs;
  return Math.max(0, Math.round((now + delayMs) / gridMs) * gridMs - now);
}

/** The alignment grid: 10 ms, finer for sub-100 ms intervals so their timing stays within a tenth. */
export function timerGridMs(intervalS: number): number {
  return Math.min(10, (intervalS * 1000) / 10);
}

/** Attempts within one check: the first plus `retries` more (keepalived retry / nb_get_retry). */
export function attemptsOf(retries: number): number {
  return 1 + Math.max(0, Math.floor(retries));
}
