// Reads the installed packages reachable from the bundle's roots out of node_modules (I/O shell of
// packages.ts: the planner decides, this only reads).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { resolutionCandidates, type PackageGraph, type PackageInfo } from "./packages.ts";
import { walkFiles } from "./io.ts";

interface PackageJson {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  os?: string[] | string;
  cpu?: string[] | string;
}

const asList = (v: string[] | string | undefined) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);

function readPackage(nodeModules: string, path: string): PackageInfo | undefined {
  const dir = join(nodeModules, path);
  if (!existsSync(join(dir, "package.json"))) return undefined;
  const pj = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as PackageJson;
  return {
    path,
    name: pj.name ?? path.split("/node_modules/").at(-1)!,
    version: pj.version ?? "0.0.0",
    dependencies: pj.dependencies ?? {},
    optionalDependencies: pj.optionalDependencies ?? {},
    os: asList(pj.os),
    cpu: asList(pj.cpu),
    files: walkFiles(dir, new Set(["node_modules"])),
  };
}

/** Every installed package reachable from roots through dependencies and optionalDependencies. */
export function readPackageGraph(nodeModules: string, roots: string[]): PackageGraph {
  const graph = new Map<string, PackageInfo>();
  const queue: [string, string][] = roots.map((r) => ["", r]);
  for (let item = queue.shift(); item; item = queue.shift()) {
    const [from, dep] = item;
    for (const path of resolutionCandidates(from, dep)) {
      if (graph.has(path)) break;
      const info = readPackage(nodeModules, path);
      if (!info) continue;
      graph.set(path, info);
      for (const d of [...Object.keys(info.dependencies), ...Object.keys(info.optionalDependencies)])
        queue.push([path, d]);
      break;
    }
  }
  return graph;
}
