// A `pulumi up` that fails halfway, through the real CLI: `lvsctl lab up --unreachable rs2` stops one
// real server's sshd before deploying. The engine's error names the resource, host and step; what could
// be deployed was (the director's bundle upload shown as it went); the lab stays inspectable (`lab
// status`) and `lab down` (pulumi destroy of what exists, then the hosts) leaves nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { LabView } from "../../lvsctl/src/lab/observe.ts";
import { assertDownLeftNothing, labSkip as skip, lvsctl, lvsctlJson } from "./lab-cli.ts";

const NAME = `f${process.pid % 1_000_000}`;

test(
  "a failed pulumi up shows the engine's error and leaves the lab inspectable and removable",
  { skip, timeout: 900_000 },
  () => {
    try {
      const up = lvsctl(NAME, "up", "--directors", "1", "--unreachable", "rs2");
      assert.equal(up.code, 1, `lab up should fail:\n${up.out}\n${up.err}`);
      const shown = up.out + up.err;
      // The engine's own error, by resource, host and step; then what to do next.
      assert.match(
        shown,
        /RealServer \(lab-http-rs2\):\n\s+error: host 10\.\d+\.0\.22: step 'connect': cannot reach 10\.\d+\.0\.22:22: connection refused/,
      );
      assert.match(
        shown,
        /pulumi up failed \(above\); the lab is left as it is: lvsctl lab status --name f\d+, then lvsctl lab down/,
      );
      // Nothing half-shown: no stack trace of our own or of the Automation API.
      assert.doesNotMatch(shown, /\n\s+at .*\.(ts|js):\d+/);
      // What did not depend on rs2 was deployed, and the director's install showed its progress.
      assert.match(shown, /done\s+lvs:index:RealServer lab-http-rs1/);
      assert.match(shown, /done\s+lvs:index:Director lab-d1/);
      assert.match(shown, /lab-d1: 10\.\d+\.0\.11: uploading bundle \S+ \(\d+\.\d MiB\)/);
      assert.match(shown, /lab-d1: 10\.\d+\.0\.11: uploaded \d+\.\d MiB in \d+\.\d s/);

      const s = lvsctlJson<LabView>(NAME, "status");
      assert.match(s.phase, /^failed: pulumi up failed/);
      assert.deepEqual(
        s.realServers.map((r) => [r.name, r.reachable]),
        [
          ["rs1", true],
          ["rs2", false],
        ],
      );
      assert.equal(s.realServers[0]!.arpIgnore, "1", "rs1 was prepared");
      assert.equal(s.directors[0]!.state !== "no agent", true, `d1 runs its agent: ${s.directors[0]!.state}`);
    } finally {
      assertDownLeftNothing(NAME);
    }
  },
);
