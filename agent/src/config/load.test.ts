import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { FRAGMENT_BYTES, loadConfigDir, loadConfigFile } from "./load.ts";

let root = "";
let n = 0;
before(async () => {
  root = await mkdtemp("/tmp/lvs-load-");
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh conf.d holding `files` (objects are written as JSON, strings as they are). */
async function confd(files: Record<string, unknown>): Promise<string> {
  const dir = join(root, `d${n++}`);
  await mkdir(dir);
  for (const [name, body] of Object.entries(files)) {
    await writeFile(join(dir, name), typeof body === "string" ? body : JSON.stringify(body, null, 2));
  }
  return dir;
}

const vi = (vrid: number, vip: string, over: Record<string, unknown> = {}) => ({
  interface: "eth0",
  vrid,
  virtualAddresses: [{ address: vip }],
  ...over,
});

async function problemsOf(dir: string): Promise<string[]> {
  const r = await loadConfigDir(dir);
  assert.equal(r.ok, false, "expected problems");
  return r.ok ? [] : r.problems;
}

test("fragments merge by key, in name order, and only *.json counts", async () => {
  const dir = await confd({
    "20-web.json": { instances: { VI_WEB: vi(51, "10.0.0.100") } },
    "10-global.json": { global: { metricsListen: "" }, scripts: { chk: { script: "/bin/true" } } },
    "30-db.json": { instances: { VI_DB: vi(52, "10.0.0.101", { trackScripts: [{ name: "chk" }] }) } },
    "README.txt": "not config",
    ".30-db.json.tmp": "{ half written",
  });
  const r = await loadConfigDir(dir);
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(
    r.sources,
    ["10-global.json", "20-web.json", "30-db.json"].map((f) => join(dir, f)),
  );
  assert.deepEqual(Object.keys(r.config.instances).sort(), ["VI_DB", "VI_WEB"]);
  assert.equal(r.config.global.metricsListen, "");
  assert.equal(r.config.instances.VI_DB?.trackScripts[0]?.name, "chk");
});

test("an empty conf.d is a valid, empty config", async () => {
  const r = await loadConfigDir(await confd({}));
  assert.ok(r.ok);
  assert.deepEqual(r.sources, []);
  assert.deepEqual(r.config.instances, {});
});

test("a missing directory", async () => {
  assert.deepEqual(await problemsOf(join(root, "absent")), [`${join(root, "absent")}: cannot read directory: ENOENT`]);
});

test("the same instance or script in two fragments names both files", async () => {
  const dir = await confd({
    "a.json": { instances: { VI_1: vi(1, "10.0.0.1") }, scripts: { chk: { script: "/bin/true" } } },
    "b.json": { instances: { VI_1: vi(2, "10.0.0.2") }, scripts: { chk: { script: "/bin/false" } } },
  });
  assert.deepEqual(await problemsOf(dir), [
    'instance "VI_1" is defined in both a.json and b.json',
    'script "chk" is defined in both a.json and b.json',
  ]);
});

test("a global key set differently in two fragments; the same value twice is fine", async () => {
  const dir = await confd({
    "a.json": { global: { metricsListen: "127.0.0.1:1", scriptUser: "nobody" } },
    "b.json": { global: { metricsListen: "127.0.0.1:2", scriptUser: "nobody" } },
  });
  assert.deepEqual(await problemsOf(dir), ["global.metricsListen is set differently in a.json and b.json"]);
});

test("a JSON syntax error names the file, line and column, and never quotes the source", async () => {
  const dir = await confd({
    "a.json": '{\n  "instances": {\n    "VI_1": { "auth": { "type": "PASS", "password": "hunter2" } }\n  },\n}\n',
    "b.json": '{ "instances": { "VI_2": { "auth": { "password": hunter2 } } } }',
  });
  const got = await problemsOf(dir);
  assert.deepEqual(got, [
    "a.json:5:1: invalid JSON: expected a double-quoted property name",
    "b.json:1:50: invalid JSON: expected a value (object, array, string, number, true, false or null)",
  ]);
  for (const p of got) assert.ok(!p.includes("hunter2"));
});

test("fragment shape: an object of known sections, each an object", async () => {
  const dir = await confd({
    "a.json": [1, 2],
    "b.json": { instance: {}, global: [] },
  });
  assert.deepEqual(await problemsOf(dir), [
    "a.json: must be a JSON object with any of instances, syncGroups, trackProcesses, scripts, virtualServers, sysctls, syncDaemon, ipvsTimeouts, scriptSecurity and/or global",
    "b.json: instance: unknown section (expected instances, syncGroups, trackProcesses, scripts, virtualServers, sysctls, syncDaemon, ipvsTimeouts, scriptSecurity or global)",
    "b.json: global: must be an object",
  ]);
});

test("validation problems are prefixed with the fragment they come from, all at once", async () => {
  const dir = await confd({
    "10-global.json": { global: { statusSocket: "relative.sock" }, scripts: { chk: { script: "/bin/true", rise: 0 } } },
    "20-web.json": { instances: { VI_WEB: vi(300, "10.0.0.100", { trackScripts: [{ name: "nope" }] }) } },
    "30-db.json": {
      instances: { VI_DB: vi(52, "10.0.0.100", { version: 3, auth: { type: "PASS", password: "pw" } }) },
    },
    "40-bad.json": "{",
  });
  assert.deepEqual(await problemsOf(dir), [
    "40-bad.json:1:2: invalid JSON: expected a double-quoted property name",
    `10-global.json: global.statusSocket: "relative.sock" is a relative path: the agent's working directory is not yours (systemd starts it in /), so give an absolute path such as /run/lvs-agent`,
    "30-db.json: instances.VI_DB.auth: authentication is VRRPv2 only (RFC 5798 removed it): remove auth or set version: 2",
    "30-db.json: instances.VI_DB.virtualAddresses[0].address: 10.0.0.100 is already a virtual address of instance VI_WEB",
    '20-web.json: instances.VI_WEB.trackScripts[0].name: no script "nope" is defined under scripts',
    "20-web.json: instances.VI_WEB.vrid: must be 1-255, got 300",
    "10-global.json: scripts.chk.rise: must be at least 1, got 0",
  ]);
});

test("IPVS sections: virtual servers from several fragments, sysctls and the sync daemon", async () => {
  const vs = (address: string) => ({ address, port: 80, realServers: [{ address: "10.0.1.1" }] });
  const dir = await confd({
    "10-vrrp.json": { instances: { VI_1: vi(1, "10.0.0.1") }, sysctls: { "net.ipv4.ip_forward": 1 } },
    "20-web.json": {
      virtualServers: { web: vs("10.0.0.1") },
      syncDaemon: { interface: "eth0", followInstance: "VI_1" },
    },
    "30-api.json": { virtualServers: { api: vs("10.0.0.2") }, sysctls: { "net.ipv4.ip_forward": 1 } },
  });
  const r = await loadConfigDir(dir);
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(Object.keys(r.config.virtualServers), ["web", "api"]);
  assert.equal(r.config.syncDaemon?.followInstance, "VI_1");
  assert.deepEqual(r.config.sysctls, { "net.ipv4.ip_forward": 1 });
  const none = await loadConfigDir(await confd({ "a.json": { instances: { VI_1: vi(1, "10.0.0.1") } } }));
  assert.ok(none.ok && none.config.syncDaemon === undefined);
  const twice = await confd({
    "a.json": { virtualServers: { web: vs("10.0.0.1") } },
    "b.json": { virtualServers: { web: vs("10.0.0.2") } },
  });
  assert.deepEqual(await problemsOf(twice), ['virtual server "web" is defined in both a.json and b.json']);
});

test("a single file", async () => {
  const dir = await confd({
    "agent.json": { instances: { VI_1: vi(1, "10.0.0.1") } },
    "bad.json": { instances: { VI_1: vi(0, "10.0.0.1") } },
  });
  const ok = await loadConfigFile(join(dir, "agent.json"));
  assert.ok(ok.ok);
  assert.deepEqual(ok.sources, [join(dir, "agent.json")]);
  assert.deepEqual(await loadConfigFile(join(dir, "bad.json")), {
    ok: false,
    problems: [`${join(dir, "bad.json")}: instances.VI_1.vrid: must be 1-255, got 0`],
  });
  assert.deepEqual(await loadConfigFile(join(dir, "none.json")), {
    ok: false,
    problems: [`${join(dir, "none.json")}: cannot read: ENOENT`],
  });
});

test("a byte-order mark is tolerated", async () => {
  const dir = await confd({ "a.json": "\ufeff" + JSON.stringify({ instances: { VI_1: vi(1, "10.0.0.1") } }) });
  assert.ok((await loadConfigDir(dir)).ok);
});

test("a FIFO or an oversized file in conf.d is a problem naming it, read no further: the load never hangs", async () => {
  const dir = await confd({ "10-ok.json": { instances: { a: vi(1, "10.0.0.1") } } });
  execFileSync("mkfifo", [join(dir, "20-pipe.json")]);
  await writeFile(join(dir, "30-big.json"), `{"global":{}${" ".repeat(FRAGMENT_BYTES)}}`);
  assert.deepEqual(await problemsOf(dir), [
    "20-pipe.json: cannot read: not a regular file (a FIFO)",
    `30-big.json: cannot read: larger than ${FRAGMENT_BYTES} bytes (${FRAGMENT_BYTES + 13}), lvs-agent's limit for one file`,
  ]);
});
