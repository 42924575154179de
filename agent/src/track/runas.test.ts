import { test } from "node:test";
import assert from "node:assert/strict";
import { nonRootWritable, parsePasswd, splitCommand, unsafeReason, type PathStat } from "./runas.ts";

const PASSWD =
  "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nbad:x:abc:1::/:/bin/sh\n";

test("passwd lookup", () => {
  assert.deepEqual(parsePasswd(PASSWD, "nobody"), { uid: 65534, gid: 65534 });
  assert.deepEqual(parsePasswd(PASSWD, "root"), { uid: 0, gid: 0 });
  assert.equal(parsePasswd(PASSWD, "nobod"), undefined);
  assert.equal(parsePasswd(PASSWD, "bad"), undefined);
});

test("command splitting", () => {
  assert.deepEqual(splitCommand("  /usr/bin/check  --port 80 "), ["/usr/bin/check", "--port", "80"]);
});

const st = (path: string, mode: number, uid = 0, gid = 0): PathStat => ({ path, mode, uid, gid });
const SAFE_DIRS = [st("/etc/lvs", 0o40755), st("/etc", 0o40755), st("/", 0o40755)];

test("who may write", () => {
  assert.equal(nonRootWritable(st("/x", 0o100755)), undefined);
  assert.equal(nonRootWritable(st("/x", 0o100757)), "world-writable");
  assert.equal(nonRootWritable(st("/x", 0o100775, 0, 100)), "writable by group 100");
  assert.equal(nonRootWritable(st("/x", 0o100775, 0, 0)), undefined);
  assert.equal(nonRootWritable(st("/x", 0o100755, 1000)), "owned by uid 1000, not root");
});

test("another owner may chmod it back: owned by a user is refused whatever the mode", () => {
  for (const mode of [0o100555, 0o100500, 0o100511])
    assert.equal(nonRootWritable(st("/x", mode, 1000)), "owned by uid 1000, not root", mode.toString(8));
  assert.equal(
    unsafeReason(st("/etc/lvs/chk", 0o100555, 1000), SAFE_DIRS),
    "script /etc/lvs/chk is owned by uid 1000, not root",
  );
  const userDir = [st("/srv/u", 0o40555, 1000), st("/srv", 0o40755), st("/", 0o40755)];
  assert.equal(
    unsafeReason(st("/srv/u/chk", 0o100755), userDir),
    "directory /srv/u of script /srv/u/chk is owned by uid 1000, not root",
  );
});

test("a safe script in safe directories", () => {
  assert.equal(unsafeReason(st("/etc/lvs/chk", 0o100755), SAFE_DIRS), undefined);
});

test("the script itself writable by others", () => {
  assert.equal(unsafeReason(st("/etc/lvs/chk", 0o100777), SAFE_DIRS), "script /etc/lvs/chk is world-writable");
});

test("its own directory world-writable, even sticky", () => {
  const dirs = [st("/tmp", 0o41777), st("/", 0o40755)];
  assert.equal(unsafeReason(st("/tmp/chk", 0o100755), dirs), "directory /tmp of script /tmp/chk is world-writable");
});

test("a sticky root-owned ancestor like /tmp is fine, a plain world-writable one is not", () => {
  const sticky = [st("/tmp/d", 0o40755), st("/tmp", 0o41777), st("/", 0o40755)];
  assert.equal(unsafeReason(st("/tmp/d/chk", 0o100755), sticky), undefined);
  const open = [st("/srv/d", 0o40755), st("/srv", 0o40777), st("/", 0o40755)];
  const userSticky = [st("/srv/d", 0o40755), st("/srv", 0o41777, 1000), st("/", 0o40755)];
  assert.equal(
    unsafeReason(st("/srv/d/chk", 0o100755), userSticky),
    "directory /srv of script /srv/d/chk is world-writable",
    "sticky is no excuse in a directory another user owns",
  );
  assert.equal(unsafeReason(st("/srv/d/chk", 0o100755), open), "directory /srv of script /srv/d/chk is world-writable");
  const userOwned = [st("/home/u/bin", 0o40755, 1000), st("/home/u", 0o40755, 1000), st("/", 0o40755)];
  assert.equal(
    unsafeReason(st("/home/u/bin/chk", 0o100755), userOwned),
    "directory /home/u/bin of script /home/u/bin/chk is owned by uid 1000, not root",
  );
});
