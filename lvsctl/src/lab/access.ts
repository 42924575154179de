// Reaching lab hosts as an operator would (thin I/O shell): OpenSSH's client from the control
// namespace with the lab's key and pinned host keys, and commands in a host's namespace.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LabHost, Topology } from "./topology.ts";

export interface Keys {
  privateKeyFile: string;
  /** address -> "SHA256:..." */
  hostKeys: Record<string, string>;
}

export function readKeys(dir: string): Keys & { privateKey: string } {
  const privateKeyFile = join(dir, "id_ed25519");
  return {
    privateKeyFile,
    privateKey: readFileSync(privateKeyFile, "utf8"),
    hostKeys: JSON.parse(readFileSync(join(dir, "host-keys.json"), "utf8")) as Record<string, string>,
  };
}

/** known_hosts for OpenSSH: each host's public key, from its sshd directory. */
export function writeKnownHosts(dir: string, t: Topology): string {
  const lines = t.hosts
    .filter((h) => h.role === "director" || h.role === "realServer")
    .map((h) => `${h.address} ${readFileSync(join(dir, h.name, "ssh_host_ed25519_key.pub"), "utf8").trim()}`);
  const file = join(dir, "known_hosts");
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** `ssh root@host sh -c script` from the control namespace; never throws on the script's exit code. */
export function ssh(t: Topology, dir: string, h: LabHost, script: string, timeoutS = 30): Result {
  const control = t.hosts.find((x) => x.role === "control")!;
  const argv = [
    "netns",
    "exec",
    control.ns,
    "ssh",
    "-i",
    join(dir, "id_ed25519"),
    "-o",
    `UserKnownHostsFile=${join(dir, "known_hosts")}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    `ConnectTimeout=${Math.min(timeoutS, 10)}`,
    `root@${h.address}`,
    script,
  ];
  const r = spawnSync("ip", argv, { encoding: "utf8", timeout: timeoutS * 1000 });
  return { code: r.status ?? 255, stdout: r.stdout ?? "", stderr: (r.stderr || r.error?.message || "").trim() };
}
