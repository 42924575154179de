// The supervisor and the service scripts run for real with sh (no root): a stand-in agent under a
// temporary installDir is started detached, killed, restarted with backoff, and stopped through the
// supervisor; the systemd unit is checked by systemd-analyze where it exists.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../../../../../test/helpers/netns.ts";
import { processAlive as alive } from "../../../../../test/helpers/procs.ts";
import { DirectorInputs } from "../schema.ts";
import { layoutOf } from "./layout.ts";
import {
  parseServiceState,
  serviceStateScript,
  startScript,
  stopSupervisedScript,
  supervisorScript,
  systemdUnit,
  waitReadyScript,
} from "./service.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const tmp = mkdtempSync(join(tmpdir(), "lvs-service-"));
const l = layoutOf(
  DirectorInputs.parse({
    connection: { host: "h", password: "p", insecureIgnoreHostKey: true },
    installDir: `${tmp}/opt`,
    configDir: `${tmp}/conf.d`,
    global: { statusSocket: `${tmp}/sock/agent.sock`, stateDir: `${tmp}/state` },
  }),
);
const events = join(tmp, "events");

const sh = (script: string) => {
  const r = spawnSync("sh", ["-c", script], { encoding: "utf8", timeout: 30_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};
const readPid = (name: string): number | undefined => {
  try {
    return Number(readFileSync(join(l.runDir, name), "utf8").trim()) || undefined;
  } catch {
    return undefined;
  }
};

after(() => {
  // the supervisor runs detached: end its process group by the pid file's PID, then the directory
  const sp = readPid("supervisor.pid");
  if (alive(sp)) process.kill(-sp!, "SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

// A stand-in agent: `run` records start and SIGTERM and idles; `status` answers like lvs-agent status --json.
mkdirSync(`${tmp}/opt/versions/9.9.9-aaaaaaaa/bin`, { recursive: true });
writeFileSync(
  `${tmp}/opt/versions/9.9.9-aaaaaaaa/bin/lvs-agent`,
  `#!/bin/sh
case "$1" in
run) trap 'echo "term $$" >> ${events}; exit 0' TERM; echo "start $$ $*" >> ${events}; while :; do sleep 0.05; done;;
status) printf '{\\n  "pid": %s,\\n  "version": "9.9.9"\\n}\\n' "$(cat ${l.runDir}/agent.pid)";;
esac
`,
);
chmodSync(`${tmp}/opt/versions/9.9.9-aaaaaaaa/bin/lvs-agent`, 0o755);
sh(`ln -sfn versions/9.9.9-aaaaaaaa ${l.current}`);
writeFileSync(l.supervisor, supervisorScript(l));
chmodSync(l.supervisor, 0o755);

test("supervised: started detached, the agent runs from current with the config dir; state says running with its PID", async () => {
  const r = sh(startScript(l, "supervised", false));
  assert.equal(r.code, 0, r.stderr);
  const agent = await waitFor(() => readPid("agent.pid"), 5000, "the agent's pid file");
  const supervisor = readPid("supervisor.pid")!;
  assert.ok(alive(supervisor) && alive(agent));
  await waitFor(
    () => existsSync(events) && readFileSync(events, "utf8").includes(`start ${agent} run --config-dir ${l.configDir}`),
    5000,
    "the agent's start",
  );
  assert.deepEqual(parseServiceState(sh(serviceStateScript(l, "supervised")).stdout), { running: true, pid: agent });
  // its own session: not in the group of the shell that started it
  const stat = readFileSync(`/proc/${supervisor}/stat`, "utf8").split(") ")[1]!.split(" ");
  assert.equal(Number(stat[3]), supervisor, "the supervisor leads its own session");
});

test("supervised: an agent killed by PID is started again after the backoff; one that keeps dying waits longer", async () => {
  const first = readPid("agent.pid")!;
  const t0 = Date.now();
  process.kill(first, "SIGKILL");
  const second = await waitFor(
    () => readPid("agent.pid") !== first && alive(readPid("agent.pid")) && readPid("agent.pid"),
    5000,
    "a new agent",
  );
  const ms = Date.now() - t0;
  // Lower bounds only: the backoff is a floor; a loaded machine may take longer to start the next one.
  assert.ok(ms >= 900, `restarted after ${ms} ms (backoff 1 s)`);
  const t1 = Date.now();
  process.kill(second, "SIGKILL");
  await waitFor(
    () => readPid("agent.pid") !== second && alive(readPid("agent.pid")) && readPid("agent.pid"),
    5000,
    "a third agent",
  );
  const ms2 = Date.now() - t1;
  assert.ok(ms2 >= 1900, `second restart after ${ms2} ms (backoff doubled to 2 s)`);
  // "after Ns" is whole seconds of the agent's life, 0 or 1 as the clock's second turns.
  const log = readFileSync(`${l.runDir}/agent.log`, "utf8");
  assert.match(
    log,
    /agent exited \(status 137\) after [01]s; restarting in 1s\n.*\n.*agent exited \(status 137\) after [01]s; restarting in 2s/,
  );
});

test("wait for the agent: its status JSON once it answers with a new PID; the log's end when it does not", async () => {
  mkdirSync(`${tmp}/sock`, { recursive: true });
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(l.statusSocket, resolve));
  after(() => server.close());
  const pid = readPid("agent.pid")!;
  const ok = sh(waitReadyScript(l, "supervised", undefined, 2));
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal((JSON.parse(ok.stdout) as { pid: number }).pid, pid);
  const stale = sh(waitReadyScript(l, "supervised", pid, 1));
  assert.equal(stale.code, 1);
  assert.match(
    stale.stderr,
    /did not answer on .*agent\.sock within 1 s; its output:\n[^\n]*lvs-agent-supervise: started agent pid \d+\n$/,
  );
  assert.doesNotMatch(stale.stderr, /Illegal number|integer expression/);
  // an agent that dies while starting fails the wait at once, not at its timeout
  const t0 = Date.now();
  const waiting = spawn("sh", ["-c", waitReadyScript(l, "supervised", pid, 20)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  waiting.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  await sleep(400);
  appendFileSync(
    join(l.runDir, "agent.log"),
    "Error: boom\nnow lvs-agent-supervise: agent exited (status 1) after 0s; restarting in 1s\n",
  );
  const [code] = (await once(waiting, "exit")) as [number];
  assert.equal(code, 1);
  assert.ok(Date.now() - t0 < 3000, `failed after ${Date.now() - t0} ms`);
  assert.match(
    stderr,
    /^the agent exited while starting; its output:\n[^\n]*started agent pid \d+\nError: boom\n[^\n]*agent exited \(status 1\)/,
  );
});

test("supervised stop: SIGTERM reaches the agent through the supervisor; both exit; a stale pid file hits nobody", async () => {
  const agent = readPid("agent.pid")!;
  const supervisor = readPid("supervisor.pid")!;
  const r = sh(stopSupervisedScript(l));
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!alive(agent) && !alive(supervisor), "both gone");
  assert.match(readFileSync(events, "utf8"), new RegExp(`term ${agent}\\n`));
  assert.deepEqual(parseServiceState(sh(serviceStateScript(l, "supervised")).stdout), {
    running: false,
    pid: undefined,
  });
  writeFileSync(join(l.runDir, "supervisor.pid"), `${process.pid}\n`);
  writeFileSync(join(l.runDir, "agent.pid"), `${process.pid}\n`);
  assert.equal(sh(stopSupervisedScript(l)).code, 0);
  assert.ok(alive(process.pid), "a PID that is not this install's supervisor or agent is not signalled");
});

const analyze = spawnSync("sh", ["-c", "command -v systemd-analyze"]).status === 0;

test(
  "systemd unit: ExecStart through current with the config dir, hardened, and clean under systemd-analyze verify",
  { skip: !analyze && "no systemd-analyze" },
  () => {
    const unit = systemdUnit(l);
    assert.match(unit, new RegExp(`^ExecStart=${l.agent} run --config-dir ${l.configDir}$`, "m"));
    for (const line of [
      "Restart=on-failure",
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "ProtectHome=yes",
      "PrivateTmp=yes",
    ])
      assert.ok(unit.includes(`\n${line}\n`), line);
    assert.match(unit, /^CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW /m);
    assert.match(unit, new RegExp(`^ReadWritePaths=-/run/lvs-agent -${tmp}/state -${tmp}/sock$`, "m"));
    const path = join(tmp, "lvs-agent.service");
    writeFileSync(path, unit);
    const r = spawnSync("systemd-analyze", ["verify", path], { encoding: "utf8" });
    const complaints = r.stderr.split("\n").filter((s) => s.includes("lvs-agent.service"));
    assert.deepEqual(complaints, []);
  },
);

// Paths reach the scripts and the unit from a program: whatever they hold is data there, never shell
// or unit syntax (the class is walked for every input in provider/src/resources/hostile.test.ts).
test("wait for the agent: a status socket holding $(...) or backticks is named in the message, never run", () => {
  for (const sock of ["/run/a$(:>m1)/s.sock", "/run/a`:>m2`.sock", "/run/a'$(:>m3)'\"x\".sock"]) {
    const dir = mkdtempSync(join(tmp, "hostile-"));
    const r = spawnSync("/bin/sh", ["-c", waitReadyScript({ ...l, statusSocket: sock }, "systemd", undefined, 0.2)], {
      encoding: "utf8",
      cwd: dir,
      env: { PATH: "/nonexistent" },
    });
    assert.equal(r.status, 1);
    assert.ok(r.stderr.includes(`the agent did not answer on ${sock} within`), r.stderr);
    assert.equal(readdirSync(dir).length, 0, `${sock}: no command ran`);
  }
});

test("systemd unit: paths are one quoted word each, % and $ escaped; a control character, quote or backslash is refused", () => {
  const odd = {
    ...l,
    agentStateDir: "/var/lib/my agent%i",
    statusSocket: "/run/a'b$x/agent.sock",
    configDir: "/etc/c$HOME%n",
  };
  const unit = systemdUnit(odd);
  assert.match(unit, /^ReadWritePaths=-\/run\/lvs-agent "-\/var\/lib\/my agent%%i" "-\/run\/a'b\$x"$/m);
  assert.match(unit, /^ExecStart=\S+ run --config-dir \/etc\/c\$\$HOME%%n$/m);
  const path = join(tmp, "odd", "lvs-agent.service");
  mkdirSync(join(tmp, "odd"), { recursive: true });
  writeFileSync(path, unit);
  if (analyze) {
    const r = spawnSync("systemd-analyze", ["verify", path], { encoding: "utf8" });
    assert.deepEqual(
      r.stderr.split("\n").filter((s) => s.includes("lvs-agent.service")),
      [],
    );
  }
  for (const bad of ["/var/lib/x\nExecStartPre=/bin/touch /tmp/pwned", "/var/lib/x\rY", "/var/lib/x\u0000"]) {
    assert.throws(
      () => systemdUnit({ ...l, agentStateDir: bad }),
      /a systemd unit cannot hold a control character/,
      JSON.stringify(bad),
    );
  }
  assert.throws(() => systemdUnit({ ...l, configDir: "/etc/x\ny" }), /control character/);
  assert.throws(() => systemdUnit({ ...l, statusSocket: '/run/a"b/s' }), /double quote or a backslash/);
});
