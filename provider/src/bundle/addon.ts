// Rebuilds a Node-ABI addon (raw-socket) for the bundled runtime with npm's own node-gyp and
// --nodedir=<the unpacked node-linux-<arch> package> (its include/node headers): no header download,
// and the result is checked by loading it under the bundled node.
import { cpSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { cleanEnv, run } from "./io.ts";
import { resolutionCandidates, type PackageGraph, type PlannedPackage } from "./packages.ts";
import { BundleError } from "./plan.ts";

/** Where npm's bundled node-gyp may be, most likely first (pure). */
export function nodeGypCandidates(npmGlobalRoot: string | undefined, execPath: string): string[] {
  const rel = "npm/node_modules/node-gyp/bin/node-gyp.js";
  const roots = [
    npmGlobalRoot,
    join(dirname(execPath), "../lib/node_modules"),
    "/usr/lib/node_modules",
    "/usr/local/lib/node_modules",
  ];
  return [...new Set(roots.filter((r): r is string => !!r).map((r) => join(r, rel)))];
}

export interface NodeGyp {
  script: string;
  version: string;
}

export async function findNodeGyp(): Promise<NodeGyp> {
  const root = await run("npm", ["root", "-g"], { env: cleanEnv() }).then(
    (r) => r.stdout.trim(),
    () => undefined,
  );
  const candidates = nodeGypCandidates(root, process.execPath);
  const script = candidates.find((c) => existsSync(c));
  if (!script) throw new BundleError(`npm's node-gyp not found (looked at ${candidates.join(", ")})`);
  const pj = JSON.parse(readFileSync(join(dirname(script), "../package.json"), "utf8")) as { version: string };
  return { script, version: pj.version };
}

/** First line of the C++ compiler's version (part of the cache key: a new compiler means a new build). */
export async function compilerVersion(): Promise<string> {
  return run(process.env.CXX || "c++", ["--version"]).then(
    (r) => r.stdout.split("\n")[0]!.trim(),
    () => "no c++ compiler",
  );
}

/**
 * Build `pkg` from its installed sources in a scratch copy under workDir (its build/ left out, its
 * own dependencies such as nan copied beside it so binding.gyp finds them) and return the paths of the
 * files it produced, by their path inside the package.
 */
export async function rebuildAddon(o: {
  pkg: PlannedPackage;
  graph: PackageGraph;
  nodeModules: string;
  nodeDir: string;
  nodeGyp: NodeGyp;
  workDir: string;
}): Promise<Map<string, string>> {
  const info = o.graph.get(o.pkg.path);
  if (!info) throw new BundleError(`${o.pkg.name} is not installed`);
  const scratch = join(o.workDir, "node_modules");
  const dest = join(scratch, info.name);
  mkdirSync(dest, { recursive: true });
  cpSync(join(o.nodeModules, info.path), dest, {
    recursive: true,
    filter: (src) => !/[/\\](build|node_modules)$/.test(src),
  });
  for (const dep of Object.keys(info.dependencies)) {
    const found = resolutionCandidates(info.path, dep).find((p) => existsSync(join(o.nodeModules, p, "package.json")));
    if (!found) throw new BundleError(`${dep}, needed to build ${info.name}, is not installed`);
    cpSync(join(o.nodeModules, found), join(scratch, dep), { recursive: true });
  }
  // binding.gyp shells out to `node -e "require('nan')"`: any node finds nan from the scratch dir.
  const env = cleanEnv({ PATH: `${dirname(process.execPath)}:${process.env.PATH ?? "/usr/bin:/bin"}` });
  const jobs = String(Math.max(1, availableParallelism()));
  await run(process.execPath, [o.nodeGyp.script, "rebuild", `--nodedir=${o.nodeDir}`, "--jobs", jobs], {
    cwd: dest,
    env,
    what: `node-gyp rebuild of ${info.name} for the bundled node`,
  });
  const out = new Map<string, string>();
  for (const f of o.pkg.rebuilt) {
    const p = join(dest, f);
    if (!existsSync(p)) throw new BundleError(`node-gyp rebuild of ${info.name} did not produce ${f}`);
    out.set(f, p);
  }
  return out;
}
