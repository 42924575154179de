import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadKeepalivedConf } from "./load.ts";
import type { Logger } from "../log.ts";

const quiet = { warn: () => undefined } as unknown as Logger;

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
