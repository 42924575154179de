// Field schemas shared by AgentConfig's sections (pure): names, paths and addresses the kernel, the shell and
// systemd take from the config, checked here by their rules so that `lvs-agent check` and the provider's
// Check refuse what the kernel would refuse later, or what would change meaning inside a script or a
// unit file. Each message names the value (none of these can hold a secret), says why, and how to fix it.
import { z } from "zod";
import { isIP, isIPv4, isIPv6 } from "node:net";

/** A value for a message: JSON-quoted, cut to a readable length (a hostile value may be megabytes). */
export function shown(value: string, max = 80): string {
  return value.length > max
    ? `${JSON.stringify(value.slice(0, max))}... (${value.length} characters)`
    : JSON.stringify(value);
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A newline, tab, NUL or other control character: never part of a name or path that reaches sh or a unit. */
export const hasControlCharacter = (s: string): boolean => CONTROL.test(s);

/** Linux's PATH_MAX, the longest path a system call takes. */
const PATH_MAX = 4096;

/** Why `p` is not an absolute path a script or a unit file can carry, or undefined. */
export function absolutePathProblem(p: string): string | undefined {
  if (CONTROL.test(p))
    return `${shown(p)} holds a control character (a newline, tab, ...): the path is written into scripts and the systemd unit, where it would start a line of its own; give a path without one`;
  if (!p.startsWith("/"))
    return `${shown(p)} is a relative path: the agent's working directory is not yours (systemd starts it in /), so give an absolute path such as /run/lvs-agent`;
  if (Buffer.byteLength(p) > PATH_MAX) return `${shown(p)} is longer than the kernel's ${PATH_MAX}-byte path limit`;
  return undefined;
}

/** An absolute path: no control character (the provider writes it into sh and a systemd unit). */
export const absolutePath = z.string().superRefine((p, ctx) => {
  const message = absolutePathProblem(p);
  if (message) ctx.addIssue({ code: "custom", message });
});

/** Linux's IFNAMSIZ (16) less its NUL. */
const IFNAME_MAX = 15;

/** Why the kernel would refuse `name` for an interface (net/core/dev.c dev_valid_name), or undefined. */
export function ifnameProblem(name: string): string | undefined {
  const v = shown(name);
  if (name === "") return "must not be empty: give an interface name such as eth0";
  if (Buffer.byteLength(name) > IFNAME_MAX)
    return `${v} is ${Buffer.byteLength(name)} bytes: the kernel takes interface names of at most ${IFNAME_MAX} bytes; use the interface's own (short) name, as \`ip link\` shows it`;
  if (name === "." || name === "..")
    return `${v} is not a name the kernel accepts for an interface; give one such as eth0`;
  if (name.includes(":"))
    return `${v} holds ':': the kernel refuses it in interface names (eth0:1 is an old alias label on eth0, not an interface); give the interface itself, such as ${shown(name.split(":")[0] || "eth0")}`;
  if (/[\s/]/.test(name) || CONTROL.test(name))
    return `${v} holds '/', white space or a control character, which the kernel refuses in interface names; give one such as eth0`;
  return undefined;
}

/** An interface name the kernel accepts. */
export const ifname = z.string().superRefine((name, ctx) => {
  const message = ifnameProblem(name);
  if (message) ctx.addIssue({ code: "custom", message });
});

/** The IPVS schedulers of Linux (the ip_vs_<name> modules). */
export const SCHEDULERS = [
  "rr",
  "wrr",
  "lc",
  "wlc",
  "lblc",
  "lblcr",
  "dh",
  "sh",
  "sed",
  "nq",
  "fo",
  "ovf",
  "mh",
  "twos",
] as const;

/**
 * One of SCHEDULERS: a name the kernel has no module for would fail only when the service is added,
 * halfway through an apply. The shape is checked first (and alone, when it fails).
 */
export const scheduler = z
  .string()
  .regex(/^[a-z0-9_]{1,15}$/, { error: "must be a scheduler name such as rr, wrr, wlc, sh or mh", abort: true })
  .superRefine((name, ctx) => {
    if (!(SCHEDULERS as readonly string[]).includes(name))
      ctx.addIssue({ code: "custom", message: schedulerProblem(name) });
  });

/** Why `name` is no IPVS scheduler; the provider's enum of them says it in the same words. */
export function schedulerProblem(name: unknown): string {
  const what = typeof name === "string" ? shown(name) : "it";
  return `${what} is not an IPVS scheduler of Linux: use one of ${SCHEDULERS.join(", ")}`;
}

/** Why `s` is not an IPv4 address, or undefined; an IPv6 one is named as such. */
export function ipv4Problem(s: string): string | undefined {
  if (isIPv4(s)) return undefined;
  return isIPv6(s)
    ? `${shown(s)} is an IPv6 address: this field takes IPv4, such as 10.0.0.21`
    : `${shown(s)} is not an IPv4 address: give one such as 10.0.0.21`;
}

/** Why `s` is not an IPv4 address with an optional /prefix (0-32), or undefined. */
export function ipv4CidrProblem(s: string): string | undefined {
  const [a = "", p] = s.split("/");
  if (isIPv4(a) && (p === undefined || (/^\d+$/.test(p) && Number(p) <= 32))) return undefined;
  return `${shown(s)} is not an IPv4 address with an optional /prefix of 0-32: give one such as 10.0.0.100/24`;
}

/** A schema refusing what `problem` names, in its words. */
const checked = (problem: (s: string) => string | undefined) =>
  z.string().superRefine((s, ctx) => {
    const message = problem(s);
    if (message) ctx.addIssue({ code: "custom", message });
  });

/** An IPv4 address ("10.0.0.21"). */
export const ipv4 = checked(ipv4Problem);
/** An IPv4 address with an optional /prefix ("10.0.0.100/24"; bare means /32). */
export const ipv4Cidr = checked(ipv4CidrProblem);
/** An IPv4 or IPv6 address. */
export const ipAddress = checked((s) =>
  isIP(s) === 0 ? `${shown(s)} is not an IPv4 or IPv6 address: give one such as 10.0.0.21 or fd00::21` : undefined,
);
