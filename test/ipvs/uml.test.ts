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
 * One file's limit, boot included: it only stops a hung guest, so it is set well above the slowest runs
 * seen. On this 2-core lab a file took up to 29 s of guest time when quiet and up to 104 s
 * (agent-drift.uml.ts) in the fresh-clone CI runs; 480 s is 4.6x that, for CPUs on which UML's ptrace
 * round trips cost more (seen: AMD EPYC).
 */
const FILE_LIMIT_MS = 480_000;

test("the *.uml.ts files exist", () => assert.ok(files.length > 0, `no *.uml.ts files in ${here}`));

for (const file of files) {
  test(`inside user-mode Linux: ${file}`, { skip, timeout: FILE_LIMIT_MS + 30_000 }, async (t) => {
    const r = await runInUml({ files: [`${here}${file}`], timeoutMs: FILE_LIMIT_MS });
    t.diagnostic(
      `UML ${file}: job ${r.timings.jobMs ?? "?"} ms of a ${FILE_LIMIT_MS} ms limit; ${JSON.stringify(r.timings)}`,
    );
    assert.equal(r.code, 0, `${file} failed inside UML (exit ${r.code}):\n${r.output}`);
  });
}
