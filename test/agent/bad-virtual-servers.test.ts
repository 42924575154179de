// The bad virtual servers of the reload test (test/ipvs/helpers/bad-reloads.ts) that need no kernel to
// find, each on its own: `lvs-agent validate` on the running config plus the bad fragment exits 1 and
// names the virtual server and field. The real agent's reload of them, and the untouched IPVS table,
// are shown inside user-mode Linux (test/ipvs/agent-reload.uml.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { AGENT_MAIN } from "./fixtures/ops.ts";
import { BAD, BASE } from "../ipvs/helpers/bad-reloads.ts";

for (const bad of BAD.filter((b) => !b.kernel)) {
  test(`${bad.what}: lvs-agent validate exits 1 naming the virtual server`, () => {
    const dir = mkdtempSync("/tmp/lvs-bad-vs-");
    try {
      mkdirSync(join(dir, "conf.d"));
      writeFileSync(join(dir, "conf.d/00-base.json"), JSON.stringify({ virtualServers: BASE }));
      writeFileSync(join(dir, "conf.d/10-bad.json"), JSON.stringify({ virtualServers: bad.vss }));
      const r = spawnSync(
        process.execPath,
        ["--import", "tsx", AGENT_MAIN, "validate", "--config-dir", join(dir, "conf.d")],
        { encoding: "utf8" },
      );
      assert.equal(r.status, 1, `validate should fail:\n${r.stdout}${r.stderr}`);
      for (const s of bad.says) assert.ok(r.stderr.includes(s), `"${s}" not in:\n${r.stderr}`);
      assert.match(r.stderr, /10-bad\.json/, "the fragment is named");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
