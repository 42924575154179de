// Debian's sshd on a lab host (pure text + thin I/O): the config, the host key, and root's account file
// with /bin/sh as its shell (sshd runs every command through it; this machine's root bash sources a
// heavy rc file). Directors start it from their init (guest-init.sh), real servers in a private mount
// namespace (real-servers.ts).
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function sshdConfig(dir: string, address: string): string {
  return [
    "Port 22",
    `ListenAddress ${address}`,
    `HostKey ${dir}/ssh_host_ed25519_key`,
    `AuthorizedKeysFile ${dir}/authorized_keys`,
    `PidFile ${dir}/sshd.pid`,
    "UsePAM no",
    "StrictModes no",
    "Subsystem sftp internal-sftp",
    "PermitRootLogin prohibit-password",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PrintMotd no",
    "PrintLastLog no",
    "",
  ].join("\n");
}

/** /etc/passwd with root's shell set to /bin/sh. */
export function passwdWithShRoot(passwd: string): string {
  return passwd.replace(/^(root:[^\n]*:)[^:\n]*$/m, "$1/bin/sh");
}

export function keygen(path: string, comment: string): void {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path]);
}

/** "SHA256:..." of a public key file, as ssh-keygen -l prints it. */
export function fingerprint(pubPath: string): string {
  return execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", pubPath], { encoding: "utf8" }).split(" ")[1]!;
}

/** A host's sshd directory: config, host key, the lab's client key authorized, root's passwd. */
export function prepareSshdDir(
  dir: string,
  address: string,
  clientPublicKey: string,
  name: string,
): { hostKey: string } {
  keygen(join(dir, "ssh_host_ed25519_key"), `lvs-lab ${name}`);
  writeFileSync(join(dir, "sshd_config"), sshdConfig(dir, address));
  writeFileSync(join(dir, "authorized_keys"), clientPublicKey, { mode: 0o600 });
  writeFileSync(join(dir, "passwd"), passwdWithShRoot(readFileSync("/etc/passwd", "utf8")), { mode: 0o644 });
  return { hostKey: fingerprint(join(dir, "ssh_host_ed25519_key.pub")) };
}
