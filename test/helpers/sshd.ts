// Debian's OpenSSH server inside a lab host, for the provider's SSH tests.
//
// Each server gets a fresh directory under /tmp with its own ed25519 host key, a client key pair
// authorized for every user, and an sshd_config listening only on the host's lab address. With
// `users: true` two extra accounts exist for this server alone: sshd runs in a private mount namespace
// where copies of /etc/passwd, /etc/shadow and /etc/sudoers with those accounts are bind-mounted, so
// nothing on the machine changes. The server is killed by PID on stop() or lab.destroy(); its
// directory goes with it.
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { Host } from "./netns.ts";
import { Watched } from "./procs.ts";

export interface SshdOptions {
  /** default 22 */
  port?: number;
  /** add the accounts `lvst` (no sudo rights) and `lvsudo` (passwordless sudo), for this server only */
  users?: boolean;
  /** password of `lvst` (password authentication is off without it) */
  password?: string;
  /** also hold an RSA host key (after the ed25519 one) */
  rsaHostKey?: boolean;
  /** more sshd_config lines (e.g. "MaxSessions 1") */
  extraConfig?: string[];
  /**
   * the umask root's sessions start with (e.g. "000"), as pam_umask or a shell profile may set it on a
   * real host: root's login shell becomes a wrapper that sets it (sshd itself keeps at least 022)
   */
  sessionUmask?: string;
}

export interface Sshd {
  host: Host;
  address: string;
  port: number;
  /** "SHA256:..." as ssh-keygen -l prints it */
  hostKeyFingerprint: string;
  /** the host key's OpenSSH public key line */
  hostPublicKey: string;
  /** with rsaHostKey: the RSA host key's public key line and fingerprint */
  rsaHost?: { publicKey: string; fingerprint: string };
  /** authorized for every user of this server */
  clientKey: { privateKey: string; publicKey: string };
  /** "root" */
  user: string;
  /** the extra accounts, when asked for */
  users?: { plain: string; sudoer: string };
  dir: string;
  log: Watched;
  /** source addresses of the TCP connections sshd accepted so far, in order */
  connections(): string[];
  stop(): Promise<void>;
}

const SSHD = "/usr/sbin/sshd";

/** Directories of running servers: removed when the server exits, or with the test process. */
const liveDirs = new Set<string>();
process.once("exit", () => liveDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function removeDir(dir: string): void {
  liveDirs.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}
export const sudoInstalled = existsSync("/usr/bin/sudo") && existsSync("/etc/sudoers");

function keygen(path: string, comment: string, type = "ed25519"): void {
  execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", comment, "-f", path]);
}

function fingerprint(pubPath: string): string {
  const out = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", pubPath], { encoding: "utf8" });
  return out.split(" ")[1]!;
}

function sshdConfig(dir: string, address: string, port: number, opts: SshdOptions): string {
  return [
    `Port ${port}`,
    `ListenAddress ${address}`,
    `HostKey ${dir}/host_key`,
    ...(opts.rsaHostKey ? [`HostKey ${dir}/host_key_rsa`] : []),
    `AuthorizedKeysFile ${dir}/authorized_keys`,
    `PidFile ${dir}/sshd.pid`,
    "UsePAM no",
    "StrictModes no",
    "Subsystem sftp internal-sftp",
    "PermitRootLogin prohibit-password",
    `PasswordAuthentication ${opts.password !== undefined ? "yes" : "no"}`,
    "KbdInteractiveAuthentication no",
    "PrintMotd no",
    // VERBOSE logs "Connection from ..." for every accepted TCP connection: tests count them.
    "LogLevel VERBOSE",
    ...(opts.extraConfig ?? []),
    "",
  ].join("\n");
}

const hashPassword = (pw: string) =>
  execFileSync("openssl", ["passwd", "-6", "-stdin"], { input: pw, encoding: "utf8" }).trim();

/**
 * Account files for this server's private mount namespace; returns the bind mounts to make. Root's login
 * shell becomes /bin/sh there: sshd runs every command through it, and this machine's root bash sources
 * a developer set-up (pyenv, cargo) costing ~60 ms and a dozen processes per command, which a plain
 * server does not have and which would swamp what the provider itself costs.
 */
function accountFiles(dir: string, opts: SshdOptions): Array<[string, string]> {
  const { users = false, password } = opts;
  const home = join(dir, "home");
  mkdirSync(home, { mode: 0o755 });
  const shell = opts.sessionUmask === undefined ? "/bin/sh" : umaskShell(dir, opts.sessionUmask);
  const rootShell = (text: string) => text.replace(/^(root:[^\n]*:)[^:\n]*$/m, `$1${shell}`);
  const passwd = users
    ? ["lvst:x:64101:65534:lvs test:", "lvsudo:x:64102:65534:lvs test sudoer:"]
        .map((l) => `${l}${home}:/bin/sh\n`)
        .join("")
    : "";
  const shadow = `lvst:${password ? hashPassword(password) : "*"}:19000:0:99999:7:::\nlvsudo:*:19000:0:99999:7:::\n`;
  const files: Array<[string, string, string, number]> = [["/etc/passwd", "passwd", passwd, 0o644]];
  if (users) files.push(["/etc/shadow", "shadow", shadow, 0o640]);
  if (users && sudoInstalled) files.push(["/etc/sudoers", "sudoers", "lvsudo ALL=(ALL:ALL) NOPASSWD: ALL\n", 0o440]);
  return files.map(([target, name, extra, mode]) => {
    const base = readFileSync(target, "utf8");
    writeFileSync(join(dir, name), (target === "/etc/passwd" ? rootShell(base) : base) + extra, { mode });
    chmodSync(join(dir, name), mode);
    return [join(dir, name), target];
  });
}

/** A login shell that is /bin/sh with the given umask; its path. */
function umaskShell(dir: string, umask: string): string {
  if (!/^[0-7]{3,4}$/.test(umask)) throw new Error(`sessionUmask ${umask} is not octal`);
  const path = join(dir, "umask-shell");
  writeFileSync(path, `#!/bin/sh\numask ${umask}\nexec /bin/sh "$@"\n`, { mode: 0o755 });
  return path;
}

/** The command that starts sshd in the foreground, behind the account bind mounts if any. */
function sshdCommand(cfg: string, mounts: Array<[string, string]>): [string, string[]] {
  if (mounts.length === 0) return [SSHD, ["-D", "-e", "-f", cfg]];
  const binds = mounts.map(([from, to]) => `mount --bind '${from}' '${to}'`).join(" && ");
  // unshare and sh both exec: the spawned PID ends up being sshd's own.
  return ["unshare", ["--mount", "--propagation", "private", "sh", "-c", `${binds} && exec ${SSHD} -D -e -f '${cfg}'`]];
}

/** PIDs whose parent is pid (sshd's per-connection processes). */
export function childrenOf(pid: number): number[] {
  return readdirSync("/proc")
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        const stat = readFileSync(`/proc/${n}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

function kill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

export async function startSshd(host: Host, opts: SshdOptions = {}): Promise<Sshd> {
  const port = opts.port ?? 22;
  const dir = mkdtempSync(`/tmp/lvst-sshd-${host.name}-`);
  liveDirs.add(dir);
  chmodSync(dir, 0o755); // the extra users read authorized_keys from here
  mkdirSync("/run/sshd", { recursive: true }); // sshd's privilege separation directory
  keygen(join(dir, "host_key"), `lvst-${host.name}-host`);
  keygen(join(dir, "client_key"), "lvst-client");
  const clientKey = {
    privateKey: readFileSync(join(dir, "client_key"), "utf8"),
    publicKey: readFileSync(join(dir, "client_key.pub"), "utf8").trim(),
  };
  writeFileSync(join(dir, "authorized_keys"), `${clientKey.publicKey}\n`, { mode: 0o644 });
  const cfg = join(dir, "sshd_config");
  if (opts.rsaHostKey) keygen(join(dir, "host_key_rsa"), `lvst-${host.name}-host-rsa`, "rsa");
  writeFileSync(cfg, sshdConfig(dir, host.ip, port, opts));
  const mounts = accountFiles(dir, opts);
  const [cmd, args] = sshdCommand(cfg, mounts);
  const log = new Watched(host.spawn(cmd, args));
  log.child.once("exit", () => removeDir(dir));
  try {
    await log.waitLine(
      (l) => l.text.startsWith(`Server listening on ${host.ip} port ${port}`),
      10_000,
      `sshd on ${host.name} listening`,
    );
  } catch (err) {
    log.signal("SIGKILL");
    throw err;
  }
  const stop = async () => {
    if (log.child.exitCode !== null || log.child.signalCode !== null) return;
    for (const pid of childrenOf(log.pid)) kill(pid, "SIGTERM");
    log.signal("SIGTERM");
    await log.exited(5000);
  };
  return {
    host,
    address: host.ip,
    port,
    hostKeyFingerprint: fingerprint(join(dir, "host_key.pub")),
    hostPublicKey: readFileSync(join(dir, "host_key.pub"), "utf8").trim(),
    rsaHost: opts.rsaHostKey
      ? {
          publicKey: readFileSync(join(dir, "host_key_rsa.pub"), "utf8").trim(),
          fingerprint: fingerprint(join(dir, "host_key_rsa.pub")),
        }
      : undefined,
    clientKey,
    user: "root",
    users: opts.users ? { plain: "lvst", sudoer: "lvsudo" } : undefined,
    dir,
    log,
    connections: () =>
      log.lines.map((l) => /^Connection from (\S+) port \d+ on /.exec(l.text)?.[1]).filter((a): a is string => !!a),
    stop,
  };
}
