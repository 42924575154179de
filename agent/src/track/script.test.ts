// Real runs: scripts under /tmp, spawned as nobody. Needs root (to switch user), as the agent does.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { chmod, chown, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { scriptSandbox, type ScriptSandbox } from "../../../test/helpers/script-sandbox.ts";
import { join } from "node:path";
import type { TrackScriptConfig } from "../config/schema.ts";
import { createLogger } from "../log.ts";
import { TrackScriptRunner } from "./script.ts";

let box: ScriptSandbox;
let base = "";
let bin = "";
let out = "";
const quiet = createLogger({ write: () => true });

before(async () => {
  // Only the output directory is writable by nobody; it is not on any script's path.
  box = await scriptSandbox("/tmp/lvs-track-");
  ({ base, bin, out } = box);
  await script("check.sh", `id -u > ${out}/uid\necho run >> ${out}/runs\n[ -f ${base}/flag ]`);
  await script("hang.sh", `echo $$ > ${out}/hang.pid\nsleep 30\n`);
});

after(() => box.remove());

const script = (name: string, body: string): Promise<string> => box.script(name, body);

function config(over: Partial<TrackScriptConfig> = {}): TrackScriptConfig {
  return { script: join(bin, "check.sh"), interval: 1, rise: 1, fall: 1, weight: 0, user: "nobody", ...over };
}

function runner(over: Partial<TrackScriptConfig> = {}, allowRoot = false) {
  const changes: boolean[] = [];
  const faults: Array<string | undefined> = [];
  const r = new TrackScriptRunner({
    name: "chk",
    allowRoot,
    config: config(over),
    log: quiet,
    onChange: (up) => changes.push(up),
    onFault: (why) => faults.push(why),
  });
  return { r, changes, faults };
}

const setFlag = (on: boolean) => (on ? writeFile(join(base, "flag"), "") : rm(join(base, "flag"), { force: true }));
const runCount = async () =>
  (await readFile(join(out, "runs"), "utf8").catch(() => "")).split("\n").filter(Boolean).length;

test("runs as nobody (uid 65534)", async () => {
  await setFlag(true);
  const { r } = runner();
  assert.equal(await r.runOnce(), true);
  assert.equal((await readFile(join(out, "uid"), "utf8")).trim(), "65534");
});

test("rise and fall counts", async () => {
  const { r, changes } = runner({ rise: 2, fall: 3 });
  await setFlag(true);
  assert.equal(await r.runOnce(), true, "the first result decides");
  await setFlag(false);
  assert.equal(await r.runOnce(), true);
  assert.equal(await r.runOnce(), true);
  assert.deepEqual(changes, [true]);
  assert.equal(await r.runOnce(), false, "third failure in a row: down");
  await setFlag(true);
  assert.equal(await r.runOnce(), false);
  assert.equal(await r.runOnce(), true, "second success in a row: up");
  assert.deepEqual(changes, [true, false, true]);
});

test("a timed-out script is killed with everything it started", async () => {
  const { r, changes } = runner({ script: join(bin, "hang.sh"), timeout: 0.3 });
  const t0 = Date.now();
  assert.equal(await r.runOnce(), false);
  assert.ok(Date.now() - t0 < 5000, "did not wait for sleep 30");
  assert.deepEqual(changes, [false]);
  const pid = Number((await readFile(join(out, "hang.pid"), "utf8")).trim());
  // The script led its own process group; `sleep` was in it. Give init a moment to reap.
  await waitFor(() => !groupAlive(pid));
});

test("refuses a world-writable script, then runs it again once fixed", async () => {
  await setFlag(true);
  const path = await script("open.sh", `echo run >> ${out}/open-runs\n`);
  await chmod(path, 0o777);
  const { r, changes, faults } = runner({ script: path });
  assert.equal(await r.runOnce(), false);
  assert.equal(r.fault, `script ${path} is world-writable`);
  assert.deepEqual(faults, [`script ${path} is world-writable`]);
  assert.deepEqual(changes, [false]);
  assert.equal(await readFile(join(out, "open-runs"), "utf8").catch(() => "never ran"), "never ran");
  await chmod(path, 0o755);
  assert.equal(await r.runOnce(), true);
  assert.deepEqual(faults, [`script ${path} is world-writable`, undefined]);
  assert.deepEqual(changes, [false, true]);
});

test("refuses a script in a world-writable directory", async () => {
  const dir = join(base, "open");
  await mkdir(dir);
  await chmod(dir, 0o1777);
  const path = join(dir, "s.sh");
  await writeFile(path, "#!/bin/sh\n", { mode: 0o755 });
  const { r } = runner({ script: path });
  assert.equal(await r.runOnce(), false);
  assert.equal(r.fault, `directory ${dir} of script ${path} is world-writable`);
});

test("refuses root and unknown users", async () => {
  const asRoot = runner({ user: "root" });
  await asRoot.r.runOnce();
  assert.equal(asRoot.r.fault, "refusing to run as root: uid 0 is root");
  const unknown = runner({ user: "no-such-user-lvs" });
  await unknown.r.runOnce();
  assert.equal(unknown.r.fault, "user no-such-user-lvs does not exist");
});

test("refuses a script another user owns, even one only its owner could make writable again", async () => {
  await setFlag(true);
  const path = await box.script("theirs.sh", `echo run >> ${out}/theirs-runs\n`, 0o555);
  await chown(path, 65534, 65534);
  const { r } = runner({ script: path });
  assert.equal(await r.runOnce(), false);
  assert.equal(r.fault, `script ${path} is owned by uid 65534, not root`);
  assert.equal(await readFile(join(out, "theirs-runs"), "utf8").catch(() => "never ran"), "never ran");
});

test("runs as root only when root is asked for by name and allowed (scriptSecurity.allowRoot)", async () => {
  const path = await script("as-root.sh", `id -u > ${out}/as-root-uid`);
  const { r } = runner({ script: path, user: "root" }, true);
  assert.equal(await r.runOnce(), true);
  assert.equal((await readFile(join(out, "as-root-uid"), "utf8")).trim(), "0");
});

test("a missing script is a fault", async () => {
  const { r } = runner({ script: join(bin, "absent.sh") });
  await r.runOnce();
  assert.equal(r.fault, `script ${join(bin, "absent.sh")} does not exist`);
});

test("the schedule runs every interval until stopped", async () => {
  await setFlag(true);
  await rm(join(out, "runs"), { force: true });
  const { r, changes } = runner({ interval: 0.1 });
  r.start();
  await waitFor(async () => (await runCount()) >= 3);
  await r.stop();
  const n = await runCount();
  await new Promise((res) => setTimeout(res, 350));
  assert.equal(await runCount(), n, "no run after stop");
  assert.deepEqual(changes, [true]);
});

test("stop kills a run in progress and reports nothing about it", async () => {
  await rm(join(out, "hang.pid"), { force: true });
  const { r, changes } = runner({ script: join(bin, "hang.sh"), interval: 60, timeout: 60 });
  r.start();
  await waitFor(async () => (await readFile(join(out, "hang.pid"), "utf8").catch(() => "")).trim() !== "");
  const pid = Number((await readFile(join(out, "hang.pid"), "utf8")).trim());
  const t0 = Date.now();
  await r.stop();
  assert.ok(Date.now() - t0 < 2000);
  await waitFor(() => !groupAlive(pid));
  assert.deepEqual(changes, []);
  assert.equal(r.up, undefined);
});

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((res) => setTimeout(res, 20));
  }
}
