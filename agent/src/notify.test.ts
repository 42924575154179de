// Real hooks under /tmp, run as nobody; they append to a log file that nobody may write.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { scriptSandbox, type ScriptSandbox } from "../../test/helpers/script-sandbox.ts";
import { join } from "node:path";
import { createLogger } from "./log.ts";
import { runNotify, type NotifyHooks } from "./notify.ts";

let box: ScriptSandbox;
let out = "";
const logLines: string[] = [];
const log = createLogger({ write: (s: string) => logLines.push(s) }, { level: "debug" });

before(async () => {
  box = await scriptSandbox("/tmp/lvs-notify-");
  ({ out } = box);
});

after(() => box.remove());

const hook = (name: string, body: string, mode = 0o755): Promise<string> => box.script(name, body, mode);

const lines = async (file: string) =>
  (await readFile(join(out, file), "utf8").catch(() => "")).split("\n").filter(Boolean);

test("state hook without arguments, then `any` with INSTANCE name STATE priority, as nobody", async () => {
  const hooks: NotifyHooks = {
    master: await hook("master.sh", `echo "master:$#:$(id -u)" >> ${out}/a.log`),
    any: (await hook("any.sh", `echo "any:$*:$(id -u)" >> ${out}/a.log`)) + " extra",
  };
  await runNotify(hooks, "VI_1", "MASTER", 150, "nobody", log);
  assert.deepEqual(await lines("a.log"), ["master:0:65534", "any:extra INSTANCE VI_1 MASTER 150:65534"]);
});

test("returns at once and keeps transition order per instance", async () => {
  const hooks: NotifyHooks = {
    master: await hook("slow-master.sh", `sleep 0.3\necho master >> ${out}/b.log`),
    backup: await hook("backup.sh", `echo backup >> ${out}/b.log`),
    fault: await hook("fault.sh", `echo fault >> ${out}/b.log`),
  };
  const t0 = Date.now();
  const done = [
    runNotify(hooks, "VI_2", "MASTER", 100, "nobody", log),
    runNotify(hooks, "VI_2", "BACKUP", 100, "nobody", log),
    runNotify(hooks, "VI_2", "FAULT", 100, "nobody", log),
  ];
  assert.ok(Date.now() - t0 < 100, "the caller did not wait for the hooks");
  await Promise.all(done);
  assert.deepEqual(await lines("b.log"), ["master", "backup", "fault"]);
});

test("no hook for the state (or INIT, which has none): nothing runs", async () => {
  const hooks: NotifyHooks = {
    stop: await hook("stop.sh", `echo stop >> ${out}/c.log`),
    any: await hook("any-c.sh", `echo any >> ${out}/c.log`),
  };
  await runNotify({ stop: hooks.stop }, "VI_3", "BACKUP", 100, "nobody", log);
  await runNotify(hooks, "VI_3", "INIT", 100, "nobody", log);
  assert.deepEqual(await lines("c.log"), []);
  await runNotify(hooks, "VI_3", "STOP", 0, "nobody", log);
  assert.deepEqual(await lines("c.log"), ["stop", "any"]);
});

test("a world-writable hook is refused and logged; the promise still resolves", async () => {
  const path = await hook("open.sh", `echo ran >> ${out}/d.log`, 0o777);
  logLines.length = 0;
  await runNotify({ backup: path }, "VI_4", "BACKUP", 100, "nobody", log);
  assert.deepEqual(await lines("d.log"), []);
  const rec = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.event === "notify.fault");
  assert.equal(rec?.reason, `script ${path} is world-writable`);
});

test("a hung hook is killed and the next transition's hooks still run", async () => {
  const hooks: NotifyHooks = {
    master: await hook("hang.sh", "sleep 30"),
    backup: await hook("after.sh", `echo after >> ${out}/e.log`),
  };
  const t0 = Date.now();
  void runNotify(hooks, "VI_5", "MASTER", 100, "nobody", log, 200);
  await runNotify(hooks, "VI_5", "BACKUP", 100, "nobody", log, 200);
  assert.ok(Date.now() - t0 < 5000);
  assert.deepEqual(await lines("e.log"), ["after"]);
});

test("a failing hook is logged with its exit code", async () => {
  logLines.length = 0;
  await runNotify({ fault: await hook("fail.sh", "echo oops >&2\nexit 3") }, "VI_6", "FAULT", 100, "nobody", log);
  const rec = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.event === "notify.error");
  assert.equal(rec?.code, 3);
  assert.equal(rec?.stderr, "oops\n");
});
