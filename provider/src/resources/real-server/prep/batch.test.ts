// Batches run by a real /bin/sh in a temporary directory: files written atomically with any content,
// progress markers, the stop at the first failure, rollbacks going on past failures.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BATCH_FILE_MODE, batchScript, parseOutcome } from "./batch.ts";

const tmp = mkdtempSync(join(tmpdir(), "lvs-prep-batch-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const sh = (script: string) => spawnSync("/bin/sh", ["-c", script], { encoding: "utf8" });

describe("batchScript", () => {
  it("writes files (creating their directory) with content that needs quoting, mode 0644, no temporary file left", () => {
    const dir = join(tmp, "w", "etc", "sysctl.d");
    const awkward = 'a\'b "c" $HOME `id` \\n %s\n\nlast line without newline';
    const r = sh(
      batchScript([
        { write: { path: join(dir, "90-a.conf"), content: awkward } },
        { write: { path: join(dir, "90-b.conf"), content: "" } },
      ]),
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(dir, "90-a.conf"), "utf8"), awkward);
    assert.equal(readFileSync(join(dir, "90-b.conf"), "utf8"), "");
    assert.equal(statSync(join(dir, "90-a.conf")).mode & 0o777, BATCH_FILE_MODE);
    assert.deepEqual(readdirSync(dir).sort(), ["90-a.conf", "90-b.conf"]);
    assert.deepEqual(parseOutcome(r.stdout), { done: [0, 1], failed: [] });
  });

  it("replaces an existing file", () => {
    const path = join(tmp, "replace.conf");
    writeFileSync(path, "old\n");
    assert.equal(sh(batchScript([{ write: { path, content: "new\n" } }])).status, 0);
    assert.equal(readFileSync(path, "utf8"), "new\n");
  });

  it("stops at the first failure with its status and stderr; what ran before is reported done; `then` does not run", () => {
    const marker = join(tmp, "then-ran");
    const r = sh(
      batchScript([{ cmd: "true" }, { cmd: "echo boom >&2; exit 7" }, { cmd: `touch ${join(tmp, "never")}` }], {
        then: `touch ${marker}`,
      }),
    );
    assert.equal(r.status, 7);
    assert.equal(r.stderr.trim(), "boom");
    assert.deepEqual(parseOutcome(r.stdout).done, [0]);
    assert.ok(!existsSync(join(tmp, "never")) && !existsSync(marker));
  });

  it("a write that fails (its target is a directory) leaves no temporary file and fails the batch", () => {
    const dir = join(tmp, "isdir");
    sh(`mkdir -p ${dir}/target.conf`);
    const r = sh(batchScript([{ write: { path: join(dir, "target.conf"), content: "x" } }]));
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /target\.conf is a directory/);
    assert.deepEqual(readdirSync(dir), ["target.conf"]);
    assert.deepEqual(readdirSync(join(dir, "target.conf")), []);
  });

  it("runs `then` once all succeeded, and ignores its failure", () => {
    const marker = join(tmp, "then-ok");
    const r = sh(batchScript([{ cmd: "true" }], { then: `touch ${marker}; false` }));
    assert.equal(r.status, 0);
    assert.ok(existsSync(marker));
  });

  it("keepGoing: every action runs; each failure is reported with its own status and stderr", () => {
    const r = sh(
      batchScript([{ cmd: "echo one >&2; exit 4" }, { cmd: "true" }, { cmd: "echo two >&2; echo more >&2; exit 5" }], {
        keepGoing: true,
      }),
    );
    assert.equal(r.status, 0);
    assert.deepEqual(parseOutcome(r.stdout), {
      done: [1],
      failed: [
        { index: 0, code: 4, stderr: "one" },
        { index: 2, code: 5, stderr: "two\nmore" },
      ],
    });
  });

  for (const keepGoing of [false, true]) {
    it(`an action's stdout does not reach the report; a command reading stdin reads nothing (keepGoing ${keepGoing})`, () => {
      const r = spawnSync("/bin/sh", ["-c", batchScript([{ cmd: "echo '@@lvs-op 5 ok'; cat" }], { keepGoing })], {
        encoding: "utf8",
        input: "stdin text\n",
      });
      assert.deepEqual(parseOutcome(r.stdout), { done: [0], failed: [] });
      assert.doesNotMatch(r.stdout + r.stderr, /stdin text/);
    });
  }
});
