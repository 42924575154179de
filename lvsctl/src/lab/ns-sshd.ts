// sshd in a lab host's network namespace, in a private mount namespace of its own with tmpfs over the
// paths given, so that what the provider (and an agent started through this sshd) writes there stays
// in that host: never this machine's files, never another host's. Root's shell is /bin/sh (a passwd
// bound over /etc/passwd, see sshd.ts). Thin I/O shell.
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import type { LabProcess } from "./record.ts";
import type { LabHost } from "./topology.ts";

/** What the provider writes on every host: sysctl files, units, its state; and logs. */
export const HOST_PRIVATE_PATHS = ["/etc/sysctl.d", "/etc/systemd/system", "/var/lib/lvs-provider", "/var/log"];

/**
 * A director as a namespace (where this kernel has IPVS; IPVS tables are per network namespace) also
 * keeps the agent's install, its conf.d and its socket and state its own, as a user-mode Linux guest
 * does. /opt rather than /opt/lvs-agent: the provider removes its install directory, and a mount point
 * cannot go.
 */
export const DIRECTOR_PRIVATE_PATHS = [...HOST_PRIVATE_PATHS, "/opt", "/etc/lvs-agent", "/run"];

/** The command sshd runs under: its private mounts, then sshd itself (unshare and sh exec: one PID). */
function sshdArgv(dir: string, privatePaths: readonly string[]): string[] {
  const mounts = privatePaths.map((p) => `mkdir -p ${p} && mount -t tmpfs -o mode=0755 tmpfs ${p}`);
  const script = [
    ...mounts,
    `mount --bind ${dir}/passwd /etc/passwd`,
    "mkdir -p /run/sshd",
    `exec /usr/sbin/sshd -D -f ${dir}/sshd_config -E ${dir}/sshd.log`,
  ].join(" && ");
  return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script];
}

/** Start argv in namespace ns, detached from this process, its output appended to logFile; its PID. */
export function startDetached(ns: string, argv: string[], logFile: string): number {
  const fd = openSync(logFile, "a");
  try {
    const child = spawn("ip", ["netns", "exec", ns, ...argv], { detached: true, stdio: ["ignore", fd, fd] });
    child.unref();
    if (!child.pid) throw new Error(`${argv[0]} did not start in ${ns}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** sshd of host h (its keys and config in dir, see sshd.ts) with privatePaths its own. */
export function startNamespaceSshd(h: LabHost, dir: string, privatePaths: readonly string[]): LabProcess {
  const pid = startDetached(h.ns, sshdArgv(dir, privatePaths), `${dir}/sshd.out`);
  return { what: `${h.name} sshd`, pid, cmdline: `${dir}/sshd_config` };
}
