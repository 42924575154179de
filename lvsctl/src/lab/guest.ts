// A lab director: a user-mode Linux guest (this kernel has no IPVS; UML's has it as modules) booted
// with the host's root through hostfs, on the lab bridge through its tap (vec0 with gro=1: without it
// the guest drops the host's GSO frames and a bundle upload stalls). guest-init.sh makes it a host of
// its own and starts sshd. Thin I/O shell; the boot line is kernelArgs (pure).
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LabProcess } from "./record.ts";
import type { LabHost, Topology } from "./topology.ts";
import { buildShim, findUmlKernel } from "./uml.ts";

const INIT = fileURLToPath(new URL("./guest-init.sh", import.meta.url));
/** Node and the agent's runtime, the bundle's unpacked releases on tmpfs (/opt, up to 900 MiB), and sshd. */
const GUEST_MEM_MB = 1280;

export function kernelArgs(h: LabHost, t: Topology, dir: string): string[] {
  return [
    `mem=${GUEST_MEM_MB}M`,
    "root=/dev/root",
    "rootfstype=hostfs",
    "rootflags=/",
    "rw",
    "quiet",
    "con0=null,fd:1",
    "con=null",
    `init=${INIT}`,
    `vec0:transport=tap,ifname=${h.link},gro=1`,
    `LAB_DIR=${dir}`,
    `LAB_ADDR=${h.address}`,
    `LAB_PREFIX=${t.prefix}`,
  ];
}

export const NO_UML =
  "user-mode Linux is not installed: --director-kind uml makes directors user-mode Linux guests; apt-get install user-mode-linux";

/** A booting guest: its record, and how it ended if it has (from its exit event, not from /proc). */
export interface StartedGuest {
  process: LabProcess;
  ended: () => string | undefined;
}

/**
 * Boots the guest in the switch namespace (where its tap is), detached from this process. Whether it
 * still runs comes from its exit event: /proc/PID/cmdline reads empty for a moment while `ip netns
 * exec` execs the kernel, which once made a booting guest look gone.
 */
export function startGuest(t: Topology, h: LabHost, dir: string): StartedGuest {
  const kernel = findUmlKernel();
  if (!kernel) throw new Error(NO_UML);
  mkdirSync(dir, { recursive: true });
  const shim = buildShim(dir);
  const consoleFd = openSync(join(dir, "console.log"), "a");
  try {
    const child = spawn("ip", ["netns", "exec", t.switchNs, kernel, ...kernelArgs(h, t, dir)], {
      detached: true,
      stdio: ["ignore", consoleFd, consoleFd],
      env: { ...process.env, ...(shim ? { LD_PRELOAD: shim } : {}) },
    });
    let end: string | undefined;
    child.on("exit", (code, signal) => (end = signal ? `killed by ${signal}` : `exit status ${code}`));
    child.on("error", (err) => (end = err.message));
    child.unref();
    if (!child.pid) throw new Error(`${h.name}: linux.uml did not start`);
    return { process: { what: `${h.name} guest`, pid: child.pid, cmdline: `LAB_DIR=${dir}` }, ended: () => end };
  } finally {
    closeSync(consoleFd);
  }
}

const tail = (path: string, n = 15) =>
  existsSync(path) ? readFileSync(path, "utf8").trimEnd().split("\n").slice(-n).join("\n") : "";

/** Until guest-init.sh says ready (sshd listening); its own words or the console's tail otherwise. */
export async function waitGuestReady(
  h: LabHost,
  dir: string,
  ended: () => string | undefined,
  timeoutMs: number,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(join(dir, "ready"))) return;
    if (existsSync(join(dir, "failed")))
      throw new Error(
        `${h.name}: ${readFileSync(join(dir, "failed"), "utf8").trim()}\n${tail(join(dir, "console.log"))}`,
      );
    const end = ended();
    if (end)
      throw new Error(`${h.name}: linux.uml ended during boot (${end}); console:\n${tail(join(dir, "console.log"))}`);
    if (Date.now() > until)
      throw new Error(`${h.name}: not ready after ${timeoutMs / 1000} s; console:\n${tail(join(dir, "console.log"))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
