// lvs.Director for real: the plugin runs in the lab host `control` and is driven over gRPC as the engine
// drives it; the directors `d1` and `d2` are lab hosts with Debian's sshd. The provider installs the
// real agent bundle (its own Node 22) there and runs it under the sh supervisor (no systemd in the
// lab). The lab hosts share one filesystem, so each director gets its installDir, configDir, status
// socket and state under this test's directory in /tmp. The supervised agents run detached: they are
// killed by their pid files' PIDs (the supervisor leads its own process group) when the test ends.
// The lab, sshd, plugin and bundle variants are set up and taken down by helpers/director-testbed.ts.
import { after, before, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { isRoot, waitFor, type Host } from "../helpers/netns.ts";
import { processAlive as alive } from "../helpers/procs.ts";
import { ResourceClient } from "./helpers/directors.ts";
import { ADVERT_S, DirectorTestbed, VIP, modesUnder, sha256 } from "./helpers/director-testbed.ts";
import { changeLines } from "./helpers/plugin.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Obj = Record<string, unknown>;
interface Agent {
  version: string;
  bundleSha256: string;
  installPath: string;
  serviceManager: string;
  running: boolean;
  pid?: number;
}

const skip = !isRoot && "needs root for network namespaces";
/** RFC 5798 Skew_Time of the backup (priority 100) at a 1 s advert interval */
const SKEW_MS = ((256 - 100) * ADVERT_S * 1000) / 256;

const tb = new DirectorTestbed();
/** the state the engine would keep per director */
const state: Record<string, { id: string; inputs: Obj; outs: Obj }> = {};

const client = (name: string) => new ResourceClient(tb.plugin, "Director", name);
const hostOf = (name: string): Host => tb.lab.host(name);
const timed = async <T>(t: TestContext, what: string, fn: () => Promise<T>): Promise<T> => {
  const t0 = Date.now();
  const r = await fn();
  t.diagnostic(`${what}: ${Date.now() - t0} ms`);
  return r;
};

before(() => tb.start(), { timeout: 360_000 });
after(() => tb.stop());

test(
  "create: the bundle is uploaded, verified and started under the supervisor; the agent runs on the bundled node",
  { skip, timeout: 120_000 },
  async (t) => {
    const c = client("d1");
    const inputs = await c.check(tb.declared("d1"));
    const { id, outs } = await timed(t, "create", () => c.create(inputs));
    state.d1 = { id, inputs, outs };
    const d = tb.dirs("d1");
    const agent = outs.agent as Agent;
    assert.equal(id, `${tb.sshd.d1!.address}:${d.opt}`);
    assert.equal(agent.version, tb.bundles.version);
    // (the plugin built its own bundle; the sources may have moved on since this test built one, so only its form is compared)
    assert.match(agent.bundleSha256, /^[0-9a-f]{64}$/);
    assert.equal(agent.installPath, join(d.opt, "versions", `${tb.bundles.version}-${agent.bundleSha256.slice(0, 8)}`));
    assert.deepEqual([agent.serviceManager, agent.running, outs.drift], ["supervised", true, []]);
    assert.equal(
      readlinkSync(join(d.opt, "current")),
      `versions/${tb.bundles.version}-${agent.bundleSha256.slice(0, 8)}`,
    );
    assert.equal(tb.uploads(), 1);

    // the agent process is the bundle's own node, under installDir, and answers on its socket
    const pid = agent.pid!;
    assert.equal(pid, tb.pidFile("d1", "agent.pid"));
    assert.equal(readlinkSync(`/proc/${pid}/exe`), realpathSync(join(agent.installPath, "bin/node")));
    assert.ok(readlinkSync(`/proc/${pid}/exe`).startsWith(`${d.opt}/`));
    assert.match(
      readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " "),
      new RegExp(`lvs-agent\\.mjs run --config-dir ${d.conf} $`),
    );
    const st = tb.status("d1");
    assert.deepEqual([st.pid, st.version], [pid, tb.bundles.version]);
    // the outputs Vip and VirtualServer members take reach this agent as installed
    assert.deepEqual([outs.agentCommand, outs.statusSocket], [join(d.opt, "current/bin/lvs-agent"), d.sock]);
    const viaOutputs = spawnSync(
      "ip",
      [
        "netns",
        "exec",
        hostOf("d1").ns,
        String(outs.agentCommand),
        "status",
        "--json",
        "--socket",
        String(outs.statusSocket),
      ],
      { encoding: "utf8", timeout: 20_000 },
    );
    assert.equal((JSON.parse(viaOutputs.stdout) as { pid: number }).pid, pid, viaOutputs.stderr);
    // its fragment: the global settings given, owner-only
    const fragment = JSON.parse(readFileSync(join(d.conf, "director.json"), "utf8")) as { global: Obj };
    assert.equal(fragment.global.statusSocket, d.sock);
    assert.equal(statSync(join(d.conf, "director.json")).mode & 0o777, 0o600);
    // on a host whose sessions start with umask 000, nothing the install made is another user's to change
    const { loose, modes } = modesUnder(d.base);
    t.diagnostic(`modes under ${d.base}: ${[...modes].sort().join(" ")}`);
    assert.deepEqual(loose, [], "owned by root and writable by root alone");
    assert.equal(statSync(join(d.run, "agent.log")).mode & 0o777, 0o644);
  },
);

test(
  "read: an untouched director is in sync (no drift, and no diff against the program)",
  { skip, timeout: 60_000 },
  async (t) => {
    const { id, inputs, outs } = state.d1!;
    const r = await timed(t, "read", () => client("d1").read(id, outs, inputs));
    assert.equal(r.id, id);
    assert.deepEqual(r.props.drift, []);
    assert.deepEqual(r.inputs, inputs, "the inputs as declared (the default agentVersion is the version running)");
    assert.equal(r.inputs.agentVersion, tb.bundles.version);
    assert.equal((await client("d1").diff(r.props, inputs, r.inputs)).changes, "none");
  },
);

test(
  "idempotent: update and a second create with nothing changed upload nothing and restart nothing",
  { skip, timeout: 60_000 },
  async (t) => {
    const { id, inputs, outs } = state.d1!;
    const before = {
      uploads: tb.uploads(),
      log: tb.plugin.stderr.length,
      pid: tb.pidFile("d1", "agent.pid"),
      record: readFileSync(join(tb.dirs("d1").opt, "current/.lvs-install.json"), "utf8"),
    };
    const updated = await timed(t, "update (no change)", () => client("d1").update(id, outs, inputs));
    const again = await timed(t, "create (already installed)", () => client("d1").create(inputs));
    assert.equal(tb.uploads(), before.uploads, "no upload");
    assert.equal(tb.pidFile("d1", "agent.pid"), before.pid, "no restart");
    assert.equal((updated.agent as Agent).pid, before.pid);
    assert.equal((again.outs.agent as Agent).pid, before.pid);
    assert.equal(
      readFileSync(join(tb.dirs("d1").opt, "current/.lvs-install.json"), "utf8"),
      before.record,
      "not reinstalled",
    );
    assert.deepEqual(
      changeLines(tb.plugin.stderr.slice(before.log)),
      [],
      "nothing was changed on the host, so nothing was logged",
    );
  },
);

test(
  "drift: a hand-modified bundle file is reported by read; an update reinstalls a verified copy",
  { skip, timeout: 120_000 },
  async (t) => {
    const { id, inputs, outs } = state.d1!;
    const file = join(tb.dirs("d1").opt, "current/lib/lvs-agent.mjs");
    const original = sha256(file);
    writeFileSync(file, `${readFileSync(file, "utf8")}\n// hand edit\n`);
    const r = await timed(t, "read (drifted)", () => client("d1").read(id, outs, inputs));
    const drift = r.props.drift as string[];
    assert.equal(drift.length, 1, drift.join("; "));
    assert.match(drift[0]!, /^lib\/lvs-agent\.mjs: sha256 [0-9a-f]{64}, manifest says [0-9a-f]{64}$/);
    assert.equal(r.inputs.agentVersion, tb.bundles.version, "the version running is still the one declared");
    assert.deepEqual(
      (await client("d1").diff(r.props, inputs, r.inputs)).detailedDiff,
      { drift: "DELETE (output)" },
      "the engine sees a change to make",
    );

    const pidBefore = tb.pidFile("d1", "agent.pid");
    const n = tb.uploads();
    const repaired = await timed(t, "update (repair)", () => client("d1").update(id, r.props, inputs));
    assert.equal(tb.uploads(), n + 1);
    assert.match(tb.plugin.stderr, /installing \S+: repair: lib\/lvs-agent\.mjs/);
    assert.equal(sha256(file), original, "the file is as the bundle has it again");
    assert.notEqual((repaired.agent as Agent).pid, pidBefore, "the agent was restarted from the verified files");
    const clean = await client("d1").read(id, repaired, inputs);
    assert.deepEqual(clean.props.drift, []);
    state.d1 = { id, inputs, outs: repaired };
  },
);

test(
  "running: an agent stopped by hand reads as running: false; running: false keeps it stopped, true starts it",
  { skip, timeout: 120_000 },
  async (t) => {
    const { id, inputs, outs } = state.d1!;
    const supervisor = tb.pidFile("d1", "supervisor.pid")!;
    process.kill(supervisor, "SIGTERM");
    await waitFor(
      () => !alive(supervisor) && !alive(tb.pidFile("d1", "agent.pid")),
      20_000,
      "the supervisor and its agent gone",
    );
    const r = await client("d1").read(id, outs, inputs);
    assert.equal(r.inputs.running, false);
    assert.deepEqual((await client("d1").diff(r.props, inputs, r.inputs)).detailedDiff, { running: "UPDATE" });

    const stopped = await client("d1").check(tb.declared("d1", { running: false }));
    const kept = await timed(t, "update (running: false)", () => client("d1").update(id, r.props, stopped));
    assert.equal((kept.agent as Agent).running, false);
    assert.equal(tb.agentCli("d1", "status").code !== 0, true, "no agent answers");
    assert.equal(
      (await client("d1").diff(kept, stopped, (await client("d1").read(id, kept, stopped)).inputs)).changes,
      "none",
    );

    const started = await timed(t, "update (running: true)", () => client("d1").update(id, kept, inputs));
    assert.equal((started.agent as Agent).running, true);
    await waitFor(() => tb.agentCli("d1", "status", "--json").code === 0, 20_000, "the agent answering again");
    state.d1 = { id, inputs, outs: started };
  },
);

test("supervisor: an agent killed by PID is running again within the backoff", { skip, timeout: 60_000 }, async (t) => {
  const pid = tb.pidFile("d1", "agent.pid")!;
  process.kill(pid, "SIGKILL");
  const t0 = Date.now();
  const next = await waitFor(
    () =>
      tb.pidFile("d1", "agent.pid") !== pid && alive(tb.pidFile("d1", "agent.pid")) && tb.pidFile("d1", "agent.pid"),
    10_000,
    "a new agent PID",
  );
  await waitFor(() => tb.agentCli("d1", "status", "--json").code === 0, 10_000, "the new agent answering");
  t.diagnostic(`restarted in ${Date.now() - t0} ms`);
  assert.equal(tb.status("d1").pid, next);
  assert.equal(readlinkSync(`/proc/${next}/exe`), realpathSync(join(tb.dirs("d1").opt, "current/bin/node")));
  const r = await client("d1").read(state.d1!.id, state.d1!.outs);
  assert.deepEqual([(r.props.agent as Agent).pid, r.props.drift], [next, []]);
});

test(
  "upgrade while two directors run a VIP: the master hands over at once, the upgraded one preempts back",
  { skip, timeout: 180_000 },
  async (t) => {
    // d1 (priority 200) and d2 (100) share the VIP; d2 is installed by the provider too
    tb.writeVip("d1", 200);
    assert.equal(tb.agentCli("d1", "reload").code, 0);
    mkdirSync(tb.dirs("d2").conf, { recursive: true });
    tb.writeVip("d2", 100);
    const c2 = client("d2");
    const in2 = await c2.check(tb.declared("d2"));
    const created = await timed(t, "create d2", () => c2.create(in2));
    state.d2 = { id: created.id, inputs: in2, outs: created.outs };
    await waitFor(
      () => hostOf("d1").hasAddr(VIP) && !hostOf("d2").hasAddr(VIP) && tb.status("d2").instances[0]?.state === "BACKUP",
      15_000,
      "d1 MASTER with the VIP and d2 BACKUP",
    );

    // watch who holds the VIP while d1 is upgraded
    const samples: Array<{ t: number; d1: boolean; d2: boolean }> = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        samples.push({ t: Date.now(), d1: hostOf("d1").hasAddr(VIP), d2: hostOf("d2").hasAddr(VIP) });
        await sleep(15);
      }
    })();
    const { id, outs } = state.d1!;
    const news = await client("d1").check({ ...tb.declared("d1"), agentBundle: tb.bundles.v2 });
    const oldPath = (outs.agent as Agent).installPath;
    const upgraded = await timed(t, "update (upgrade)", () => client("d1").update(id, outs, news));
    await waitFor(() => hostOf("d1").hasAddr(VIP) && !hostOf("d2").hasAddr(VIP), 15_000, "d1 MASTER again (preempt)");
    watching = false;
    await watcher;
    samples.push({ t: Date.now(), d1: hostOf("d1").hasAddr(VIP), d2: hostOf("d2").hasAddr(VIP) });

    const released = samples.findIndex((s) => !s.d1);
    assert.ok(released > 0, "d1 released the VIP during the upgrade");
    const takeover = samples.findIndex((s, i) => i >= released && s.d2);
    assert.ok(takeover > 0, "d2 took the VIP over");
    const handover = samples[takeover]!.t - samples[released]!.t;
    let gap = 0;
    let since: number | undefined;
    for (const s of samples) {
      if (!s.d1 && !s.d2) since ??= s.t;
      else if (since !== undefined) {
        gap = Math.max(gap, s.t - since);
        since = undefined;
      }
    }
    t.diagnostic(
      `VIP released by d1 -> held by d2: ${handover} ms; longest time without a holder: ${gap} ms (Skew_Time ${SKEW_MS.toFixed(0)} ms); ${samples.length} samples`,
    );
    assert.ok(handover <= 1000, `the backup took over within ~1 s (${handover} ms)`);
    assert.ok(gap <= SKEW_MS + 400, `no master for ${gap} ms, more than Skew_Time + 400 ms`);
    assert.ok(
      samples.slice(takeover).some((s) => s.d1 && !s.d2),
      "the upgraded d1 preempted back",
    );

    const agent = upgraded.agent as Agent;
    assert.equal(agent.version, tb.bundles.v2Version);
    assert.equal(tb.status("d1").version, tb.bundles.v2Version, "the running agent is the new one");
    assert.equal(readlinkSync(`/proc/${agent.pid}/exe`), realpathSync(join(agent.installPath, "bin/node")));
    assert.deepEqual(
      readdirSync(join(tb.dirs("d1").opt, "versions")).sort(),
      [oldPath, agent.installPath].map((p) => p.split("/").pop()!).sort(),
      "the previous version is kept for rollback",
    );
    state.d1 = { id, inputs: news, outs: upgraded };
  },
);

test(
  "a bundle that fails its manifest is not installed: the error names host and step, the running version stays",
  { skip, timeout: 120_000 },
  async (t) => {
    const { id, inputs, outs } = state.d1!;
    const current = readlinkSync(join(tb.dirs("d1").opt, "current"));
    const pid = tb.pidFile("d1", "agent.pid");
    const news = await client("d1").check({ ...inputs, agentBundle: tb.bundles.bad });
    const message = await timed(t, "update (bad bundle)", () =>
      client("d1").failure(client("d1").update(id, outs, news)),
    );
    assert.match(
      message,
      new RegExp(
        `host ${tb.sshd.d1!.address.replace(/\./g, "\\.")}: step 'verify files': the unpacked bundle does not match its manifest \\(1 problems\\): lib/lvs-agent\\.mjs: sha256`,
      ),
    );
    assert.equal(readlinkSync(join(tb.dirs("d1").opt, "current")), current);
    assert.equal(tb.pidFile("d1", "agent.pid"), pid);
    assert.deepEqual(
      readdirSync(join(tb.dirs("d1").opt, "versions")).filter((n) => n.startsWith(".")),
      [],
      "no staging left behind",
    );
    assert.deepEqual((await client("d1").read(id, outs)).props.drift, [], "still in sync with what runs");
  },
);

test(
  "an upgrade whose agent cannot start is rolled back: the previous version runs again",
  { skip, timeout: 120_000 },
  async (t) => {
    const { id, outs } = state.d1!;
    const running = readlinkSync(join(tb.dirs("d1").opt, "current"));
    const news = await client("d1").check({ ...tb.declared("d1"), agentBundle: tb.bundles.crash });
    const message = await timed(t, "update (agent crashes)", () =>
      client("d1").failure(client("d1").update(id, outs, news)),
    );
    assert.match(message, new RegExp(`host ${tb.sshd.d1!.address.replace(/\./g, "\\.")}: step 'wait for agent': `));
    assert.match(
      message,
      /the agent exited while starting; its output:\n[\s\S]*Error: lvs-test: this agent cannot start\n[\s\S]*agent exited \(status 1\)/,
    );
    assert.match(message, new RegExp(`rolled back: ${running.split("/")[1]!.replace(/\./g, "\\.")} runs again`));
    assert.equal(readlinkSync(join(tb.dirs("d1").opt, "current")), running);
    assert.equal(tb.status("d1").version, tb.bundles.v2Version, "the previous agent runs again");
    await waitFor(() => hostOf("d1").hasAddr(VIP) && !hostOf("d2").hasAddr(VIP), 15_000, "d1 MASTER again");
    const r = await client("d1").read(id, outs);
    assert.deepEqual(r.props.drift, []);
    state.d1 = { id, inputs: state.d1!.inputs, outs: { ...outs, agent: r.props.agent } };
  },
);

test(
  "serviceManager systemd where systemd does not run: refused before anything is installed",
  { skip, timeout: 60_000 },
  async () => {
    const inputs = await client("x").check({
      ...tb.declared("d2"),
      installDir: join(tb.root, "x/opt"),
      serviceManager: "systemd",
    });
    const message = await client("x").failure(client("x").create(inputs));
    assert.match(
      message,
      new RegExp(
        `host ${tb.sshd.d2!.address.replace(/\./g, "\\.")}: step 'choose service manager': serviceManager is systemd, but systemd does not run here`,
      ),
    );
    assert.ok(!existsSync(join(tb.root, "x")));
  },
);

test(
  "delete: the agent stops and hands the VIP over; the install is gone; other resources' fragments stay",
  { skip, timeout: 60_000 },
  async (t) => {
    const { id, outs } = state.d1!;
    const pid = tb.pidFile("d1", "agent.pid")!;
    const supervisor = tb.pidFile("d1", "supervisor.pid")!;
    assert.ok(hostOf("d1").hasAddr(VIP));
    const t0 = Date.now();
    await timed(t, "delete d1", () => client("d1").delete(id, outs));
    await waitFor(() => hostOf("d2").hasAddr(VIP), 3000, "d2 holding the VIP");
    t.diagnostic(`VIP on d2 ${Date.now() - t0} ms after the delete began`);
    assert.ok(!alive(pid) && !alive(supervisor), "agent and supervisor stopped");
    assert.ok(!hostOf("d1").hasAddr(VIP), "the stopped agent removed its VIP");
    assert.ok(!existsSync(tb.dirs("d1").opt), "installDir removed");
    assert.deepEqual(readdirSync(tb.dirs("d1").conf), ["vip-test.json"]);
    assert.match(tb.plugin.stderr, /left 1 fragment\(s\) of other resources in \S+: vip-test\.json/);
    assert.equal((await client("d1").read(id, outs)).id, "", "read finds it gone");

    const d2 = state.d2!;
    await client("d2").delete(d2.id, d2.outs);
    assert.ok(!existsSync(tb.dirs("d2").opt));
    assert.ok(!hostOf("d2").hasAddr(VIP));
  },
);
