import { test } from "node:test";
import assert from "node:assert/strict";
import { DirectorInputs } from "../schema.ts";
import { directorSpec } from "../spec.ts";
import { archOf, currentName, layoutOf, managerFor, versionName } from "./layout.ts";

const conn = { host: "10.0.0.5", privateKey: "k", insecureIgnoreHostKey: true };

test("layout: defaults under /opt/lvs-agent and /etc/lvs-agent/conf.d; the status socket from global", () => {
  const l = layoutOf(DirectorInputs.parse({ connection: conn }));
  assert.equal(l.current, "/opt/lvs-agent/current");
  assert.equal(l.agent, "/opt/lvs-agent/current/bin/lvs-agent");
  assert.equal(l.fragment, "/etc/lvs-agent/conf.d/director.json");
  assert.equal(l.statusSocket, "/run/lvs-agent/agent.sock");
  assert.equal(l.runDir, "/opt/lvs-agent/run");
  const o = layoutOf(
    DirectorInputs.parse({
      connection: conn,
      installDir: "/tmp/t/opt",
      configDir: "/tmp/t/conf.d",
      global: { statusSocket: "/tmp/t/s.sock", stateDir: "/tmp/t/st" },
    }),
  );
  assert.equal(o.versionsDir, "/tmp/t/opt/versions");
  assert.equal(o.statusSocket, "/tmp/t/s.sock");
  assert.equal(o.agentStateDir, "/tmp/t/st");
});

test("version directory names: <agentVersion>-<sha8>, read back from the current link", () => {
  const sha = "1a2b3c4d".padEnd(64, "0");
  assert.equal(versionName("0.1.0", sha), "0.1.0-1a2b3c4d");
  assert.throws(() => versionName("../x", sha), /cannot name a directory/);
  assert.equal(currentName("versions/0.1.0-1a2b3c4d"), "0.1.0-1a2b3c4d");
  assert.equal(currentName("/opt/lvs-agent/versions/0.2.0-rc.1-ffffffff"), "0.2.0-rc.1-ffffffff");
  assert.equal(currentName(""), undefined);
  assert.equal(currentName("versions/.incoming-12"), undefined);
});

test("arch: uname -m to bundle arch; others are refused by name", () => {
  assert.equal(archOf("x86_64\n"), "x64");
  assert.equal(archOf("aarch64"), "arm64");
  assert.match(archOf("riscv64"), /no lvs-agent bundle for machine type "riscv64"/);
});

test("service manager: auto follows systemctl is-system-running; systemd asked for where it does not run is an error", () => {
  assert.equal(managerFor("auto", "running"), "systemd");
  assert.equal(managerFor("auto", "degraded\n"), "systemd");
  assert.equal(managerFor("auto", "offline"), "supervised");
  assert.equal(managerFor("auto", "absent"), "supervised");
  assert.equal(managerFor("supervised", "running"), "supervised");
  assert.equal(managerFor("systemd", "running"), "systemd");
  assert.throws(
    () => managerFor("systemd", "offline"),
    /systemd does not run here \(systemctl is-system-running: offline\)/,
  );
});

test("Check: installDir deep enough and configDir outside it; paths are plain", () => {
  const problems = (raw: object) => {
    const r = DirectorInputs.safeParse({ connection: conn, ...raw });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };
  assert.deepEqual(problems({ installDir: "/opt/lvs agent" }).length, 1);
  assert.deepEqual(problems({ installDir: "/opt/../etc" }).length, 1);
  assert.deepEqual(problems({ configDir: "conf.d" }).length, 1);
  assert.deepEqual(problems({ serviceManager: "runit" }).length, 1);
  assert.deepEqual(problems({ installDir: "/srv/lvs", configDir: "/srv/lvs-conf" }), []);
});

test("Check rules: installDir is removed as a whole on delete, so it must be deep enough and not hold configDir", () => {
  const problems = (raw: object) =>
    directorSpec.check({ connection: conn, ...raw }).problems.map((p) => `${p.path.join(".")}: ${p.message}`);
  assert.deepEqual(problems({ installDir: "/opt" }), [
    'installDir: "/opt" must be at least two levels deep (e.g. /opt/lvs-agent): it is removed as a whole on delete',
  ]);
  assert.deepEqual(problems({ installDir: "/srv/lvs", configDir: "/srv/lvs/conf.d" }), [
    "configDir: must not be inside installDir (/srv/lvs), which is replaced and removed as a whole",
  ]);
  assert.deepEqual(problems({ installDir: "/srv/lvs", configDir: "/srv/lvs-conf.d" }), []);
  assert.deepEqual(directorSpec.check({ connection: conn }).inputs?.installDir, "/opt/lvs-agent");
});
