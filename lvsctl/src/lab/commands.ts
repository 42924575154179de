// The `lvsctl lab` commands (thin I/O shell): up, status, failover, drift, repair, down. Each prints for
// people, or JSON with --json; each names the lab (default "lab") and fails with a message saying what
// to do next.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { readKeys, ssh } from "./access.ts";
import { renderClusterFile } from "../cluster/file-render.ts";
import { addReach, deleteNamespace, execIn, labNamespaces, pidsIn } from "./netns.ts";
import { AGENT, formatView, labView, probe, directorView } from "./observe.ts";
import {
  isRecordedProcess,
  isZombie,
  labDir,
  processesOfLab,
  readRecord,
  writeRecord,
  type LabRecord,
} from "./record.ts";
import { countByServer, timeline, type Timeline } from "./timeline.ts";
import {
  byRole,
  HTTP_PORT,
  labClusterSpec,
  parseLabOptions,
  reachAddress,
  topology,
  type LabHost,
  type Topology,
} from "./topology.ts";
import { CONF_D } from "../../../provider/src/inputs/common.ts";
import {
  buildBundle,
  engineInControl,
  makeHosts,
  labProblems,
  machineFacts,
  newRecord,
  Phases,
  resolveDirectorKind,
  type Say,
} from "./up.ts";

export class LabError extends Error {}

function opened(name: string): { t: Topology; dir: string; rec: NonNullable<ReturnType<typeof readRecord>> } {
  const rec = readRecord(name);
  if (!rec) throw new LabError(`no lab named ${name}: lvsctl lab up${name === "lab" ? "" : ` --name ${name}`}`);
  return { t: topology(rec.options, rec.slot), dir: labDir(name), rec };
}

const nameFlag = (name: string) => (name === "lab" ? "" : ` --name ${name}`);

export async function labUp(
  raw: Record<string, unknown>,
  say: Say,
): Promise<{ phases: [string, number][]; balance: Record<string, number>; master?: string }> {
  const parsed = parseLabOptions(raw);
  if (!parsed.ok) throw new LabError(`lvsctl lab up: ${parsed.problems.join("; ")}`);
  const facts = machineFacts(parsed.options);
  const problems = labProblems(parsed.options, facts);
  if (problems.length) throw new LabError(`lvsctl lab up refused, nothing was made:\n  ${problems.join("\n  ")}`);
  const { rec, t } = newRecord({ ...parsed.options, directorKind: resolveDirectorKind(parsed.options, facts) });
  const phases = new Phases(say);
  const kind = t.options.directorKind === "netns" ? "network namespaces" : "user-mode Linux";
  say(
    `lab ${t.options.name}: ${t.options.directors} director(s) (${kind}), ${t.options.realServers} real server(s), VIP ${t.vip}`,
  );
  try {
    await makeHosts(t, rec, phases);
    const from = t.options.reachFrom ? readRecord(t.options.reachFrom) : undefined;
    if (from)
      await phases.run(`reach from lab ${from.options.name}`, () =>
        addReach(t, topology(from.options, from.slot), reachAddress(t)),
      );
    await phases.run("agent bundle", () => buildBundle(say));
    cutOff(rec, t.options.unreachable, say);
    if (t.options.hostsOnly) {
      say(
        `hosts ready, nothing deployed: lvsctl lab cluster-file${nameFlag(t.options.name)} writes their cluster file`,
      );
      return { phases: phases.times, balance: {} };
    }
    const { code } = await phases.run("pulumi up", () => engineInControl(t, "up"));
    if (code !== 0)
      throw new LabError(
        `pulumi up failed (above); the lab is left as it is: lvsctl lab status${nameFlag(t.options.name)}, then lvsctl lab down`,
      );
    rec.phase = "deployed";
  } catch (err) {
    rec.phase = `failed: ${(err as Error).message.split("\n")[0]}`;
    throw err;
  } finally {
    writeRecord(rec);
  }
  const dir = labDir(t.options.name);
  const master = byRole(t, "director").find((h) => directorView(t, dir, h).state === "MASTER")?.name;
  const balance = countByServer(await probe(t, 40, 20).answers);
  say(
    `\nVIP ${t.vip} on ${master ?? "no director (!)"}; 40 requests from the client: ${
      Object.entries(balance)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k} ${v}`)
        .join(", ") || "none answered"
    }`,
  );
  say(`phases: ${phases.times.map(([n, ms]) => `${n} ${(ms / 1000).toFixed(1)} s`).join(", ")}`);
  return { phases: phases.times, balance, ...(master ? { master } : {}) };
}

/** --unreachable: stop these real servers' sshd (by recorded PID) so that pulumi up fails there. */
function cutOff(rec: LabRecord, names: readonly string[], say: Say): void {
  for (const name of names) {
    const sshd = rec.processes.find((p) => p.what === `${name} sshd`);
    if (sshd && isRecordedProcess(sshd)) kill(sshd.pid, "SIGKILL");
    rec.processes = rec.processes.filter((p) => p !== sshd);
    say(`   ${name}: sshd stopped (--unreachable), so pulumi up fails there`);
  }
  writeRecord(rec);
}

export function labStatus(name: string): ReturnType<typeof labView> {
  const { t, dir, rec } = opened(name);
  return labView(t, dir, rec);
}
export const formatStatus = formatView;

export type FaultKind = "crash" | "stop" | "link";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Fault {
  what: string;
  make(): void;
  undo(): void;
}

function faultOn(t: Topology, dir: string, master: LabHost, kind: FaultKind): Fault {
  const run = (script: string) => () => void ssh(t, dir, master, script);
  switch (kind) {
    case "crash":
      return {
        what: "SIGKILL of its agent (its supervisor restarts it)",
        make: run('kill -KILL "$(cat /opt/lvs-agent/run/agent.pid)"'),
        undo: () => undefined,
      };
    case "stop":
      return {
        what: "SIGTERM of its agent's supervisor (a priority 0 advert), started again afterwards",
        make: run('kill -TERM "$(cat /opt/lvs-agent/run/supervisor.pid)"'),
        undo: run("setsid /opt/lvs-agent/lvs-agent-supervise run </dev/null >/dev/null 2>&1 &"),
      };
    case "link": {
      // The bridge port stops forwarding, as a pulled cable would; the tap itself stays up (UML's vector
      // transport does not come back from its tap going down).
      const port = (state: string) => () =>
        void execIn(t.switchNs, "bridge", ["link", "set", "dev", master.link, "state", state]);
      return { what: "its link cut (its bridge port disabled), restored afterwards", make: port("0"), undo: port("3") };
    }
  }
}

export interface FailoverReport {
  master: string;
  kind: FaultKind;
  /** request times relative to the fault (negative: before it) */
  timeline: Timeline;
  /** the director that was MASTER while the fault held */
  takenOverBy?: string;
}

/** A fault on the master 1 s into 4 s of client requests every 20 ms; what the client saw, then undone. */
export async function labFailover(name: string, kind: FaultKind, say: Say): Promise<FailoverReport> {
  const { t, dir } = opened(name);
  const master = byRole(t, "director").find((h) => directorView(t, dir, h).state === "MASTER");
  if (!master) throw new LabError(`no director of lab ${name} is MASTER: lvsctl lab status`);
  const f = faultOn(t, dir, master, kind);
  say(`master ${master.name}: ${f.what}; the client requests ${t.vip} every 20 ms`);
  const p = probe(t, 250, 20, 200);
  const start = await p.started;
  await sleep(1000);
  const faultAt = Date.now();
  f.make();
  // Who took the VIP over while the fault held: watched until the probe ends (a crashed agent's
  // supervisor restarts it after 1 s, and it then takes the VIP back by preemption).
  const others = byRole(t, "director").filter((h) => h !== master);
  let takenOverBy: string | undefined;
  let probing = true;
  p.answers.then(
    () => (probing = false),
    () => (probing = false),
  );
  while (probing && !takenOverBy) {
    takenOverBy = others.find((h) => directorView(t, dir, h).state === "MASTER")?.name;
    await sleep(50);
  }
  const tl = timeline((await p.answers).map((a) => ({ ...a, t: a.t - (faultAt - start) })));
  f.undo();
  for (const r of tl.runs)
    say(
      `  ${(r.from / 1000).toFixed(2)}-${(r.to / 1000).toFixed(2)} s  ${r.ok ? "answered" : "FAILED  "}  ${Object.entries(
        r.by,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}`,
    );
  say(
    `times from the fault; longest gap between answers: ${tl.longestGapMs} ms; ${tl.failed} of ${tl.failed + tl.answered} requests failed; taken over by ${takenOverBy ?? "no director"}`,
  );
  return { master: master.name, kind, timeline: tl, ...(takenOverBy ? { takenOverBy } : {}) };
}

export interface DriftReport extends PreviewReport {
  edits: string[];
}

/** The version the drift's replaced agent reports. */
export const HAND_VERSION = "0.0.9-hand";

/**
 * Another agent version in place of the installed one: its code edited to report HAND_VERSION, then
 * the running agent killed (its supervisor starts the edited one); done once the new agent answers.
 */
const REPLACE_AGENT = [
  `sed -i 's/var AGENT_VERSION = "[^"]*"/var AGENT_VERSION = "${HAND_VERSION}"/' "$(readlink -f /opt/lvs-agent/current)/lib/lvs-agent.mjs"`,
  'kill -TERM "$(cat /opt/lvs-agent/run/agent.pid)"',
  `for i in $(seq 150); do ${AGENT} status 2>/dev/null | grep -q '${HAND_VERSION}' && exit 0; sleep 0.2; done; echo "the replaced agent did not answer in 30 s" >&2; exit 1`,
].join(" && ");

/** Hand edits on the hosts, then what `pulumi preview --refresh --diff` reports of them. */
export async function labDrift(name: string, say: Say): Promise<DriftReport> {
  const { t, dir } = opened(name);
  const [rs1] = byRole(t, "realServer");
  const directors = byRole(t, "director").map((h) => ({ h, v: directorView(t, dir, h) }));
  const master = directors.find((d) => d.v.state === "MASTER")?.h;
  const backup = directors.find((d) => d.h !== master)?.h;
  const edits: [LabHost | undefined, string, string][] = [
    [rs1, "sysctl -w net.ipv4.conf.all.arp_ignore=0", "arp_ignore 0 on all interfaces"],
    [rs1, `ip addr del ${t.vip}/32 dev lo`, "the loopback VIP deleted"],
    [
      master,
      `ipvsadm -e -t ${t.vip}:${HTTP_PORT} -r ${rs1!.address}:${HTTP_PORT} -g -w 9`,
      "a real server's weight set to 9 in IPVS (ipvsadm -e)",
    ],
    [
      master,
      `sed -i -E 's/"priority": [0-9]+/"priority": 201/' ${CONF_D}/vip-web.json`,
      "the VIP's fragment edited by hand (priority 201)",
    ],
    [backup, REPLACE_AGENT, `the agent replaced by another version (${HAND_VERSION}) and restarted`],
  ];
  const done: string[] = [];
  for (const [h, script, what] of edits) {
    if (!h) continue;
    const r = ssh(t, dir, h, script);
    const line = `${h.name}: ${script}  (${what})${r.code === 0 ? "" : ` FAILED: ${r.stderr}`}`;
    say(line);
    done.push(line);
  }
  say("");
  return { edits: done, ...(await labPreview(name, say)) };
}

export interface PreviewReport {
  /** `pulumi preview --refresh --diff` as the CLI printed it */
  preview: string;
  /** the engine's count of planned steps by kind ("update", "same", ...) */
  changes: Record<string, number>;
}

/** `pulumi preview --refresh --diff`: what an update would change on the hosts as they are now. */
export async function labPreview(name: string, say: Say): Promise<PreviewReport> {
  const { t, dir } = opened(name);
  say("$ pulumi preview --refresh --diff");
  const { code, output } = await engineInControl(t, "preview");
  if (code !== 0) throw new LabError(`pulumi preview failed (exit ${code}): see above`);
  const last = JSON.parse(readFileSync(join(dir, "last-preview.json"), "utf8")) as { changes: Record<string, number> };
  return { preview: output, changes: last.changes };
}

/** One engine operation on a deployed lab, its outcome kept as the lab's phase. */
async function engineStep(
  name: string,
  op: "repair" | "destroy",
  say: Say,
  shown: string,
  after: string,
): Promise<void> {
  const { t, rec } = opened(name);
  say(`$ ${shown}`);
  const ok = (await engineInControl(t, op)).code === 0;
  rec.phase = ok ? after : `failed: ${shown} (lvsctl lab ${op})`;
  writeRecord(rec);
  if (!ok) throw new LabError(`${shown} failed: see above`);
}

/** pulumi up --refresh: the update starts from what the hosts hold now, so every hand edit is undone. */
export const labRepair = (name: string, say: Say) => engineStep(name, "repair", say, "pulumi up --refresh", "deployed");

/** pulumi destroy: the cluster removed from the hosts (agents, fragments, ARP settings), the hosts kept. */
export const labDestroy = (name: string, say: Say) => engineStep(name, "destroy", say, "pulumi destroy", "destroyed");

/** pulumi destroy (when the lab is deployed and its hosts run), then every process, namespace and file. */
export async function labDown(name: string, say: Say): Promise<void> {
  const rec = readRecord(name);
  const namespaces = labNamespaces(name);
  if (!rec && namespaces.length === 0) throw new LabError(`no lab named ${name}`);
  if (rec && rec.phase !== "hosts" && rec.phase !== "destroyed" && rec.processes.every(isRecordedProcess)) {
    say("$ pulumi destroy");
    const { code } = await engineInControl(topology(rec.options, rec.slot), "destroy");
    if (code !== 0) say("pulumi destroy failed (above): removing the lab's hosts anyway");
  }
  // A moment to end by SIGTERM (sshd, nginx, a guest's kernel); then whatever is left is killed.
  for (const p of rec?.processes ?? []) if (isRecordedProcess(p)) kill(p.pid, "SIGTERM");
  await sleep(500);
  await untilGone(name, () => processesLeft(name, rec, namespaces));
  for (const ns of namespaces) deleteNamespace(ns);
  if (existsSync(labDir(name))) rmSync(labDir(name), { recursive: true, force: true });
  say(`lab ${name} removed: ${rec?.processes.length ?? 0} process(es), ${namespaces.length} namespace(s)`);
}

/** The lab's processes still running: those it recorded, any in its namespaces, any naming its directory. */
function processesLeft(name: string, rec: LabRecord | undefined, namespaces: string[]): number[] {
  const pids = new Set(processesOfLab(name));
  for (const ns of namespaces) for (const pid of pidsIn(ns)) if (!isZombie(pid)) pids.add(pid);
  for (const p of rec?.processes ?? []) if (isRecordedProcess(p)) pids.add(p.pid);
  return [...pids];
}

/**
 * Wait until no process of the lab is left, killing stragglers (a guest's forked helpers outlive its
 * kernel process for a moment): `down` returns only when the lab is gone, so an `up` of the same name
 * right after cannot meet its predecessor's processes.
 */
async function untilGone(name: string, left: () => number[]): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const pids = left();
    if (pids.length === 0) return;
    for (const pid of pids) kill(pid, "SIGKILL");
    await sleep(100);
  }
  throw new LabError(`processes of lab ${name} did not exit after SIGKILL: ${left().join(", ")}`);
}

function kill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

/** The lab's cluster as a cluster file for `lvsctl up -f` (run inside the lab's control namespace). */
export function labClusterFile(name: string): string {
  const { t, dir } = opened(name);
  const keys = readKeys(dir);
  const control = byRole(t, "control")[0]!;
  const head = `# lab ${name}: only its control namespace reaches these hosts:\n#   ip netns exec ${control.ns} lvsctl up -f <this file>\n`;
  return head + renderClusterFile(labClusterSpec(t, keys), { privateKeyFile: keys.privateKeyFile, user: "root" });
}
