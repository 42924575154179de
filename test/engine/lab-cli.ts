// Running `lvsctl lab ...` (and lvsctl from a lab's control namespace) as a user would, for the
// engine-layer lab tests, and what "lab down leaves nothing" means: no namespace, no file, no process.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { findUmlKernel } from "../../lvsctl/src/lab/uml.ts";
import { byRole, type Topology } from "../../lvsctl/src/lab/topology.ts";

const REPO = new URL("../..", import.meta.url).pathname;
const pulumiBuilt = spawnSync(join(REPO, "scripts/install-pulumi.sh"), ["--print"]).status === 0;
/** Why a lab test cannot run here, or false. */
export const labSkip = !findUmlKernel()
  ? "user-mode Linux is not installed"
  : !pulumiBuilt
    ? "the Pulumi CLI is not built: scripts/install-pulumi.sh"
    : false;

export interface Run {
  code: number;
  out: string;
  err: string;
}

/** `lvsctl lab <args> --name <name>`. */
export function lvsctl(name: string, ...args: string[]): Run {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", join(REPO, "lvsctl/src/main.ts"), "lab", ...args, "--name", name],
    {
      cwd: REPO,
      encoding: "utf8",
      timeout: 600_000,
      maxBuffer: 64 << 20,
    },
  );
  return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
}

/** `lvsctl <args>` in lab topology t's control namespace, the one place that reaches its hosts. */
export function lvsctlIn(t: Topology, ...args: string[]): Run {
  const control = byRole(t, "control")[0]!;
  const r = spawnSync(
    "ip",
    ["netns", "exec", control.ns, process.execPath, "--import", "tsx", join(REPO, "lvsctl/src/main.ts"), ...args],
    { cwd: REPO, encoding: "utf8", timeout: 900_000, maxBuffer: 64 << 20 },
  );
  return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
}

/** `lvsctl lab <args> --json`, which must succeed; its parsed output. */
export function lvsctlJson<T>(name: string, ...args: string[]): T {
  const r = lvsctl(name, ...args, "--json");
  assert.equal(r.code, 0, `lvsctl lab ${args.join(" ")} failed:\n${r.err}\n${r.out.slice(-3000)}`);
  return JSON.parse(r.out) as T;
}

/** `lab down` succeeded and left no namespace, guest, process or file of the lab. */
export function assertDownLeftNothing(name: string): void {
  const down = lvsctl(name, "down");
  assert.equal(down.code, 0, down.err);
  const left = existsSync("/run/netns") ? readdirSync("/run/netns").filter((n) => n.startsWith(`lvslab-${name}-`)) : [];
  assert.deepEqual(left, []);
  assert.ok(!existsSync(`/var/lib/lvs-lab/${name}`));
  const procs = spawnSync("pgrep", ["-f", `/var/lib/lvs-lab/${name}/`], { encoding: "utf8" }).stdout.trim();
  assert.equal(procs, "", `processes of the lab left: ${procs}`);
}
