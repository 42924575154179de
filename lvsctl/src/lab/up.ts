// `lvsctl lab up`: real hosts on this machine, then the cluster deployed on them by `pulumi up` through
// the real engine (thin I/O shell, phase by phase). The lab makes hosts only: every director's agent,
// VIP and virtual server and every real server's ARP suppression and loopback VIP come from the
// provider. Each phase prints what it did and its time; a failure leaves the lab inspectable
// (`lab status`) and removable (`lab down`).
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeKnownHosts } from "./access.ts";
import { REPO } from "../cluster/stack.ts";
import { NO_UML, startGuest, waitGuestReady } from "./guest.ts";
import { addNamespaceHost, addTap, createSwitch, labNamespaces } from "./netns.ts";
import { freeSlot, labDir, readRecord, writeRecord, type LabRecord } from "./record.ts";
import { DIRECTOR_PRIVATE_PATHS, startNamespaceSshd } from "./ns-sshd.ts";
import { startRealServer } from "./real-servers.ts";
import { keygen, prepareSshdDir } from "./sshd.ts";
import { byRole, HTTP_PORT, topology, type LabOptions, type Topology } from "./topology.ts";
import { findUmlKernel } from "./uml.ts";

export type Say = (line: string) => void;

/** Phases and their times, printed as they end. */
export class Phases {
  readonly times: [string, number][] = [];
  constructor(private readonly say: Say) {}
  async run<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
    this.say(`== ${name}`);
    const t0 = Date.now();
    const out = await fn();
    const ms = Date.now() - t0;
    this.times.push([name, ms]);
    this.say(`   ${name}: ${(ms / 1000).toFixed(1)} s`);
    return out;
  }
}

/** What the machine has that a lab needs (gathered by machineFacts, judged by labProblems). */
export interface MachineFacts {
  /** a lab of this name exists (its record or namespaces) */
  labExists: boolean;
  umlKernel: boolean;
  /** this kernel has IPVS (/proc/net/ip_vs, after `modprobe ip_vs`): directors can be namespaces */
  hostIpvs: boolean;
  /** the commands the lab runs that are missing */
  missingCommands: string[];
  /** --reach-from names a lab that exists */
  reachFromExists: boolean;
  root: boolean;
}

const NEEDED_COMMANDS = ["sshd", "nginx", "ssh-keygen", "ip", "cc"];

export function machineFacts(o: LabOptions): MachineFacts {
  const has = (cmd: string) => ["/usr/sbin", "/usr/bin", "/sbin", "/bin"].some((d) => existsSync(join(d, cmd)));
  return {
    labExists: !!readRecord(o.name) || labNamespaces(o.name).length > 0,
    umlKernel: !!findUmlKernel(),
    hostIpvs: hostHasIpvs(),
    missingCommands: NEEDED_COMMANDS.filter((c) => !has(c)),
    root: process.getuid?.() === 0,
    reachFromExists: o.reachFrom === undefined || !!readRecord(o.reachFrom),
  };
}

/** `modprobe ip_vs` (as the agent would need) and whether the kernel then shows IPVS. */
function hostHasIpvs(): boolean {
  if (!existsSync("/proc/net/ip_vs")) spawnSync("modprobe", ["ip_vs"], { stdio: "ignore" });
  return existsSync("/proc/net/ip_vs");
}

export const NO_IPVS_NOR_UML =
  "directors need IPVS: this kernel has none (modprobe ip_vs failed) and user-mode Linux is not installed: apt-get install user-mode-linux (or run on a kernel with IPVS)";
const NO_HOST_IPVS =
  "--director-kind netns: this kernel has no IPVS (modprobe ip_vs failed): use --director-kind uml, or a kernel with IPVS";

/** auto: namespaces where this kernel has IPVS (lighter and faster), user-mode Linux guests elsewhere. */
export function resolveDirectorKind(o: LabOptions, f: Pick<MachineFacts, "hostIpvs">): "netns" | "uml" {
  if (o.directorKind !== "auto") return o.directorKind;
  return f.hostIpvs ? "netns" : "uml";
}

/** What makes a lab impossible on this machine (pure), each with what to do, before anything is made. */
export function labProblems(o: LabOptions, f: MachineFacts): string[] {
  const problems: string[] = [];
  if (f.labExists)
    problems.push(`a lab named ${o.name} exists: lvsctl lab down --name ${o.name}, or pick another --name`);
  const kind = o.directorKind;
  if (kind === "auto" && !f.hostIpvs && !f.umlKernel) problems.push(NO_IPVS_NOR_UML);
  if (kind === "uml" && !f.umlKernel) problems.push(NO_UML);
  if (kind === "netns" && !f.hostIpvs) problems.push(NO_HOST_IPVS);
  if (f.missingCommands.length)
    problems.push(`${f.missingCommands.join(", ")} not installed: bash scripts/setup.sh installs what the lab needs`);
  if (!f.root) problems.push("the lab makes network namespaces: run it as root");
  if (o.reachFrom && !f.reachFromExists)
    problems.push(`--reach-from ${o.reachFrom}: no lab of that name; lvsctl lab up --name ${o.reachFrom} first`);
  return problems;
}

function makeKeys(dir: string, t: Topology): void {
  keygen(join(dir, "id_ed25519"), `lvs-lab ${t.options.name}`);
  writeFileSync(join(dir, "passphrase"), randomBytes(24).toString("base64"), { mode: 0o600 });
  const clientPublic = readFileSync(join(dir, "id_ed25519.pub"), "utf8");
  const hostKeys: Record<string, string> = {};
  for (const h of t.hosts.filter((x) => x.role === "director" || x.role === "realServer")) {
    mkdirSync(join(dir, h.name), { recursive: true });
    hostKeys[h.address] = prepareSshdDir(join(dir, h.name), h.address, clientPublic, h.name).hostKey;
  }
  writeFileSync(join(dir, "host-keys.json"), JSON.stringify(hostKeys, null, 2));
  writeKnownHosts(dir, t);
}

/** Until a TCP port answers from the control namespace (bash's /dev/tcp: no extra tools). */
async function waitPort(t: Topology, address: string, port: number, what: string, timeoutMs: number): Promise<void> {
  const control = byRole(t, "control")[0]!;
  const until = Date.now() + timeoutMs;
  for (;;) {
    // --norc: bash whose stdin is a socket (Node's pipes are) takes itself for rshd's child and reads
    // ~/.bashrc, which on this machine is slow, and much slower under user-mode Linux.
    const r = spawnSync(
      "ip",
      ["netns", "exec", control.ns, "bash", "--norc", "--noprofile", "-c", `exec 3<>/dev/tcp/${address}/${port}`],
      { timeout: 3000 },
    );
    if (r.status === 0) return;
    if (Date.now() > until) throw new Error(`${what} (${address}:${port}) does not answer after ${timeoutMs / 1000} s`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

export async function makeHosts(t: Topology, rec: LabRecord, phases: Phases): Promise<void> {
  const dir = labDir(t.options.name);
  const guests = t.options.directorKind !== "netns";
  await phases.run("keys", () => makeKeys(dir, t));
  await phases.run("network", () => {
    createSwitch(t);
    for (const h of t.hosts) (h.role === "director" && guests ? addTap : addNamespaceHost)(t, h);
  });
  await phases.run("hosts", async () => {
    for (const h of byRole(t, "realServer")) rec.processes.push(...startRealServer(h, join(dir, h.name), HTTP_PORT));
    if (guests) await startGuests(t, rec, dir);
    else
      for (const h of byRole(t, "director"))
        rec.processes.push(startNamespaceSshd(h, join(dir, h.name), DIRECTOR_PRIVATE_PATHS));
    writeRecord(rec);
    const ssh = t.hosts.filter((h) => h.role === "director" || h.role === "realServer");
    await Promise.all([
      ...ssh.map((h) => waitPort(t, h.address, 22, `${h.name} sshd`, 60_000)),
      ...byRole(t, "realServer").map((h) => waitPort(t, h.address, HTTP_PORT, `${h.name} nginx`, 30_000)),
    ]);
    return undefined;
  });
}

/** The directors as user-mode Linux guests, recorded before they boot; resolves once each is ready. */
async function startGuests(t: Topology, rec: LabRecord, dir: string): Promise<void> {
  const guests = byRole(t, "director").map((h) => ({ h, p: startGuest(t, h, join(dir, h.name)) }));
  rec.processes.push(...guests.map((g) => g.p.process));
  writeRecord(rec);
  await Promise.all(guests.map((g) => waitGuestReady(g.h, join(dir, g.h.name), g.p.ended, 180_000)));
}

/** The agent bundle, built (or taken from the cache) here: the control namespace has no registry. */
export function buildBundle(say: Say): void {
  const r = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      join(REPO, "provider/src/bundle/cli.ts"),
      "--arch",
      process.arch === "arm64" ? "arm64" : "x64",
      "--json",
    ],
    { cwd: REPO, encoding: "utf8", timeout: 600_000 },
  );
  if (r.status !== 0) throw new Error(`the agent bundle did not build:\n${r.stderr}`);
  const b = JSON.parse(r.stdout) as { file: string; size: number; cached: boolean };
  say(`   bundle ${b.file.split("/").at(-1)} (${(b.size / 1048576).toFixed(1)} MiB, ${b.cached ? "cached" : "built"})`);
}

/** Where the engine's output is echoed as it comes: stdout, or stderr when stdout carries --json. */
let echo: NodeJS.WriteStream = process.stdout;
export function echoEngineTo(stream: NodeJS.WriteStream): void {
  echo = stream;
}

/**
 * `lvsctl lab engine <op>` inside the control namespace: its output is echoed as it comes (see
 * echoEngineTo) and returned, with its exit code.
 */
export function engineInControl(t: Topology, op: string): Promise<{ code: number; output: string }> {
  const control = byRole(t, "control")[0]!;
  const argv = [
    "netns",
    "exec",
    control.ns,
    process.execPath,
    "--import",
    "tsx",
    join(REPO, "lvsctl/src/main.ts"),
    "lab",
    "engine",
    op,
    "--name",
    t.options.name,
  ];
  return new Promise((resolve) => {
    const child = spawn("ip", argv, { stdio: ["ignore", "pipe", "pipe"], cwd: REPO });
    let output = "";
    child.stdout.on("data", (c: Buffer) => {
      output += c.toString();
      echo.write(c);
    });
    child.stderr.on("data", (c: Buffer) => process.stderr.write(c));
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

export function newRecord(options: LabOptions): { rec: LabRecord; t: Topology } {
  const slot = freeSlot();
  const rec: LabRecord = { options, slot, created: new Date().toISOString(), phase: "hosts", processes: [] };
  writeRecord(rec);
  return { rec, t: topology(options, slot) };
}
