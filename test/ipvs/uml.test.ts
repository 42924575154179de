// Host side of the IPVS tests: the host kernel has no IPVS, so each *.uml.ts file beside this one runs
// inside user-mode Linux (test/uml/run.ts), one boot per file, so no guest job carries the whole suite's
// budget. Each file's output is shown when it fails; its timings are printed either way.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { findUmlKernel, runInUml } from "../uml/run.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
const files = readdirSync(here)
  .filter((f) => f.endsWith(".uml.ts"))
  .sort();
const kernel = findUmlKernel();
const skip = kernel ? false : "linux.uml not found: apt-get install user-mode-linux (the host kernel has no IPVS)";

/**
 * One file's limit, boot included. The slowest file (agent-failover.uml.ts) took 20-29 s of guest time on
 * this 2-core lab when quiet, 69 s with a Go build beside it and 82 s in one fresh-clone CI run; 240 s
 * is 2.9x the slowest seen, for CPUs on which UML's ptrace round trips cost more (seen: AMD EPYC).
 */
const FILE_LIMIT_MS = 240_000;

test("the *.uml.ts files exist", () => assert.ok(files.length > 0, `no *.uml.ts files in ${here}`));

for (const file of files) {
  test(`inside user-mode Linux: ${file}`, { skip, timeout: FILE_LIMIT_MS + 30_000 }, async (t) => {
    const r = await runInUml({ files: [`${here}${file}`], timeoutMs: FILE_LIMIT_MS });
    t.diagnostic(`UML ${file}: job ${r.timings.jobMs ?? "?"} ms of a ${FILE_LIMIT_MS} ms limit; ${JSON.stringify(r.timings)}`);
    assert.equal(r.code, 0, `${file} failed inside UML (exit ${r.code}):\n${r.output}`);
  });
}
