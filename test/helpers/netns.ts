// Test hosts as Linux network namespaces on a shared bridge.
//
// A Lab is one L2 segment: a "switch" namespace holding bridge br0, and hosts, each its own namespace
// with an `eth0` veth whose peer sits on the bridge. Nothing touches the root namespace, so test traffic
// never leaves the namespaces the test made. Every process started through a Host is tracked and ended by
// PID on destroy(); namespaces are deleted even when a test throws, and namespaces left behind by a
// crashed run (whose owning PID is gone) are swept at the next create().
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

const PREFIX = "lvst";
let labCounter = 0;

export function run(cmd: string, args: string[], opts: { input?: string; allowFail?: boolean } = {}): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", input: opts.input, stdio: ["pipe", "pipe", "pipe"] });
  } catch (err) {
    if (opts.allowFail) return "";
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} failed: ${e.stderr?.trim() || e.message}`);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Delete namespaces of earlier runs whose owning test process no longer exists. */
export function sweepStaleNamespaces(): void {
  const names = run("ip", ["netns", "list"], { allowFail: true })
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(`${PREFIX}-`));
  for (const ns of names) {
    const pid = Number(ns.split("-")[1]);
    if (Number.isInteger(pid) && !pidAlive(pid)) run("ip", ["netns", "del", ns], { allowFail: true });
  }
}

export class Host {
  readonly procs = new Set<ChildProcess>();
  /** children started as leaders of their own process group: ended with their whole group */
  private readonly groups = new WeakSet<ChildProcess>();
  constructor(
    readonly lab: Lab,
    readonly name: string,
    readonly ns: string,
    readonly ip: string,
    readonly prefix: number,
    readonly mac: string,
  ) {}

  /** Run a command inside the host's namespace and return its stdout. */
  exec(cmd: string, args: string[] = [], opts: { input?: string; allowFail?: boolean } = {}): string {
    return run("ip", ["netns", "exec", this.ns, cmd, ...args], opts);
  }

  /** Start a long-running process inside the namespace; it is killed by PID on lab.destroy(). */
  spawn(cmd: string, args: string[] = [], opts: SpawnOptions = {}): ChildProcess {
    // `ip netns exec` setns()es then execs, so the child's PID is the command's own PID.
    const child = spawn("ip", ["netns", "exec", this.ns, cmd, ...args], { stdio: "pipe", ...opts });
    this.procs.add(child);
    if (opts.detached) this.groups.add(child);
    child.once("exit", () => this.procs.delete(child));
    return child;
  }

  ip4Addrs(dev = "eth0"): string[] {
    const out = this.exec("ip", ["-j", "-4", "addr", "show", "dev", dev]);
    const parsed = JSON.parse(out) as { addr_info: { local: string; prefixlen: number }[] }[];
    return parsed.flatMap((l) => l.addr_info.map((a) => `${a.local}/${a.prefixlen}`));
  }

  hasAddr(addr: string, dev = "eth0"): boolean {
    return this.ip4Addrs(dev).some((a) => a.split("/")[0] === addr.split("/")[0]);
  }

  /** The MAC this host's neighbour table holds for ip, or undefined. */
  neighbourMac(ip: string, dev = "eth0"): string | undefined {
    const out = this.exec("ip", ["-j", "neigh", "show", "to", ip, "dev", dev]);
    const entries = JSON.parse(out || "[]") as { lladdr?: string; state?: string[] }[];
    return entries.find((e) => e.lladdr && !e.state?.includes("FAILED"))?.lladdr;
  }

  linkSet(state: "up" | "down", dev = "eth0"): void {
    this.exec("ip", ["link", "set", dev, state]);
  }

  killAll(signal: NodeJS.Signals = "SIGKILL"): void {
    for (const p of this.procs) {
      if (!p.pid) continue;
      try {
        // A group leader's pid is its group id: -pid reaches its children too (keepalived's VRRP child).
        process.kill(this.groups.has(p) ? -p.pid : p.pid, signal);
      } catch {
        /* already gone */
      }
    }
  }
}

export interface HostSpec {
  name: string;
  /** address with prefix, e.g. 10.9.0.11/24 */
  addr: string;
}

export class Lab {
  readonly hosts = new Map<string, Host>();
  readonly swNs: string;
  private destroyed = false;
  private readonly onExit = () => this.destroy();

  private constructor(readonly id: string) {
    this.swNs = `${id}-sw`;
  }

  /** A new segment with hosts already attached and up. */
  static create(hosts: HostSpec[] = []): Lab {
    sweepStaleNamespaces();
    const lab = new Lab(`${PREFIX}-${process.pid}-${++labCounter}`);
    process.once("exit", lab.onExit);
    try {
      run("ip", ["netns", "add", lab.swNs]);
      lab.sw("ip", ["link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0"]);
      lab.sw("ip", ["link", "set", "br0", "up"]);
      lab.sw("ip", ["link", "set", "lo", "up"]);
      for (const h of hosts) lab.addHost(h);
    } catch (err) {
      lab.destroy();
      throw err;
    }
    return lab;
  }

  private sw(cmd: string, args: string[]): string {
    return run("ip", ["netns", "exec", this.swNs, cmd, ...args]);
  }

  addHost(spec: HostSpec): Host {
    const ns = `${this.id}-${spec.name}`;
    const port = `p${this.hosts.size}`;
    run("ip", ["netns", "add", ns]);
    // Create the pair inside the switch namespace, then move one end into the host as eth0.
    this.sw("ip", ["link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns]);
    this.sw("ip", ["link", "set", port, "master", "br0", "up"]);
    const inNs = (args: string[]) => run("ip", ["netns", "exec", ns, ...args]);
    inNs(["ip", "link", "set", "lo", "up"]);
    inNs(["ip", "addr", "add", spec.addr, "dev", "eth0"]);
    inNs(["ip", "link", "set", "eth0", "up"]);
    const link = JSON.parse(inNs(["ip", "-j", "link", "show", "eth0"])) as { address: string }[];
    const [ip, prefix] = spec.addr.split("/");
    const host = new Host(this, spec.name, ns, ip!, Number(prefix ?? 32), link[0]!.address);
    this.hosts.set(spec.name, host);
    return host;
  }

  host(name: string): Host {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host ${name} in lab ${this.id}`);
    return h;
  }

  /** Kill every tracked process by PID, then delete all namespaces. Safe to call twice. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    process.removeListener("exit", this.onExit);
    for (const h of this.hosts.values()) {
      h.killAll("SIGKILL");
      run("ip", ["netns", "del", h.ns], { allowFail: true });
    }
    run("ip", ["netns", "del", this.swNs], { allowFail: true });
  }
}

/** Poll fn until it returns a truthy value or timeoutMs passes. */
export async function waitFor<T>(
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
  stepMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export const isRoot = process.getuid?.() === 0;
