import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import {
  EXIT_TIMEOUT,
  findUmlKernel,
  jobTimeoutS,
  parseTimings,
  runInUml,
  umlKernelArgs,
  type UmlRunResult,
} from "./run.ts";

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
const noKernel = findUmlKernel() ? false : "linux.uml not found: apt-get install user-mode-linux";

test("the kernel command line: the hostfs recipe of test/uml/README.md, parameters as space-free KEY=VALUE", () => {
  const argv = ["/usr/bin/node", "--test", "/work/a b.ts"];
  const args = umlKernelArgs({ memMb: 512, runDir: "/tmp/lvs-uml-x", cwd: "/work/main", argv, jobTimeoutS: 60 });
  for (const fixed of [
    "mem=512M",
    "root=/dev/root",
    "rootfstype=hostfs",
    "rootflags=/",
    "rw",
    "con0=null,fd:1",
    "con=null",
  ]) {
    assert.ok(args.includes(fixed), fixed);
  }
  assert.ok(args.every((a) => !/\s/.test(a)));
  const param = (k: string) => args.find((a) => a.startsWith(`${k}=`))?.slice(k.length + 1) ?? "";
  assert.match(param("init"), /\/test\/uml\/init\.sh$/);
  assert.equal(param("UML_RUN_DIR"), "/tmp/lvs-uml-x");
  assert.equal(Buffer.from(param("UML_ARGV_B64"), "base64").toString(), argv.join("\n"));
  assert.equal(Buffer.from(param("UML_CWD_B64"), "base64").toString(), "/work/main");
  assert.equal(param("UML_TIMEOUT_S"), "60");
  assert.throws(
    () => umlKernelArgs({ memMb: 1, runDir: "/tmp/a b", cwd: "/", argv: [], jobTimeoutS: 1 }),
    /whitespace/,
  );
  assert.throws(
    () => umlKernelArgs({ memMb: 1, runDir: "/tmp/a", cwd: "/", argv: ["x\ny"], jobTimeoutS: 1 }),
    /newlines/,
  );
});

test("the guest's job limit leaves time to boot and report", () => {
  assert.equal(jobTimeoutS(180_000), 165);
  assert.equal(jobTimeoutS(30_000), 15);
  assert.equal(jobTimeoutS(8000), 4);
  assert.equal(jobTimeoutS(1000), 1);
});

test("timings from the guest's uptime stamps", () => {
  assert.deepEqual(parseTimings("init 1.25\nready 1.75\ndone 4.5\n"), { bootMs: 1250, setupMs: 500, jobMs: 2750 });
  assert.deepEqual(parseTimings("init 1.25\n"), { bootMs: 1250, setupMs: undefined, jobMs: undefined });
  assert.deepEqual(parseTimings(""), { bootMs: undefined, setupMs: undefined, jobMs: undefined });
});

/** linux.uml processes orphaned to PID 1: what a UML that did not clean up after itself leaves. */
function orphanedUmlPids(): Set<number> {
  const out = new Set<number>();
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const m = /^\d+ \((.*)\) \S+ (\d+)/.exec(stat);
      if (m?.[1] === "linux.uml" && m[2] === "1") out.add(Number(pid));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

function assertCleanedUp(r: UmlRunResult, orphansBefore: Set<number>): void {
  assert.ok(!existsSync(r.runDir), `${r.runDir} left behind`);
  assert.ok(!existsSync(`/proc/${r.umlPid}`), `linux.uml ${r.umlPid} still running`);
  const orphans = [...orphanedUmlPids()].filter((p) => !orphansBefore.has(p));
  assert.deepEqual(orphans, [], "UML helper processes left behind");
}

test(
  "a passing file (run through tsx): exit 0, its output, no leftovers",
  { skip: noKernel, timeout: 120_000 },
  async () => {
    const before = orphanedUmlPids();
    const r = await runInUml({ files: [fixture("pass.uml.ts")], timeoutMs: 90_000, mode: "tsx" });
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /fixture: IPVS is loaded in the guest/);
    assert.ok((r.timings.bootMs ?? 0) > 0 && (r.timings.jobMs ?? 0) > 0, JSON.stringify(r.timings));
    assertCleanedUp(r, before);
  },
);

test(
  "a failing file (bundled): its exit code, and the failure located in the .ts source",
  { skip: noKernel, timeout: 120_000 },
  async () => {
    const r = await runInUml({ files: [fixture("fail.uml.ts")], timeoutMs: 90_000 });
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /FIXTURE-FAILURE-MARKER/);
    assert.match(r.output, /fail\.uml\.ts:6:\d+/);
  },
);

test("a hanging job is stopped by the guest, which still reports", { skip: noKernel, timeout: 60_000 }, async () => {
  const started = Date.now();
  const r = await runInUml({ files: [fixture("hang.uml.ts")], timeoutMs: 30_000 });
  assert.equal(r.code, EXIT_TIMEOUT, r.output);
  assert.match(r.output, /ran out of its 15 s/);
  assert.doesNotMatch(
    r.output,
    /and was stopped; kernel console/,
    "the guest reported itself: the host's backstop was not needed",
  );
  assert.ok(Date.now() - started < 30_000);
});

test(
  "a guest that never reports is stopped by the host with SIGTERM",
  { skip: noKernel, timeout: 60_000 },
  async () => {
    const before = orphanedUmlPids();
    const r = await runInUml({ files: [fixture("pass.uml.ts")], timeoutMs: 3000, init: fixture("hang-init.sh") });
    assert.equal(r.code, EXIT_TIMEOUT);
    assert.match(r.output, /timed out after 3000 ms and was stopped/);
    assertCleanedUp(r, before);
  },
);
