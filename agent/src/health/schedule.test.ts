import { test } from "node:test";
import assert from "node:assert/strict";
import { alignDelayMs, attemptsOf, nextDelayMs, timerGridMs, warmupDelayMs } from "./schedule.ts";

test("warmup: uniform over [0, warmup) seconds, none when 0", () => {
  assert.equal(
    warmupDelayMs(0, () => 0.99),
    0,
  );
  assert.equal(
    warmupDelayMs(10, () => 0),
    0,
  );
  assert.equal(
    warmupDelayMs(10, () => 0.5),
    5000,
  );
  assert.equal(
    warmupDelayMs(10, () => 0.9999),
    9999,
  );
  assert.equal(
    warmupDelayMs(0.5, () => 0.5),
    250,
  );
});

test("warmup spreads a thousand first checks evenly", () => {
  const buckets = new Array<number>(10).fill(0);
  for (let i = 0; i < 1000; i++) buckets[Math.floor(warmupDelayMs(1, () => i / 1000) / 100)]! += 1;
  assert.deepEqual(buckets, new Array<number>(10).fill(100));
});

test("next check: interval after the previous one started, at once when it overran", () => {
  assert.equal(nextDelayMs(6, 1000, 1000), 6000);
  assert.equal(nextDelayMs(6, 1000, 1250), 5750);
  assert.equal(nextDelayMs(1, 0, 999.6), 0);
  assert.equal(nextDelayMs(1, 0, 7000), 0);
  assert.equal(nextDelayMs(0.1, 0, 40), 60);
});

test("attempts: the first plus retries", () => {
  assert.equal(attemptsOf(0), 1);
  assert.equal(attemptsOf(3), 4);
});

test("alignment: due times snap to the nearest grid slot, never into the past", () => {
  assert.equal(alignDelayMs(1003, 1000, 10), 997); // due 2003 -> 2000
  assert.equal(alignDelayMs(1006, 1000, 10), 1004); // due 2006 -> 2010
  assert.equal(alignDelayMs(1000, 1000, 10), 1000);
  assert.equal(alignDelayMs(1004, 0, 10), 0); // due 1004 -> 1000 would be past: now
  assert.equal(alignDelayMs(1003.5, 500, 0), 500);
  // A thousand checkers at scattered phases land on at most a hundred distinct slots a second.
  const slots = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const now = i * 0.997;
    slots.add(now + alignDelayMs(now, 1000, 10));
  }
  assert.ok(slots.size <= 101, `${slots.size} slots`);
});

test("alignment keeps the average period equal to the interval", () => {
  // Each check takes 3.3 ms; the next is due 1 s after the previous one started, then aligned.
  let start = 0.37;
  const first = start;
  for (let i = 0; i < 200; i++) {
    const end = start + 3.3;
    start = end + alignDelayMs(end, nextDelayMs(1, start, end), 10);
  }
  const mean = (start - first) / 200;
  assert.ok(Math.abs(mean - 1000) < 1, `mean period ${mean}`);
});

test("the grid is 10 ms, finer for very short intervals", () => {
  assert.equal(timerGridMs(6), 10);
  assert.equal(timerGridMs(0.1), 10);
  assert.equal(timerGridMs(0.02), 2);
});
