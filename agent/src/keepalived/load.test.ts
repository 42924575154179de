import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadKeepalivedConf, readRegularFile } from "./load.ts";
import type { Logger } from "../log.ts";

const quiet = { warn: () => undefined } as unknown as Logger;

test("readRegularFile: a regular file within the limit is read; anything else is refused before reading", () => {
  const dir = mkdtempSync(join(tmpdir(), "lvs-load-"));
  try {
    writeFileSync(join(dir, "ok.conf"), "vrrp_version 3\n");
    writeFileSync(join(dir, "big.conf"), "x".repeat(101));
    execFileSync("mkfifo", [join(dir, "fifo")]);
    assert.equal(readRegularFile(join(dir, "ok.conf"), 100), "vrrp_version 3\n");
    assert.throws(() => readRegularFile(join(dir, "big.conf"), 100), /larger than 100 bytes \(101\)/);
    assert.throws(() => readRegularFile("/dev/zero", 100), /not a regular file \(a character device\)/);
    // Opened without O_NONBLOCK, a FIFO with no writer would block this test for ever.
    assert.throws(() => readRegularFile(join(dir, "fifo"), 100), /not a regular file \(a FIFO\)/);
    assert.throws(() => readRegularFile(dir, 100), /not a regular file \(a directory\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("loadKeepalivedConf: /dev/zero and a bad pattern are problems with file:line, never a throw", async () => {
  const dir = mkdtempSync(join(tmpdir(), "lvs-load-"));
  try {
    const conf = join(dir, "keepalived.conf");
    writeFileSync(conf, `global_defs {\n  router_id a\n}\ninclude /dev/zero\ninclude ${dir}/[x\n`);
    const r = await loadKeepalivedConf(conf, quiet, { configId: "a" });
    assert.equal(r.ok, false);
    assert.ok(!r.ok);
    assert.deepEqual(
      r.problems.map((p) => p.split(": ")[0]),
      [`${conf}:4`, `${conf}:5`],
    );
    assert.match(r.problems[0]!, /cannot read \/dev\/zero: not a regular file \(a character device\)/);
    assert.match(r.problems[1]!, /is not a valid pattern/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
