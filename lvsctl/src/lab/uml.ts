// User-mode Linux on this machine (thin I/O shell): where Debian's `linux.uml` is, and the xstate shim
// it needs on some CPUs. Shared by the lab's director guests (guest.ts) and the IPVS tests (test/uml).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const SHIM_SOURCE = fileURLToPath(new URL("./xstate-shim.c", import.meta.url));

/** The UML kernel binary of Debian's user-mode-linux package, or undefined when it is not installed. */
export function findUmlKernel(): string | undefined {
  const listed = spawnSync("dpkg", ["-L", "user-mode-linux"], { encoding: "utf8" });
  if (listed.status !== 0) return undefined;
  return listed.stdout.split("\n").find((p) => /\/bin\/linux(\.uml)?$/.test(p) && existsSync(p));
}

/**
 * Debian's 6.1 UML cannot restore FPU state on hosts with AMX (see xstate-shim.c). The shim changes
 * nothing elsewhere, so it is always used when a C compiler is there to build it: its path, for
 * LD_PRELOAD, or undefined without one.
 */
export function buildShim(dir: string): string | undefined {
  const out = join(dir, "xstate-shim.so");
  const cc = spawnSync("cc", ["-O2", "-shared", "-fPIC", "-o", out, SHIM_SOURCE, "-ldl"], { encoding: "utf8" });
  return cc.status === 0 ? out : undefined;
}
