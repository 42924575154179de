// Remote shell commands as data (pure): quoting, the sudo wrapper, the atomic file write and the file
// read, and how commands and secrets appear in messages.
import { posix } from "node:path";

/** Quote one argument for a POSIX shell. */
export function shQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Every command starts with this umask, whatever the host's sessions start with (pam_umask, a login
 * shell's profile may say 000 or 002): what the provider creates on a host (directories, the
 * supervisor's pid files and log, lock directories) is writable by its owner alone. Files that hold
 * secrets are narrowed further by their own chmod (writeFileScript).
 */
export const REMOTE_UMASK = "umask 022";

/**
 * The command line the remote shell gets: `cmd` under coreutils `timeout`, which SIGKILLs its whole
 * process group after killAfterS (so a command outlives neither its deadline nor a vanished client),
 * through `sudo -n` (never prompting) when privileged, with REMOTE_UMASK (sudo keeps it: it only ever
 * adds bits to the caller's umask).
 */
export function remoteCommand(cmd: string, o: { sudo: boolean; killAfterS: number }): string {
  const argv = ["timeout", "-s", "KILL", String(o.killAfterS), "sh", "-c", cmd];
  // `exec`: the login shell sshd runs it through becomes the command instead of forking it and
  // waiting (dash does not do that by itself): one process fewer on the host per command.
  return `${REMOTE_UMASK}; exec ${(o.sudo ? ["sudo", "-n", "--", ...argv] : argv).map(shQuote).join(" ")}`;
}

/**
 * A command channel opened ahead of need (ssh.ts): it waits on stdin for the kill deadline (first line)
 * and the command (the rest), then runs it exactly as remoteCommand would, stdin from /dev/null. A
 * command sent down a channel that is already open costs one round trip instead of two (open the
 * channel, then start the command). Closed unused, it runs nothing.
 */
export function spareCommand(sudo: boolean): string {
  const run = `${sudo ? "sudo -n -- " : ""}timeout -s KILL "$k" sh -c "$s" </dev/null`;
  return `read -r k || exit 0; s=$(cat); [ -n "$s" ] || exit 0; ${REMOTE_UMASK}; exec ${run}`;
}

/** What a spare channel is sent: the deadline, then the command. */
export const spareInput = (cmd: string, killAfterS: number): string => `${killAfterS}\n${cmd}`;

/**
 * Commands longer than this go over stdin (STDIN_SCRIPT) instead of as an argument: a command is one
 * argument to the host's shell (and to `sh -c` under `timeout`), and Linux caps one at 128 KiB.
 */
export const INLINE_MAX_BYTES = 64 * 1024;

/** Run the script read from stdin, its commands' own stdin empty: for scripts too long to be an argument. */
export const STDIN_SCRIPT = 's=$(cat); eval "$s" </dev/null';

/** Run once per connection before the first sudo command: a refusal is reported as such. */
export const SUDO_PROBE = "sudo -n true";

/** A problem with a remote path, or undefined. */
export function remotePathProblem(path: string): string | undefined {
  if (!path.startsWith("/")) return `path must be absolute: ${JSON.stringify(path)}`;
  if (/[\0\n]/.test(path)) return "path must not contain NUL or newline";
  if (path.endsWith("/")) return `path names a directory: ${JSON.stringify(path)}`;
  return undefined;
}

/**
 * Write stdin to `path` atomically: a temporary file in the same directory, chmod, fsync, rename over
 * the target. Readers see the old content or the new one, never a part; a failure leaves no temp file.
 */
export function writeFileScript(path: string, mode: number): string {
  const dir = posix.dirname(path);
  const tmpl = posix.join(dir, `.${posix.basename(path)}.lvs-XXXXXX`);
  return [
    "set -e",
    `if [ -d ${shQuote(path)} ]; then echo "is a directory" >&2; exit 1; fi`,
    `tmp=$(mktemp ${shQuote(tmpl)})`,
    `trap 'rm -f -- "$tmp"' EXIT`,
    `cat > "$tmp"`,
    `chmod ${mode.toString(8).padStart(4, "0")} -- "$tmp"`,
    `sync -- "$tmp" 2>/dev/null || sync`,
    `mv -f -- "$tmp" ${shQuote(path)}`,
    "trap - EXIT",
  ].join("\n");
}

/** Exit code of readFileScript when the file does not exist. */
export const ABSENT = 44;

export function readFileScript(path: string): string {
  const p = shQuote(path);
  return `if [ -e ${p} ] || [ -L ${p} ]; then exec cat -- ${p}; else exit ${ABSENT}; fi`;
}
