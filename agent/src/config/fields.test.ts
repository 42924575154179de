// The shared field rules on their own: the kernel's interface names, paths for scripts and units, and
// how a value is shown in a message (the rules as the whole config reports them: validate.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { SCHEDULERS, absolutePathProblem, hasControlCharacter, ifnameProblem, scheduler, shown } from "./fields.ts";

test("interface names as the kernel's dev_valid_name takes them", () => {
  for (const ok of ["eth0", "eth0.100", "br-lan", "a".repeat(15), "$(x)", "wg_0@x"])
    assert.equal(ifnameProblem(ok), undefined, ok);
  assert.match(ifnameProblem("")!, /must not be empty/);
  assert.match(ifnameProblem(".")!, /^"\." is not a name the kernel accepts/);
  assert.match(ifnameProblem("..")!, /not a name the kernel accepts/);
  assert.match(ifnameProblem("eth0:1")!, /^"eth0:1" holds ':'.* give the interface itself, such as "eth0"$/);
  assert.match(ifnameProblem("a".repeat(16))!, /is 16 bytes: .* at most 15 bytes/);
  assert.match(ifnameProblem("é".repeat(8))!, /is 16 bytes/, "bytes, not characters");
  for (const bad of ["a b", "a/b", "a\tb", "a\u0001"]) assert.match(ifnameProblem(bad)!, /kernel refuses/, bad);
});

test("paths are absolute, hold no control character and fit PATH_MAX", () => {
  assert.equal(absolutePathProblem("/run/lvs agent/$(x)"), undefined);
  assert.match(absolutePathProblem("run/lvs")!, /^"run\/lvs" is a relative path: .* absolute path such as/);
  assert.match(absolutePathProblem("/run/x\nExecStartPre=/bin/sh")!, /control character/);
  assert.match(absolutePathProblem(`/${"a".repeat(5000)}`)!, /4096-byte path limit/);
  assert.ok(hasControlCharacter("a\u007f") && !hasControlCharacter("a b"));
});

test("a value in a message is quoted and cut to a readable length", () => {
  assert.equal(shown('a"b'), '"a\\"b"');
  assert.equal(shown("x".repeat(100)), `"${"x".repeat(80)}"... (100 characters)`);
});

test("schedulers: the kernel's, an unknown name named, a malformed one by its shape alone", () => {
  for (const s of SCHEDULERS) assert.ok(scheduler.safeParse(s).success, s);
  assert.deepEqual(
    scheduler.safeParse("fastest").error?.issues.map((i) => i.message),
    [`"fastest" is not an IPVS scheduler of Linux: use one of ${SCHEDULERS.join(", ")}`],
  );
  assert.deepEqual(
    scheduler.safeParse("RR!").error?.issues.map((i) => i.message),
    ["must be a scheduler name such as rr, wrr, wlc, sh or mh"],
  );
});
