// Is an IPVS scheduler available? Checked before a config is applied, so a name the kernel lacks is a
// clear error naming the service instead of a half-applied table. The kernel would load ip_vs_<name>
// itself through /proc/sys/kernel/modprobe on the first add; we ask that same helper first.
import { execFile } from "node:child_process";
import { access, readFile } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

async function loaded(name: string): Promise<boolean> {
  return access(`/sys/module/ip_vs_${name}`).then(
    () => true,
    () => false,
  );
}

async function modprobePath(): Promise<string> {
  try {
    return (await readFile("/proc/sys/kernel/modprobe", "utf8")).trim() || "/sbin/modprobe";
  } catch {
    return "/sbin/modprobe";
  }
}

/** Load ip_vs_<name> if needed; false when the kernel has no such scheduler. */
export async function ensureScheduler(name: string): Promise<boolean> {
  if (await loaded(name)) return true;
  try {
    await run(await modprobePath(), ["-q", `ip_vs_${name}`]);
    return true;
  } catch {
    // Built-in schedulers have no module and no /sys/module entry until used; modprobe knows them from
    // modules.builtin and succeeds, so a failure here means the scheduler really is missing.
    return false;
  }
}
