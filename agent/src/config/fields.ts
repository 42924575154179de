// Field schemas shared by AgentConfig's sections (pure): names and paths the kernel, the shell and
// systemd take from the config, checked here by their rules so that `lvs-agent check` and the provider's
// Check refuse what the kernel would refuse later, or what would change meaning inside a script or a
// unit file. Each message names the value (none of these can hold a secret), says why, and how to fix it.
import { z } from "zod";

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
      ctx.addIssue({
        code: "custom",
        message: `${shown(name)} is not an IPVS scheduler of Linux: use one of ${SCHEDULERS.join(", ")}`,
      });
  });
