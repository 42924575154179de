// Which file-backend locks lvsctl removes: the pure decision with a made-up machine, then the I/O shell on
// a backend directory laid out as the file backend lays it out, against this machine's real processes.
import { test } from "node:test";
import { spawn } from "node:child_process";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { goneBecause, processStart, removeDeadLocks, stackLocks, type Here, type StackLock } from "./stack-lock.ts";

const T = Date.parse("2026-12-04T10:00:00Z");
const lock = (o: Partial<StackLock>): StackLock => ({
  path: "/x.json",
  pid: 4242,
  username: "root",
  hostname: "ci-1",
  takenAt: T,
  ...o,
});
const machine = (starts: Record<number, number>): Here => ({ hostname: "ci-1", processStart: (pid) => starts[pid] });

test("a lock is gone only when taken here and its pid is not running, or runs a process started later", () => {
  assert.equal(goneBecause(lock({}), machine({})), "pid 4242 is not running");
  assert.equal(goneBecause(lock({}), machine({ 4242: T - 3000 })), undefined, "the locking run itself");
  assert.equal(goneBecause(lock({}), machine({ 4242: T + 1500 })), undefined, "within btime's granularity");
  assert.equal(goneBecause(lock({}), machine({ 4242: T + 60_000 })), "pid 4242 is another process now");
  assert.equal(goneBecause(lock({ hostname: "ci-2" }), machine({})), undefined, "another machine's: cannot tell");
  assert.equal(goneBecause(lock({ pid: 0 }), machine({})), undefined, "no pid: cannot tell");
});

test("processStart reads this process's start from /proc, and nothing for a pid that cannot exist", () => {
  const start = processStart(process.pid)!;
  const up = Date.now() - performance.now(); // when this process's clock began
  assert.ok(Math.abs(start - up) < 5000, `${new Date(start).toISOString()} vs ${new Date(up).toISOString()}`);
  const pidMax = Number(readFileSync("/proc/sys/kernel/pid_max", "utf8"));
  assert.equal(processStart(pidMax), undefined);
});

test("a zombie (killed, not reaped) is not running", async () => {
  // A parent that never waits: its child, which exits at once, stays a zombie for the parent's life.
  const script = "import os, time\npid = os.fork()\nif pid == 0: os._exit(0)\nprint(pid, flush=True)\ntime.sleep(30)";
  const parent = spawn("python3", ["-c", script], { stdio: ["ignore", "pipe", "ignore"] });
  try {
    const pid = Number(
      await new Promise<string>((resolve) => parent.stdout.once("data", (b: Buffer) => resolve(`${b}`))),
    );
    const state = () => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];
    for (let i = 0; i < 500 && state() !== "Z"; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(state(), "Z", "the child is a zombie");
    assert.equal(processStart(pid), undefined);
  } finally {
    parent.kill("SIGKILL");
  }
});

test("removeDeadLocks removes a dead or reused pid's lock of this machine and keeps the rest", (t) => {
  const state = mkdtempSync(join(tmpdir(), "lvs-lock-"));
  t.after(() => rmSync(state, { recursive: true, force: true }));
  const dir = join(state, ".pulumi/locks/organization/lvs-cluster/site-a");
  mkdirSync(dir, { recursive: true });
  const pidMax = Number(readFileSync("/proc/sys/kernel/pid_max", "utf8"));
  const write = (id: string, pid: number, host: string, at: number) =>
    writeFileSync(
      join(dir, `${id}.json`),
      JSON.stringify({ pid, username: "root", hostname: host, timestamp: new Date(at).toISOString() }),
    );
  write("dead", pidMax, hostname(), Date.now());
  write("reused", process.pid, hostname(), Date.now() - 3600_000);
  write("live", process.pid, hostname(), Date.now());
  write("elsewhere", pidMax, "another-machine", Date.now());
  writeFileSync(join(dir, "garbled.json"), "{");
  mkdirSync(join(state, ".pulumi/locks/organization/lvs-cluster/site-b"));
  writeFileSync(join(state, ".pulumi/locks/organization/lvs-cluster/site-b/other.json"), "{}");

  assert.equal(stackLocks(state, "lvs-cluster", "site-a").length, 4, "the garbled file is no lock");
  const said = removeDeadLocks(pathToFileURL(state).href, "lvs-cluster", "site-a");
  assert.equal(said.length, 2);
  assert.match(said[0]!, new RegExp(`^removed stack site-a's lock left by a run that is gone \\(root@`));
  assert.ok(said.some((s) => s.includes(`pid ${pidMax} is not running`)));
  assert.ok(said.some((s) => s.includes(`pid ${process.pid} is another process now`)));
  assert.deepEqual(
    ["dead", "reused", "live", "elsewhere", "garbled"].map((id) => existsSync(join(dir, `${id}.json`))),
    [false, false, true, true, true],
  );
  assert.ok(existsSync(join(state, ".pulumi/locks/organization/lvs-cluster/site-b/other.json")), "another stack's");
  assert.deepEqual(removeDeadLocks("s3://bucket/state", "lvs-cluster", "site-a"), [], "not a file backend");
});
