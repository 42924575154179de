// Runs inside user-mode Linux (host side: lab-netns.test.ts): a kernel with IPVS, as an ordinary
// Debian or Ubuntu machine has, where `lvsctl lab up` makes its directors plain network namespaces
// (no guests) and deploys them with the real Pulumi CLI. Up: both real servers answer through the VIP
// from the namespace directors; failover: the backup serves after the master's agent is killed; down:
// nothing left. The lab's state directory is a tmpfs of this guest, so nothing lands on the host.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { FailoverReport } from "../../lvsctl/src/lab/commands.ts";
import type { LabView } from "../../lvsctl/src/lab/observe.ts";
import { assertDownLeftNothing, lvsctl, lvsctlJson } from "./lab-cli.ts";

const NAME = "nsdir";
const DIR = `/var/lib/lvs-lab/${NAME}`;

/** The lab hosts' logs (sshd, nginx), which live on this guest's tmpfs and go with it. */
function hostLogs(): string {
  if (!existsSync(DIR)) return "";
  return readdirSync(DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(join(DIR, d.name))
        .filter((f) => /\.(out|log)$/.test(f))
        .map((f) => join(DIR, d.name, f)),
    )
    .map((f) => `--- ${f}\n${readFileSync(f, "utf8").slice(-1500)}`)
    .join("\n");
}

test(
  "on a kernel with IPVS, lab directors are namespaces: up, failover, down through the real Pulumi CLI",
  { timeout: 1_200_000 },
  (t) => {
    mkdirSync("/var/lib/lvs-lab", { recursive: true });
    execFileSync("mount", ["-t", "tmpfs", "tmpfs", "/var/lib/lvs-lab"]);
    try {
      const up = lvsctl(NAME, "up");
      t.diagnostic(
        up.out
          .split("\n")
          .filter((l) => /^(lab |phases|VIP )/.test(l))
          .join(" | "),
      );
      assert.equal(up.code, 0, `lab up failed:\n${up.out}\n${up.err}\n${hostLogs()}`);
      assert.match(up.out, /2 director\(s\) \(network namespaces\)/);
      assert.match(up.out, /VIP 10\.\d+\.0\.100 on d1; 40 requests from the client: rs1 \d+, rs2 \d+/);
      // No guest: each director is a namespace of its own, holding its own IPVS table.
      assert.ok(existsSync(`/run/netns/lvslab-${NAME}-d1`) && existsSync(`/run/netns/lvslab-${NAME}-d2`));
      const s = lvsctlJson<LabView>(NAME, "status");
      assert.deepEqual(
        s.directors.map((d) => d.state),
        ["MASTER", "BACKUP"],
      );
      const table = execFileSync("ip", ["netns", "exec", `lvslab-${NAME}-d1`, "ipvsadm", "-Ln"], { encoding: "utf8" });
      assert.match(table, new RegExp(`TCP {2}${s.vip.replaceAll(".", "\\.")}:80 rr`));
      assert.equal(
        execFileSync("ipvsadm", ["-Ln"], { encoding: "utf8" }).includes(s.vip),
        false,
        "the machine's own table is untouched",
      );

      const f = lvsctlJson<FailoverReport>(NAME, "failover", "--crash");
      t.diagnostic(`crash failover: longest gap ${f.timeline.longestGapMs} ms`);
      assert.equal(f.takenOverBy, "d2");
      assert.ok(f.timeline.runs.at(-1)?.ok, "the client is answered at the end");
    } finally {
      assertDownLeftNothing(NAME);
      execFileSync("umount", ["/var/lib/lvs-lab"]);
    }
  },
);
