// The lock's shell run by a real /bin/sh: taken, refused while its owner lives, broken when the
// owner's session is gone. (Held through real sshd sessions in test/provider: fragments.test.ts.)
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Connection } from "./connection.ts";
import { HostSession, type Remote } from "./executor.ts";
import { LOCK_BUSY, lockScript, unlockScript, withLocks } from "./lock.ts";

const tmp = mkdtempSync(join(tmpdir(), "lvs-lock-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const sh = (script: string) => spawnSync("/bin/sh", ["-c", script], { encoding: "utf8" });

describe("the lock", () => {
  it("is taken, refused while its owner lives, released only by its owner", () => {
    const lock = join(tmp, "l1", "host-prep.lock");
    assert.equal(sh(lockScript(lock)).status, 0);
    assert.ok(existsSync(join(lock, "owner")));
    // Outside sshd the owner is unknown ("1"): a second taker waits, then gives up.
    const busy = sh(lockScript(lock, 0.4));
    assert.equal(busy.status, LOCK_BUSY);
    assert.match(busy.stderr, /another operation holds .*host-prep\.lock/);
    // The holder is named once as the wait begins (a stopped wait still says it), once as it ends.
    assert.equal(
      busy.stderr.match(/^waiting: another operation holds .*host-prep\.lock \(session 1, for \d+ s\)$/gm)?.length,
      1,
    );
    writeFileSync(join(lock, "owner"), `${process.pid}\n`);
    assert.equal(sh(unlockScript(lock)).status, 0);
    assert.ok(existsSync(lock), "not ours: left alone");
  });

  it("is broken when its owner's session is gone", () => {
    const lock = join(tmp, "l2", "host-prep.lock");
    mkdirSync(lock, { recursive: true });
    const dead = spawnSync("true").pid!;
    writeFileSync(join(lock, "owner"), `${dead}\n`);
    const t0 = Date.now();
    assert.equal(sh(lockScript(lock, 5)).status, 0);
    assert.ok(Date.now() - t0 < 2000);
    assert.equal(readFileSync(join(lock, "owner"), "utf8"), "1\n");
    assert.equal(sh(unlockScript(lock)).status, 0);
    assert.ok(!existsSync(lock));
  });
});

describe("a lock's age", () => {
  it("breaks a lock whose owner is unknown once it is stale, never one a live session holds", () => {
    const lock = join(tmp, "l3", "host-prep.lock");
    mkdirSync(lock, { recursive: true });
    writeFileSync(join(lock, "owner"), `${process.pid}\n`);
    sh(`touch -d '1 hour ago' ${lock}`);
    assert.equal(sh(lockScript(lock, 0.4, 60)).status, LOCK_BUSY, "a live owner keeps it however old");
    writeFileSync(join(lock, "owner"), "1\n");
    sh(`touch -d '1 hour ago' ${lock}`);
    assert.equal(sh(lockScript(lock, 5, 60)).status, 0, "an unknown owner's stale lock is broken");
  });
});

describe("a hostile lock path", () => {
  it("is only ever data: the busy message names it without running what it holds", () => {
    // A configDir may hold $(...), backticks, quotes (Check accepts any absolute path): the shell must
    // never run them, also on the path where the lock is busy and the message names it.
    for (const name of ["lk$(touch m1)", "lk`touch m2`", "lk'$(touch m3)'", 'lk"$(touch m4)"']) {
      const dir = mkdtempSync(join(tmp, "hostile-"));
      const lock = join(dir, name);
      mkdirSync(lock);
      writeFileSync(join(lock, "owner"), `${process.pid}\n`);
      const r = spawnSync("/bin/sh", ["-c", lockScript(lock, 0.2)], { encoding: "utf8", cwd: dir });
      assert.equal(r.status, LOCK_BUSY, r.stderr);
      assert.ok(r.stderr.includes(`another operation holds ${lock} `), r.stderr);
      assert.deepEqual(readdirSync(dir), [name], `${name}: no command ran`);
    }
  });
});

describe("a lock that cannot be made", () => {
  it("fails at once with mkdir's own words instead of waiting as if it were held", () => {
    const t0 = Date.now();
    const r = sh(lockScript("/proc/lvs-no-such-dir/x.lock", 5));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /mkdir: cannot create directory/);
    assert.ok(Date.now() - t0 < 2000);
  });
});

describe("withLocks", () => {
  /** Hosts whose commands are only recorded: "lock <path>" or "unlock <path>" per host. */
  function hosts(names: string[], log: string[]) {
    return names.map((name) => {
      const record = async (cmd: string) => {
        const path = /mkdir (\S+) 2>/.exec(cmd)?.[1] ?? /rm -rf (\S+);/.exec(cmd)?.[1];
        log.push(`${cmd.includes("while ! mkdir") ? "lock" : "unlock"} ${name}:${path}`);
        return { code: 0, stdout: "", stderr: "" };
      };
      const remote: Remote = {
        label: name,
        exec: record,
        check: async (c) => (await record(c)).stdout,
        writeFile: async () => {},
        readFile: async () => undefined,
        close: async () => {},
      };
      return new HostSession(Connection.parse({ host: name, password: "pw", insecureIgnoreHostKey: true }), remote);
    });
  }

  it("takes each lock once, in key order whatever the hosts' order, and releases them when fn fails", async () => {
    const log: string[] = [];
    const hs = hosts(["10.0.0.12", "10.0.0.11", "10.0.0.12"], log);
    await assert.rejects(
      withLocks(
        hs,
        ["/a/.l", "/a/.l", "/a/.l"],
        (h) => h.host,
        async () => {
          log.push("fn");
          throw new Error("boom");
        },
      ),
      /boom/,
    );
    assert.deepEqual(log.slice(0, 3), ["lock 10.0.0.11:/a/.l", "lock 10.0.0.12:/a/.l", "fn"]);
    assert.deepEqual(log.slice(3).sort(), ["unlock 10.0.0.11:/a/.l", "unlock 10.0.0.12:/a/.l"]);
  });
});
