// Host side of lab-netns.uml.ts: this machine's kernel has no IPVS, so the lab with namespace directors
// (what `lvsctl lab up` makes on an ordinary Debian or Ubuntu kernel) is tested inside user-mode Linux,
// whose kernel has it. The agent bundle is built here first: building it inside the guest is slow.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { buildBundle } from "../../lvsctl/src/lab/up.ts";
import { runInUml } from "../uml/run.ts";
import { labSkip } from "./lab-cli.ts";

const FILE = fileURLToPath(new URL("./lab-netns.uml.ts", import.meta.url));
/** Only stops a hung guest. */
const LIMIT_MS = 1_200_000;

test(
  "the lab with namespace directors, inside user-mode Linux",
  { skip: labSkip, timeout: LIMIT_MS + 60_000 },
  async (t) => {
    buildBundle(() => undefined);
    const r = await runInUml({ files: [FILE], timeoutMs: LIMIT_MS, memMb: 3072, mode: "tsx" });
    t.diagnostic(`UML: job ${r.timings.jobMs ?? "?"} ms of a ${LIMIT_MS} ms limit`);
    assert.equal(r.code, 0, `inside UML (exit ${r.code}):\n${r.output}`);
  },
);
