import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processAlive as alive } from "../../../test/helpers/procs.ts";
import {
  ABSENT,
  STDIN_SCRIPT,
  readFileScript,
  remoteCommand,
  remotePathProblem,
  shQuote,
  spareCommand,
  spareInput,
  writeFileScript,
} from "./commands.ts";

// The scripts are run here by the local /bin/sh: the same POSIX shell and coreutils a Debian host has.
const dir = mkdtempSync(join(tmpdir(), "lvs-commands-"));
after(() => rmSync(dir, { recursive: true, force: true }));
/** Running (a zombie awaiting its reaper is not). */
const sh = (script: string, input?: string) => spawnSync("sh", ["-c", script], { input, encoding: "utf8" });

test("shQuote survives the shell for awkward strings", () => {
  for (const s of ["plain", "", "it's", "a b", "$(id)", "`x`", "\\n", "multi\nline", "'", "--flag", "*"]) {
    assert.equal(execFileSync("sh", ["-c", `printf %s ${shQuote(s)}`], { encoding: "utf8" }), s, s);
  }
  assert.equal(shQuote("/etc/lvs-agent/conf.d/a.json"), "/etc/lvs-agent/conf.d/a.json");
});

test("remoteCommand: the command runs unchanged under timeout, through sudo -n when privileged", () => {
  assert.equal(
    remoteCommand("id -u", { sudo: false, killAfterS: 121 }),
    "umask 022; exec timeout -s KILL 121 sh -c 'id -u'",
  );
  assert.equal(
    remoteCommand("id -u", { sudo: true, killAfterS: 1.5 }),
    "umask 022; exec sudo -n -- timeout -s KILL 1.5 sh -c 'id -u'",
  );
  const cmd = `echo 'a b' "$HOME"; cat`;
  const r = sh(remoteCommand(cmd, { sudo: false, killAfterS: 5 }), "stdin\n");
  assert.deepEqual([r.status, r.stdout], [0, sh(cmd, "stdin\n").stdout]);
});

test("remoteCommand: past its deadline the command and its children are killed", () => {
  const t0 = Date.now();
  // The child writes its PID, then both would sleep for a minute.
  const r = sh(remoteCommand(`sh -c 'echo $$; exec sleep 61.3' & sleep 62.4`, { sudo: false, killAfterS: 0.3 }));
  const ms = Date.now() - t0;
  // timeout SIGKILLs its whole process group, itself included; exec'd, it is the shell sshd started.
  assert.equal(r.signal, "SIGKILL", r.stderr);
  // Far below the 61 s the command would take, with room for a loaded machine.
  assert.ok(ms >= 290 && ms < 30_000, `took ${ms} ms`);
  const child = Number(r.stdout.trim());
  assert.ok(child > 0);
  // SIGKILL sent to the whole group takes effect as each member next runs: allow it a moment.
  const deadline = Date.now() + 5000;
  while (alive(child) && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  assert.ok(!alive(child), "the background child is gone too");
});

test("a spare channel's command runs what it is sent as remoteCommand would: output, status, stdin empty, deadline", () => {
  const spare = (input: string) => spawnSync("/bin/sh", ["-c", spareCommand(false)], { input, encoding: "utf8" });
  const r = spare(spareInput(`echo "$((1+2)) 'q'"; cat; echo err >&2; exit 7`, 5));
  assert.deepEqual([r.status, r.stdout, r.stderr], [7, "3 'q'\n", "err\n"]);
  assert.deepEqual([spare("").status, spare("").stdout], [0, ""], "closed unused: runs nothing");
  const t0 = Date.now();
  const late = spare(spareInput("sleep 30", 0.3));
  assert.equal(late.signal, "SIGKILL");
  assert.ok(Date.now() - t0 < 10_000);
});

test("a host whose sessions start with umask 000: what a command or a spare channel creates is writable by its owner alone", () => {
  const dir = mkdtempSync(join(tmpdir(), "lvs-umask-"));
  try {
    const made = (name: string) => `mkdir -p ${dir}/${name}/sub && : > ${dir}/${name}/sub/f`;
    const loose = (script: string, input?: string) =>
      spawnSync("sh", ["-c", `umask 000; ${script}`], { input, encoding: "utf8" });
    assert.equal(loose(remoteCommand(made("cmd"), { sudo: false, killAfterS: 5 })).status, 0);
    assert.equal(loose(spareCommand(false), spareInput(made("spare"), 5)).status, 0);
    for (const name of ["cmd", "spare"])
      for (const [p, mode] of [
        [`${name}/sub`, 0o755],
        [`${name}/sub/f`, 0o644],
      ] as const)
        assert.equal(statSync(join(dir, p)).mode & 0o777, mode, p);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("remote paths: absolute, no newline, not a directory", () => {
  assert.equal(remotePathProblem("/etc/x"), undefined);
  assert.match(remotePathProblem("etc/x")!, /absolute/);
  assert.match(remotePathProblem("/etc/a\nb")!, /newline/);
  assert.match(remotePathProblem("/etc/")!, /directory/);
});

test("writeFileScript writes stdin with the mode and leaves no temp file", () => {
  const p = join(dir, "w 1.conf");
  writeFileSync(p, "old");
  const r = sh(writeFileScript(p, 0o640), "new\ncontent with 'quotes' and $vars\n");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readFileSync(p, "utf8"), "new\ncontent with 'quotes' and $vars\n");
  assert.equal(statSync(p).mode & 0o777, 0o640);
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.includes(".lvs-")),
    [],
  );
});

test("writeFileScript replaces by rename: the old inode is untouched, a reader holding it sees the old file", () => {
  const p = join(dir, "inode.conf");
  writeFileSync(p, "before");
  const before = statSync(p).ino;
  assert.equal(sh(writeFileScript(p, 0o644), "after").status, 0);
  assert.notEqual(statSync(p).ino, before);
});

test("writeFileScript fails cleanly: missing directory, target is a directory; no temp file left", () => {
  const missing = sh(writeFileScript(join(dir, "nope", "x"), 0o644), "x");
  assert.notEqual(missing.status, 0);
  mkdirSync(join(dir, "adir"));
  const isDir = sh(writeFileScript(join(dir, "adir"), 0o644), "x");
  assert.notEqual(isDir.status, 0);
  assert.match(isDir.stderr, /is a directory/);
  assert.deepEqual(readdirSync(join(dir, "adir")), []);
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.includes(".lvs-")),
    [],
  );
});

test("readFileScript: content, empty, absent (its own exit code), a directory is an error", () => {
  writeFileSync(join(dir, "r"), "hello");
  writeFileSync(join(dir, "empty"), "");
  assert.deepEqual(
    [sh(readFileScript(join(dir, "r"))).status, sh(readFileScript(join(dir, "r"))).stdout],
    [0, "hello"],
  );
  assert.deepEqual(
    [sh(readFileScript(join(dir, "empty"))).status, sh(readFileScript(join(dir, "empty"))).stdout],
    [0, ""],
  );
  assert.equal(sh(readFileScript(join(dir, "absent"))).status, ABSENT);
  const d = sh(readFileScript(dir));
  assert.notEqual(d.status, 0);
  assert.notEqual(d.status, ABSENT);
});

test("STDIN_SCRIPT runs a script too long to be an argument, its commands' stdin empty", () => {
  const script = `# ${"y".repeat(200 * 1024)}\necho "$((2+3))"; cat; exit 4`;
  const r = spawnSync("/bin/sh", ["-c", STDIN_SCRIPT], { input: script, encoding: "utf8" });
  assert.deepEqual([r.status, r.stdout], [4, "5\n"]);
});
