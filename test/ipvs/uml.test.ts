// Host side of the IPVS tests: the host kernel has no IPVS, so the *.uml.ts files beside this one run
// inside user-mode Linux (test/uml/run.ts), all in one boot. Their output is shown when they fail.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { findUmlKernel, runInUml } from "../uml/run.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
const files = readdirSync(here)
  .filter((f) => f.endsWith(".uml.ts"))
  .sort()
  .map((f) => `${here}${f}`);
const kernel = findUmlKernel();

test(
  "IPVS inside user-mode Linux: IpvsClient and the agent (services, DR/NAT traffic, failover with sync, drift, bad reloads), checked with ipvsadm",
  { skip: kernel ? false : "linux.uml not found: apt-get install user-mode-linux (the host kernel has no IPVS)", timeout: 240_000 },
  async (t) => {
    assert.ok(files.length > 0, `no *.uml.ts files in ${here}`);
    const r = await runInUml({ files, timeoutMs: 180_000 });
    t.diagnostic(`UML timings (ms): ${JSON.stringify(r.timings)}`);
    assert.equal(r.code, 0, `tests inside UML failed (exit ${r.code}):\n${r.output}`);
  },
);
