// Host preparation as shell commands (pure): where the state record and its lock live, the one script
// that reads a host's actual state (and its parser), the lock, and the command for each operation of
// record.ts. Sysctls are read and written through /proc/sys (no procps needed); addresses through
// iproute2. Nothing here holds a secret.
import { shQuote } from "../../../host/commands.ts";
import type { Actual, Address, Op } from "./record.ts";

const PATH = "PATH=$PATH:/usr/sbin:/sbin";

export interface PrepPaths {
  /** prefix of every file path on the host ("" normally; a per-host directory in tests) */
  root: string;
  record: string;
  lock: string;
}

export const STATE_DIR = "/var/lib/lvs-provider";

/**
 * Paths on one host. `rootTemplate` (a test hook) puts every file the provider writes under a directory
 * instead of /; "{host}" in it becomes the host's address, for hosts sharing one filesystem.
 */
export function prepPaths(host: string, rootTemplate = ""): PrepPaths {
  const root = rootTemplate.replace(/\{host\}/g, host.replace(/[^A-Za-z0-9_.:-]/g, "_")).replace(/\/+$/, "");
  return { root, record: `${root}${STATE_DIR}/host-prep.json`, lock: `${root}${STATE_DIR}/host-prep.lock` };
}

/** net.ipv4.conf.eth0/100.arp_ignore -> /proc/sys/net/ipv4/conf/eth0.100/arp_ignore (sysctl's convention). */
export function procPath(key: string): string {
  return `/proc/sys/${key
    .split(".")
    .map((seg) => seg.replace(/\//g, "."))
    .join("/")}`;
}

export interface ReadQuery {
  sysctls: string[];
  files: string[];
  units: string[];
}

const SECTION = "@@lvs@@";

/** One script: sysctl values, IPv4 addresses, files (base64), systemd and its units' state. */
export function readScript(q: ReadQuery, root: string): string {
  const list = (items: string[]) => items.map(shQuote).join(" ");
  return [
    PATH,
    // One process for every sysctl: "path NUL value" lines, nothing for a key that does not exist. (The
    // shell's read builtin cannot be used: it reads byte by byte, and a sysctl file read at an offset
    // other than 0 is empty, so "64" would read as "6".)
    ...(q.sysctls.length > 0 ? [`grep -sHZ '' -- ${list(q.sysctls.map(procPath))} || true`] : []),
    `echo ${SECTION}`,
    "ip -o -4 addr show",
    `echo ${SECTION}`,
    `for f in ${list(q.files)}; do if [ -f "$f" ]; then printf +; base64 -w0 < "$f"; echo; else echo -; fi; done`,
    `echo ${SECTION}`,
    `if [ -d ${shQuote(`${root}/run/systemd/system`)} ] && command -v systemctl >/dev/null 2>&1; then`,
    "  echo systemd",
    `  for u in ${list(q.units)}; do echo "$(systemctl is-enabled "$u" 2>/dev/null || true)"; done`,
    "else echo none; fi",
  ].join("\n");
}

/** `ip -o -4 addr show` lines -> addresses ("10.0.0.100/32" on "lo"). */
export function parseAddresses(text: string): Address[] {
  return text
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[2] === "inet" && f[1] !== undefined && f[3] !== undefined)
    .map((f) => ({ address: f[3]!, device: f[1]!.replace(/@.*$/, "") }));
}

/** "path NUL value" lines -> path -> its first value. */
function firstLines(lines: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of lines) {
    const at = l.indexOf("\0");
    if (at > 0 && !out.has(l.slice(0, at))) out.set(l.slice(0, at), l.slice(at + 1));
  }
  return out;
}

export function parseRead(stdout: string, q: ReadQuery): Actual {
  const sections = stdout.split(`${SECTION}\n`);
  if (sections.length !== 4)
    throw new Error(`unexpected output reading the host: ${JSON.stringify(stdout.slice(0, 200))}`);
  const [sys, addrs, files, systemd] = sections.map((s) =>
    s.split("\n").filter((l, i, all) => l !== "" || i < all.length - 1),
  ) as [string[], string[], string[], string[]];
  const value = (line: string | undefined, key: string): number | undefined => {
    if (line === undefined || line === "-") return undefined;
    if (!/^-?\d+$/.test(line.trim())) throw new Error(`sysctl ${key} reads ${JSON.stringify(line)}, not a number`);
    return Number(line.trim());
  };
  const content = (line: string | undefined) =>
    line?.startsWith("+") ? Buffer.from(line.slice(1), "base64").toString("utf8") : undefined;
  const hasSystemd = systemd[0] === "systemd";
  return {
    sysctls: Object.fromEntries(q.sysctls.map((k) => [k, value(firstLines(sys).get(procPath(k)), k)])),
    addresses: parseAddresses(addrs.join("\n")),
    files: Object.fromEntries(q.files.map((p, i) => [p, content(files[i])])),
    systemd: hasSystemd,
    enabled: Object.fromEntries(q.units.map((u, i) => [u, hasSystemd && systemd[i + 1] === "enabled"])),
  };
}

/** Make sure the IPIP fallback device exists and is up (TUN real servers hold their VIPs there). */
export const TUNNEL_UP = `${PATH}; ip link show tunl0 >/dev/null 2>&1 || modprobe ipip; ip link set tunl0 up`;

/** What carries out one operation: a shell command, or a file write (SshHost.writeFile, atomic). */
export type Action = { cmd: string } | { write: { path: string; content: string } };

export function opAction(op: Op, paths: PrepPaths): Action {
  switch (op.kind) {
    case "record":
      return op.content === undefined
        ? { cmd: `rm -f -- ${shQuote(paths.record)}` }
        : { write: { path: paths.record, content: op.content } };
    case "sysctl":
      return { cmd: `printf '%s\\n' ${op.value} > ${shQuote(procPath(op.key))}` };
    case "addr-add":
      return { cmd: `${PATH}; ip addr replace ${shQuote(op.address)} dev ${shQuote(op.device)}` };
    case "addr-del":
      return {
        cmd: `${PATH}; if ip -o -4 addr show dev ${shQuote(op.device)} | grep -qF ' ${op.address} '; then ip addr del ${shQuote(op.address)} dev ${shQuote(op.device)}; fi`,
      };
    case "file-write":
      return { write: { path: op.path, content: op.content } };
    case "file-delete":
      return { cmd: `rm -f -- ${shQuote(op.path)}` };
    case "daemon-reload":
      return { cmd: "systemctl daemon-reload" };
    case "unit-enable":
      return { cmd: `systemctl enable -q ${shQuote(op.unit)}` };
    case "unit-disable":
      return { cmd: `systemctl disable -q ${shQuote(op.unit)}` };
  }
}

/** One line per operation, for step names and the apply log. */
export function describeOp(op: Op): string {
  switch (op.kind) {
    case "record":
      return op.content === undefined ? "remove the state record" : "write the state record";
    case "sysctl":
      return `set ${op.key}=${op.value} (was ${op.was})`;
    case "addr-add":
      return `add ${op.address} on ${op.device}`;
    case "addr-del":
      return `remove ${op.address} from ${op.device}`;
    case "file-write":
      return `write ${op.path}`;
    case "file-delete":
      return `remove ${op.path}`;
    case "daemon-reload":
      return "systemctl daemon-reload";
    case "unit-enable":
      return `enable ${op.unit}`;
    case "unit-disable":
      return `disable ${op.unit}`;
  }
}
