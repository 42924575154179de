// MISC_CHECK with real scripts: exit codes, misc_dynamic weights 2..255, the unprivileged user it runs
// as, timeouts that kill the script's process group, and refusal of a script others could change.
// No network is involved, so the checks run in the test process itself (as root, like the agent).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HealthCheck } from "../../agent/src/config/health-checks.ts";
import { HealthChecker, runHealthCheckOnce } from "../../agent/src/health/checker.ts";
import type { HealthResult } from "../../agent/src/health/core.ts";
import { createLogger } from "../../agent/src/log.ts";
import { isRoot } from "../helpers/netns.ts";

let dir: string;
let out: string;
const target = { address: "192.0.2.10", port: 80 };
const quiet = createLogger({ write: () => true }, { level: "error" });

/** A root-owned script in a root-owned 0755 directory (what runas.ts accepts). */
function script(name: string, body: string, mode = 0o755): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, mode);
  return path;
}

/** The exit code the `code` script returns next (a file nobody can read but not change). */
function setCode(code: number): void {
  writeFileSync(join(dir, "code"), `${code}\n`);
  chmodSync(join(dir, "code"), 0o644);
}

before(() => {
  if (!isRoot) return;
  dir = mkdtempSync(join(tmpdir(), "lvs-check-script-"));
  chmodSync(dir, 0o755);
  // Where the scripts (running as nobody) report what they saw: sticky and world-writable, like /tmp.
  out = join(dir, "out");
  mkdirSync(out);
  chmodSync(out, 0o1777);
  script("code.sh", `id -u > ${out}/uid; id -g > ${out}/gid; exit $(cat ${dir}/code)`);
  script("sleepy.sh", `echo $$ > ${out}/pid; sleep 30`);
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const skip = !isRoot && "needs root to run scripts as another user";
const check = (over: Record<string, unknown> = {}) =>
  HealthCheck.parse({ type: "script", script: `${dir}/code.sh`, retries: 0, ...over });

test("exit 0 up, anything else down; runs as nobody (uid 65534)", { skip }, async () => {
  setCode(0);
  const up = await runHealthCheckOnce(check(), target);
  assert.deepEqual([up.ok, up.detail], [true, "exit 0"]);
  assert.equal(readFileSync(join(out, "uid"), "utf8").trim(), "65534");
  assert.equal(readFileSync(join(out, "gid"), "utf8").trim(), "65534");
  for (const code of [1, 2, 100, 255]) {
    setCode(code);
    const r = await runHealthCheckOnce(check(), target);
    assert.deepEqual([r.ok, r.detail, r.weight], [false, `exit ${code}`, undefined], `exit ${code}`);
  }
});

test("dynamicWeight: 1 down, 2..255 up with weight code - 2", { skip }, async () => {
  const seen: Array<[number, boolean, number | undefined]> = [];
  for (const code of [0, 1, 2, 3, 52, 254, 255]) {
    setCode(code);
    const r = await runHealthCheckOnce(check({ dynamicWeight: true }), target);
    seen.push([code, r.ok, r.weight]);
  }
  assert.deepEqual(seen, [
    [0, true, undefined],
    [1, false, undefined],
    [2, true, 0],
    [3, true, 1],
    [52, true, 50],
    [254, true, 252],
    [255, true, 253],
  ]);
});

test("a script past its timeout is killed with its process group, and counts as down", { skip }, async () => {
  const r = await runHealthCheckOnce(check({ script: `${dir}/sleepy.sh`, timeout: 0.3 }), target);
  assert.deepEqual([r.ok, r.detail], [false, "timed out after 300 ms"]);
  assert.ok(r.ms >= 295 && r.ms < 5000, `took ${r.ms} ms`);
  const pid = Number(readFileSync(join(out, "pid"), "utf8"));
  await new Promise((res) => setTimeout(res, 100));
  assert.equal(existsSync(`/proc/${pid}`), false, "the script is gone");
});

test("retries re-run the script delayBeforeRetry apart", { skip }, async () => {
  setCode(1);
  const r = await runHealthCheckOnce(check({ retries: 2, delayBeforeRetry: 0.2 }), target);
  assert.equal(r.detail, "exit 1 (attempt 3 of 3)");
  assert.ok(r.ms >= 395 && r.ms < 5000, `took ${r.ms} ms`);
});

test("a script others could change is not run at all", { skip }, async () => {
  const open = script("open.sh", `touch ${out}/ran; exit 0`, 0o777);
  chmodSync(open, 0o777); // umask may have trimmed it
  const r = await runHealthCheckOnce(check({ script: open }), target);
  assert.equal(r.ok, false);
  assert.match(r.detail, /^not run: script .* is world-writable$/);
  assert.equal(existsSync(join(out, "ran")), false);
});

test(
  "a HealthChecker reports dynamic weight changes while up, and keeps the weight over exit 0",
  { skip },
  async () => {
    const changes: Array<[boolean, number | undefined]> = [];
    const results: HealthResult[] = [];
    setCode(12);
    const hc = new HealthChecker({
      cfg: check({ dynamicWeight: true, interval: 0.15 }),
      target,
      log: quiet,
      onChange: (up, r) => changes.push([up, r.weight]),
      onResult: (r) => results.push(r),
    });
    const step = async (code: number, n: number) => {
      setCode(code);
      const want = results.length + n;
      while (results.length < want) await new Promise((res) => setTimeout(res, 10));
    };
    hc.start();
    await step(12, 1); // up, weight 10
    await step(0, 2); // still weight 10: no change
    await step(22, 2); // weight 20
    await step(1, 2); // down
    await step(0, 2); // up again with the weight it had
    await hc.stop();
    assert.deepEqual(changes, [
      [true, 10],
      [true, 20],
      [false, undefined],
      [true, 20],
    ]);
  },
);
