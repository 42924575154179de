// The lab's network (thin I/O over iproute2): a switch namespace with bridge br0, a namespace per
// host joined to it by a veth pair (the host's end named eth0), and a tap device per director guest.
// Every name starts with lvslab-<lab>-, so a lab's namespaces are found again by name alone.
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, existsSync } from "node:fs";
import type { LabHost, Topology } from "./topology.ts";

export function ip(args: string[], ns?: string): string {
  const argv = ns ? ["netns", "exec", ns, "ip", ...args] : args;
  try {
    return execFileSync("ip", argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`ip ${argv.join(" ")}: ${(e.stderr || e.message).trim()}`);
  }
}

/** Runs a command in a namespace; its stdout, or an Error carrying its stderr. */
export function execIn(ns: string, cmd: string, args: string[], input?: string): string {
  const r = spawnSync("ip", ["netns", "exec", ns, cmd, ...args], { encoding: "utf8", input, timeout: 60_000 });
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(" ")} in ${ns}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`,
    );
  return r.stdout;
}

export function createSwitch(t: Topology): void {
  ip(["netns", "add", t.switchNs]);
  ip(["link", "set", "lo", "up"], t.switchNs);
  ip(["link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0"], t.switchNs);
  ip(["link", "set", "br0", "up"], t.switchNs);
}

/** A namespace host: veth from the switch to it, renamed eth0 there, with its address. */
export function addNamespaceHost(t: Topology, h: LabHost): void {
  ip(["netns", "add", h.ns]);
  ip(["link", "set", "lo", "up"], h.ns);
  ip(["link", "add", h.link, "type", "veth", "peer", "name", "eth0", "netns", h.ns], t.switchNs);
  ip(["link", "set", h.link, "master", "br0", "up"], t.switchNs);
  ip(["addr", "add", `${h.address}/${t.prefix}`, "dev", "eth0"], h.ns);
  ip(["link", "set", "eth0", "up"], h.ns);
}

/** A director's tap on the bridge; its guest opens it (vec0:transport=tap). */
export function addTap(t: Topology, h: LabHost): void {
  ip(["tuntap", "add", "dev", h.link, "mode", "tap"], t.switchNs);
  ip(["link", "set", h.link, "master", "br0", "up"], t.switchNs);
}

/**
 * A way onto this lab's bridge from another lab's control namespace (--reach-from): a veth whose end
 * there has an address in this lab's subnet. Removing either lab removes the pair.
 */
export function addReach(t: Topology, from: Topology, address: string): void {
  const control = from.hosts.find((h) => h.role === "control")!;
  const here = `r-${from.options.name}`;
  const there = `x-${t.options.name}`;
  ip(["link", "add", here, "type", "veth", "peer", "name", there, "netns", control.ns], t.switchNs);
  ip(["link", "set", here, "master", "br0", "up"], t.switchNs);
  ip(["addr", "add", `${address}/${t.prefix}`, "dev", there], control.ns);
  ip(["link", "set", there, "up"], control.ns);
}

export function labNamespaces(lab: string): string[] {
  if (!existsSync("/run/netns")) return [];
  return readdirSync("/run/netns").filter((n) => n.startsWith(`lvslab-${lab}-`));
}

/** PIDs of every process inside a namespace (`ip netns pids`). */
export function pidsIn(ns: string): number[] {
  const r = spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.split(/\s+/).filter(Boolean).map(Number) : [];
}

export function deleteNamespace(ns: string): void {
  spawnSync("ip", ["netns", "del", ns]);
}
