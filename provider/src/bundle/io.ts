// Small I/O helpers of the bundle builder: running commands, hashing and walking files, the cache root.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, readdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { BundleError } from "./plan.ts";

/** ~/.cache/pulumi-lvs (PULUMI_LVS_CACHE or $XDG_CACHE_HOME/pulumi-lvs when set). */
export function cacheRoot(): string {
  if (process.env.PULUMI_LVS_CACHE) return process.env.PULUMI_LVS_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "pulumi-lvs");
}

/** The environment without npm's per-run npm_config_* variables (a child build reads its own flags). */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_/i.test(k)));
  return { ...env, ...extra };
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Run a command to completion; a failure is a BundleError with the end of its output. */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; what?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { cwd: opts.cwd, env: opts.env ?? process.env, maxBuffer: 256 * 1024 * 1024, encoding: "utf8" },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr });
        const tail = `${stdout}\n${stderr}`.trim().split("\n").slice(-25).join("\n");
        reject(
          new BundleError(
            `${opts.what ?? `${cmd} ${args.join(" ")}`} failed (${err.message.split("\n")[0]}):\n${tail}`,
          ),
        );
      },
    );
  });
}

export function hashFile(path: string, algorithm = "sha256"): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash(algorithm);
    createReadStream(path)
      .on("data", (d) => h.update(d))
      .on("error", reject)
      .on("end", () => resolve(h.digest("hex")));
  });
}

/** Regular files under dir, "/"-separated and relative, sorted; directories named in `prune` are not entered. */
export function walkFiles(dir: string, prune: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const st = statSync(join(dir, r));
      if (st.isDirectory()) {
        if (!prune.has(name)) walk(r);
      } else if (st.isFile()) out.push(r);
    }
  };
  walk("");
  return out.sort();
}
