// lvs-agent and keepalived processes inside lab hosts, with their VRRP state read from their logs.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { VrrpInstance, type AgentConfigInput, type VrrpInstanceConfig } from "../../agent/src/config/schema.ts";
import type { Host } from "./netns.ts";
import { Watched, nowMs, type Line } from "./procs.ts";

export const REPO = new URL("../..", import.meta.url).pathname;
const AGENT_MAIN = join(REPO, "agent/src/main.ts");

export type State = "INIT" | "BACKUP" | "MASTER" | "FAULT";

export interface Peer extends Watched {
  kind: "agent" | "keepalived";
  host: Host;
  /** first line after index `from` saying instance `name` entered `state` */
  waitState(name: string, state: State, timeoutMs: number, from?: number): Promise<Line>;
}

export function stateDir(host: Host, kind: string): string {
  const dir = join("/tmp", host.lab.id, host.name, kind);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function agentState(text: string): { instance: string; to: string } | undefined {
  if (!text.startsWith("{")) return undefined;
  try {
    const rec = JSON.parse(text) as { event?: string; instance?: string; to?: string };
    return rec.event === "vrrp.transition" && rec.instance && rec.to
      ? { instance: rec.instance, to: rec.to }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Whether log line l of a peer of this kind says instance `name` entered `state`. */
export function saysState(kind: Peer["kind"], name: string, state: State, l: Line): boolean {
  if (kind === "keepalived") return l.text.includes(`(${name}) Entering ${state} STATE`);
  const s = agentState(l.text);
  return s?.instance === name && s.to === state;
}

/** How the agent is run by default: its TypeScript sources under tsx. */
export const AGENT_TSX = ["--import", "tsx", AGENT_MAIN];

/**
 * Start lvs-agent in host with config written as one conf.d fragment. `entry` is what node runs
 * before the CLI arguments (the bench passes a bundled build instead of the tsx sources).
 */
export function startAgent(
  host: Host,
  config: AgentConfigInput,
  extraArgs: string[] = [],
  entry: string[] = AGENT_TSX,
): Peer {
  const dir = stateDir(host, "agent");
  const confDir = join(dir, "conf.d");
  mkdirSync(confDir, { recursive: true });
  const full: AgentConfigInput = {
    ...config,
    global: { statusSocket: join(dir, "agent.sock"), metricsListen: "127.0.0.1:9572", ...config.global },
  };
  writeFileSync(join(confDir, "00-test.json"), JSON.stringify(full, null, 2));
  return runAgent(host, ["--config-dir", confDir, ...extraArgs], entry);
}

/** `lvs-agent run <args>` in host, as a Peer whose VRRP state is read from its log. */
export function runAgent(host: Host, args: string[], entry: string[] = AGENT_TSX): Peer {
  const child = host.spawn(process.execPath, [...entry, "run", ...args], { cwd: REPO });
  const w = new Watched(child) as Peer;
  w.kind = "agent";
  w.host = host;
  w.waitState = (name, state, timeoutMs, from = 0) =>
    w.waitLine((l) => saysState("agent", name, state, l), timeoutMs, `${host.name} agent ${name} -> ${state}`, from);
  return w;
}

/** keepalived.conf text for instances given in our own schema's terms (the subset both speak). */
export function keepalivedConf(instances: Record<string, VrrpInstanceConfig>, version: 2 | 3): string {
  const out = [`global_defs {`, `  router_id lvs_test`, `  vrrp_version ${version}`, `  enable_script_security`, `}`];
  for (const [name, i] of Object.entries(instances)) {
    out.push(
      `vrrp_instance ${name} {`,
      `  state BACKUP`,
      `  interface ${i.interface}`,
      `  virtual_router_id ${i.vrid}`,
    );
    out.push(`  priority ${i.priority}`, `  advert_int ${i.advertInterval}`);
    if (!i.preempt) out.push(`  nopreempt`);
    if (i.preemptDelay) out.push(`  preempt_delay ${i.preemptDelay}`);
    if (i.sourceIp) out.push(`  unicast_src_ip ${i.sourceIp}`);
    if (i.unicastPeers.length) out.push(`  unicast_peer {`, ...i.unicastPeers.map((p) => `    ${p}`), `  }`);
    if (i.auth) out.push(`  authentication {`, `    auth_type PASS`, `    auth_pass ${i.auth.password}`, `  }`);
    // Without weight: the interface down puts the instance in FAULT (weighted tracks are not rendered).
    if (i.trackInterfaces.length)
      out.push(`  track_interface {`, ...i.trackInterfaces.map((t) => `    ${t.name}`), `  }`);
    out.push(
      `  virtual_ipaddress {`,
      ...i.virtualAddresses.map((v) => `    ${v.address} dev ${v.device ?? i.interface}`),
      `  }`,
      `}`,
    );
  }
  return out.join("\n") + "\n";
}

/**
 * Start Debian's keepalived (VRRP only) in host. It runs in its own process group so that a test can
 * SIGKILL the parent and its VRRP child together: killing only the parent makes the child exit
 * gracefully (priority 0), which is not a crash.
 */
export function startKeepalived(host: Host, confText: string): Peer {
  const dir = stateDir(host, "keepalived");
  const conf = join(dir, "keepalived.conf");
  writeFileSync(conf, confText);
  const pid = (n: string) => join(dir, `${n}.pid`);
  const args = ["-n", "-l", "-P", "-D", "-f", conf, "-p", pid("main"), "-r", pid("vrrp"), "-c", pid("checkers")];
  const child = host.spawn("keepalived", args, { detached: true });
  const w = new Watched(child) as Peer;
  w.kind = "keepalived";
  w.host = host;
  w.waitState = (name, state, timeoutMs, from = 0) =>
    w.waitLine(
      (l) => saysState("keepalived", name, state, l),
      timeoutMs,
      `${host.name} keepalived ${name} -> ${state}`,
      from,
    );
  return w;
}

/** SIGKILL a peer as a crash: for keepalived, its whole process group. */
export function crash(p: Peer): void {
  if (p.kind === "keepalived") {
    try {
      process.kill(-p.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  } else p.signal("SIGKILL");
}

/** Send sig to a peer: for keepalived, its whole process group (parent and VRRP child). */
function signalPeer(p: Peer, sig: NodeJS.Signals): void {
  if (p.kind === "keepalived") process.kill(-p.pid, sig);
  else p.signal(sig);
}

/**
 * Freeze a peer for ms with SIGSTOP/SIGCONT, as a GC pause, a starved CPU or a hung VM would, while the
 * kernel under it goes on (its VIPs still answer). Resolves at SIGCONT with the time it was sent.
 */
export async function freeze(p: Peer, ms: number): Promise<number> {
  signalPeer(p, "SIGSTOP");
  try {
    await new Promise((r) => setTimeout(r, ms));
  } finally {
    signalPeer(p, "SIGCONT");
  }
  return nowMs();
}

/** One instance as a fragment would hold it, before defaults. */
export type VrrpInstanceInput = NonNullable<AgentConfigInput["instances"]>[string];

/** Start lvs-agent or keepalived in host running the one instance `inst` (named `name`). */
export function startPeer(
  kind: Peer["kind"],
  host: Host,
  name: string,
  inst: VrrpInstanceInput,
  agentEntry = AGENT_TSX,
): Peer {
  if (kind === "agent") return startAgent(host, { instances: { [name]: inst } }, [], agentEntry);
  const parsed = VrrpInstance.parse(inst);
  return startKeepalived(host, keepalivedConf({ [name]: parsed }, parsed.version));
}

export interface PeerSpec {
  kind: Peer["kind"];
  host: Host;
  inst: VrrpInstanceInput;
}

/**
 * A master and a backup without a start-up race: the higher priority starts first and is waited for
 * as MASTER, then the lower one joins and is waited for as BACKUP.
 */
export async function startPair(
  name: string,
  m: PeerSpec,
  b: PeerSpec,
  timeoutMs: number,
  agentEntry = AGENT_TSX,
): Promise<{ master: Peer; backup: Peer }> {
  const master = startPeer(m.kind, m.host, name, m.inst, agentEntry);
  await master.waitState(name, "MASTER", timeoutMs);
  const backup = startPeer(b.kind, b.host, name, b.inst, agentEntry);
  await backup.waitState(name, "BACKUP", timeoutMs);
  return { master, backup };
}
