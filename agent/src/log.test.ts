import { test } from "node:test";
import assert from "node:assert/strict";
import { createLogger, redact, REDACTED } from "./log.ts";

function capture(level?: "debug" | "info") {
  const lines: string[] = [];
  const logger = createLogger({ write: (s: string) => lines.push(s) }, { level, now: () => new Date(0) });
  return { logger, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>), lines };
}

test("records are one JSON line each with ts, level, msg, event first", () => {
  const { logger, lines, records } = capture();
  logger.info("became master", { instance: "VI_1", event: "vrrp.transition" });
  assert.equal(lines.length, 1);
  assert.ok(lines[0]!.endsWith("\n"));
  assert.equal(lines[0]!.trim().split("\n").length, 1);
  assert.deepEqual(Object.keys(records()[0]!), ["ts", "level", "msg", "event", "instance"]);
  assert.deepEqual(records()[0], {
    ts: "1970-01-01T00:00:00.000Z",
    level: "info",
    msg: "became master",
    event: "vrrp.transition",
    instance: "VI_1",
  });
});

test("fields cannot override the head of a record", () => {
  const { logger, records } = capture();
  logger.warn("x", { level: "debug", msg: "forged", ts: "never" });
  assert.deepEqual(records()[0], { ts: "1970-01-01T00:00:00.000Z", level: "warn", msg: "x" });
});

test("debug is off at info level and on at debug level", () => {
  const quiet = capture("info");
  quiet.logger.debug("noise");
  quiet.logger.error("bad");
  assert.deepEqual(
    quiet.records().map((r) => r.level),
    ["error"],
  );
  const loud = capture("debug");
  loud.logger.debug("noise");
  assert.equal(loud.records().length, 1);
});

test("child loggers carry their fields", () => {
  const { logger, records } = capture();
  logger.child({ instance: "VI_1" }).child({ script: "chk" }).info("down");
  assert.equal(records()[0]!.instance, "VI_1");
  assert.equal(records()[0]!.script, "chk");
});

test("secrets are redacted at any depth, whatever the case of the key", () => {
  const config = {
    instances: { VI_1: { auth: { type: "PASS", password: "hunter2" }, vrid: 1 } },
    list: [{ PrivateKey: "-----BEGIN" }, { authPassword: "s3cret" }],
    password: "top",
  };
  const { logger, lines } = capture();
  logger.info("reloaded", { config });
  for (const secret of ["hunter2", "BEGIN", "s3cret", 'top"']) assert.ok(!lines[0]!.includes(secret), secret);
  assert.deepEqual(redact(config), {
    instances: { VI_1: { auth: REDACTED, vrid: 1 } },
    list: [{ PrivateKey: REDACTED }, { authPassword: REDACTED }],
    password: REDACTED,
  });
  // The input is not mutated: the running config keeps its password.
  assert.equal(config.instances.VI_1.auth.password, "hunter2");
});

test("errors, cycles, shared objects and bigints are printable", () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const shared = { x: 1 };
  const err = Object.assign(new Error("boom"), { code: "EPERM" });
  const out = redact({ cyclic, pair: [shared, shared], err, n: 10n });
  assert.deepEqual(out, {
    cyclic: { a: 1, self: "[circular]" },
    pair: [{ x: 1 }, { x: 1 }],
    err: { name: "Error", message: "boom", code: "EPERM", stack: err.stack },
    n: "10",
  });
  const { logger, records } = capture();
  logger.error("failed", { err });
  assert.equal((records()[0]!.err as Record<string, unknown>).name, "Error");
});
