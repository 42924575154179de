// readRegularFile against real files, a device, a FIFO and a directory of this machine.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readRegularFile } from "./regular-file.ts";

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
