// `lvsctl up|preview|refresh|status|doctor|destroy -f cluster.yaml` through the real Pulumi CLI on one set
// of lab hosts (`lvsctl lab up --hosts-only`: user-mode Linux directors, namespace real servers, nothing
// deployed), in order: a bad file is refused with every problem and its line before any host is touched;
// up deploys, though killed at each step of each resource's create and run again (killed-ups.ts), each
// run after a kill removing the dead run's stack lock; status shows one master and healthy real servers (and an unreachable director as such);
// preview exits 0 when the hosts match, 2 after a hand edit; refresh takes the edit into the state; up
// repairs; doctor passes and then names each fault made by hand (doctor-scenario.ts); destroy, with a
// real server gone, removes everything else and names what it left in the state.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { assertDownLeftNothing, labSkip as skip, lvsctl as lab, lvsctlIn, type Run } from "./lab-cli.ts";
import { doctorScenario } from "./doctor-scenario.ts";
import { upKilledAtEachStep } from "./killed-ups.ts";
import { ssh } from "../../lvsctl/src/lab/access.ts";
import { labDir, readRecord } from "../../lvsctl/src/lab/record.ts";
import { byRole, topology, type LabHost, type Topology } from "../../lvsctl/src/lab/topology.ts";
import type { ClusterView } from "../../lvsctl/src/cluster/status-view.ts";
import type { OpReport } from "../../lvsctl/src/cluster/commands.ts";

const NAME = `c${process.pid % 1_000_000}`;

/** lvsctl in the lab's control namespace, its output kept for the search for the key */
const lvsctl = (...args: Parameters<typeof lvsctlIn>): Run => {
  const r = lvsctlIn(...args);
  outputs.push(r);
  return r;
};

const shown = (r: Run) => `exit ${r.code}\n${r.err.slice(-4000)}\n${r.out.slice(-4000)}`;

let t: Topology;
let dir = "";
/** the lab's cluster as `lvsctl lab cluster-file` writes it, and where it was saved */
let fileText = "";
let file = "";
/** every output of lvsctl that may show a secret, searched for the key at the end */
const outputs: Run[] = [];
const onHost = (h: LabHost, script: string) => ssh(t, labDir(NAME), h, script);

before(() => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), "lvsctl-"));
  const made = lab(NAME, "up", "--hosts-only", "--directors", "2", "--real-servers", "2");
  assert.equal(made.code, 0, shown(made));
  t = topology(readRecord(NAME)!.options, readRecord(NAME)!.slot);
  const fileOut = lab(NAME, "cluster-file");
  assert.equal(fileOut.code, 0, shown(fileOut));
  fileText = fileOut.out;
  file = join(dir, "site-a.yaml");
  writeFileSync(file, fileText);
});

after(() => {
  if (skip) return;
  rmSync(dir, { recursive: true, force: true });
  assertDownLeftNothing(NAME);
});

test("a cluster file with three mistakes is refused with each line before any host is touched", { skip }, () => {
  assert.ok(!fileText.includes("PRIVATE KEY"), "the cluster file names the key file, never the key");
  const [d1] = byRole(t, "director");
  const bad = join(dir, "bad.yaml");
  writeFileSync(
    bad,
    fileText
      .replace(/vrid: \d+/, "vrid: 300")
      .replace("scheduler: rr", "scheduler: rr\n    persistance: 60")
      .replace(/privateKeyFile: .*/, "privateKeyFile: /nonexistent/key"),
  );
  const refused = lvsctl(t, "up", "-f", bad);
  assert.equal(refused.code, 1, shown(refused));
  const lineOf = (needle: string) => fileText.split("\n").findIndex((l) => l.includes(needle)) + 1;
  assert.match(refused.err, /3 problem\(s\), nothing was touched/);
  assert.match(
    refused.err,
    new RegExp(`bad\\.yaml:${lineOf("privateKeyFile")}:\\d+: ssh\\.privateKeyFile: cannot read`),
  );
  assert.match(refused.err, new RegExp(`bad\\.yaml:${lineOf("vrid:")}:\\d+: vips\\[0\\]\\.vrid: `));
  assert.match(refused.err, /virtualServers\[0\]\.persistance: unknown field "persistance"/);
  assert.equal(onHost(d1!, "test -e /opt/lvs-agent").code, 1, "no agent was installed");
});

test("lvsctl deploys, watches and repairs a cluster file on lab hosts", { skip, timeout: 1_800_000 }, async () => {
  const d2 = byRole(t, "director")[1]!;
  const rs1 = byRole(t, "realServer")[0]!;
  // 2. up, through the real engine, killed at each step of each resource's create (lvsctl, pulumi and the
  // plugin at once) and run again, until a run goes to its end: the cluster converges
  // Every step is 34 kills, 9 min (LVS_TEST_KILL_EVERY_STEP=1); by default steps that change each kind of
  // resource: a real server's changes applied, a director's bundle uploading and its agent starting, a
  // fragment written and its agent not yet reloaded. A run is killed at the first of them it reaches that
  // no run was killed at; a resource whose steps all ran before another's kill (within the ~0.1 s the
  // kill takes to arrive) is not killed at again, so the director's two points are sure, the rest likely.
  const everyStep = process.env.LVS_TEST_KILL_EVERY_STEP === "1";
  const CHOSEN = [
    "Director 'upload bundle'",
    "Director 'start agent'",
    "Vip 'lvs-agent reload'",
    "VirtualServer 'lvs-agent reload'",
  ];
  const realServerApply = (key: string, done: ReadonlySet<string>) =>
    key.startsWith("RealServer 'apply ") && ![...done].some((k) => k.startsWith("RealServer 'apply "));
  const runs = await upKilledAtEachStep(
    t,
    file,
    (key, done) => everyStep || CHOSEN.includes(key) || realServerApply(key, done),
  );
  outputs.push(...runs);
  const up = runs.at(-1)!;
  const errors = (r: Run) =>
    r.err
      .split("\n")
      .filter((l) => /error|FAILED/.test(l))
      .join("\n");
  assert.equal(up.code, 0, `${errors(up)}\n${shown(up)}`);
  assert.doesNotMatch(up.err, /pending operations from previous deployment/);
  const points = runs.slice(0, -1).map((r) => r.killedAt!);
  console.log(`# killed at: ${points.join(", ")}`);
  for (const s of CHOSEN.slice(0, 2)) assert.ok(points.includes(s), `killed at ${s}: ${points.join(", ")}`);
  assert.ok(points.length >= 4, points.join(", "));
  // Each run after a kill found the dead run's stack lock and removed it (pulumi would refuse to start),
  // then read the hosts back, dropping the pending creates (up would warn of them ever after).
  for (const r of runs.slice(1)) {
    assert.match(
      r.err,
      /interrupted run may have left operations pending: pulumi refresh --clear-pending-creates first/,
    );
    assert.match(
      r.err,
      /removed stack site-a's lock left by a run that is gone \(\S+@\S+, taken \S+; pid \d+ is not running\)/,
    );
  }
  const upReport = JSON.parse(up.out) as OpReport;
  assert.equal(upReport.stack, "site-a");
  assert.match(runs[0]!.err, /create +lvs:index:Director cluster-d1/, "progress per resource on stderr with --json");

  // 3. status: one master, both real servers healthy at weight 1
  const st = lvsctl(t, "status", "-f", file, "--json");
  assert.equal(st.code, 0, shown(st));
  const view = JSON.parse(st.out) as ClusterView;
  assert.equal(view.vips[0]!.verdict, "ok");
  assert.equal(view.vips[0]!.masters.length, 1);
  assert.deepEqual(
    view.virtualServers[0]!.realServers.map((r) => [r.health, r.weight]),
    [
      ["up", 1],
      ["up", 1],
    ],
  );
  const table = lvsctl(t, "status", "-f", file);
  assert.match(table.out, /^VIP +ADDRESSES +MASTER/m);
  assert.match(table.out, /^d1 +10\.\S+ +(MASTER|BACKUP)/m);

  // 4. preview: no change (exit 0); after a hand edit, exit 2 naming the property
  const clean = lvsctl(t, "preview", "-f", file);
  assert.equal(clean.code, 0, shown(clean));
  assert.equal(onHost(rs1, "sysctl -w net.ipv4.conf.all.arp_ignore=0").code, 0);
  const drifted = lvsctl(t, "preview", "-f", file);
  assert.equal(drifted.code, 2, shown(drifted));
  assert.match(drifted.out, /arpIgnore: 0 => 1/);

  // 5. refresh takes the edit into the state (the program still differs), up repairs it
  const refreshed = lvsctl(t, "refresh", "-f", file, "--json");
  assert.equal(refreshed.code, 0, shown(refreshed));
  assert.ok((JSON.parse(refreshed.out) as OpReport).changes.update! >= 1, refreshed.out);
  const repaired = lvsctl(t, "up", "-f", file);
  assert.equal(repaired.code, 0, shown(repaired));
  assert.match(repaired.out, /^up: 1 updated/m);
  assert.equal(onHost(rs1, "cat /proc/sys/net/ipv4/conf/all/arp_ignore").stdout.trim(), "1");
  assert.equal(lvsctl(t, "preview", "-f", file).code, 0);

  // 6. a director that does not answer is shown as such; the others still report
  const ghost = join(dir, "ghost.yaml");
  const ghostAddr = d2!.address.replace(/\.\d+$/, ".99");
  writeFileSync(
    ghost,
    readFileSync(file, "utf8").replace(
      "directors:\n",
      `directors:\n  - name: d9\n    address: ${ghostAddr}\n    connection:\n      host: ${ghostAddr}\n      connectTimeout: 2\n      insecureIgnoreHostKey: true\n`,
    ),
  );
  const partial = lvsctl(t, "status", "-f", ghost, "--json");
  assert.equal(partial.code, 1, shown(partial));
  const pv = JSON.parse(partial.out) as ClusterView;
  assert.match(pv.directors.find((d) => d.name === "d9")!.error!, /^unreachable: /);
  assert.equal(pv.vips[0]!.verdict, "ok", "d1 and d2 still report");
});

test(
  "lvsctl doctor passes the deployed cluster and names the host and fix of each fault",
  { skip, timeout: 900_000 },
  async () => {
    await doctorScenario(NAME, t, dir, file);
  },
);

test(
  "lvsctl destroy with a real server gone removes the rest and says what it left; no output shows the key",
  { skip },
  () => {
    const d1 = byRole(t, "director")[0]!;
    const [rs1, rs2] = byRole(t, "realServer");
    const sshd = readRecord(NAME)!.processes.find((p) => p.what === `${rs2!.name} sshd`)!;
    process.kill(sshd.pid, "SIGKILL");
    const destroyed = lvsctl(t, "destroy", "-f", file);
    assert.equal(destroyed.code, 1, shown(destroyed));
    assert.match(
      destroyed.err,
      new RegExp(`host ${rs2!.address.replaceAll(".", "\\.")}: step 'connect': cannot reach`),
    );
    assert.match(destroyed.err, /left in the state, not destroyed: RealServer cluster-http-rs2\n/);
    assert.equal(onHost(d1, "test -e /opt/lvs-agent").code, 1, "the agent is removed");
    assert.equal(onHost(rs1!, "cat /proc/sys/net/ipv4/conf/all/arp_ignore").stdout.trim(), "0");
    const key = readFileSync(join(labDir(NAME), "id_ed25519"), "utf8")
      .split("\n")
      .filter((l) => l.length > 40);
    const everything = outputs.map((r) => r.out + r.err).join("\n");
    for (const line of key) assert.ok(!everything.includes(line), "a line of the SSH key was shown");
  },
);
