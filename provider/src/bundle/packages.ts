// Which installed npm packages go into the bundle's lib/node_modules, and which of their files (pure).
//
// The roots are the bare imports the esbuild bundle left external. From them the planner follows
// dependencies the way Node resolves them, keeps only what runs (JavaScript, package.json, licences,
// the native binaries for the target), and knows each native addon by name: an unknown one (a package
// with binding.gyp or a .node file no rule covers) stops the build rather than shipping a binary built
// for the builder's own Node.
import { builtinModules } from "node:module";
import { BundleError, type Arch } from "./plan.ts";

/** One installed package as read from node_modules. */
export interface PackageInfo {
  /** where it sits under the node_modules root: "netlink", "netlink/node_modules/@types/node" */
  path: string;
  name: string;
  version: string;
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
  os?: string[];
  cpu?: string[];
  /** its files, relative to its directory, "/"-separated, without nested node_modules */
  files: string[];
}

/** Installed packages by path. */
export type PackageGraph = ReadonlyMap<string, PackageInfo>;

/**
 * none: JavaScript only. napi-prebuilt: ships N-API binaries (one build loads under any Node).
 * rebuild: a Node-ABI addon the builder compiles for the bundled runtime.
 */
export type NativeKind = "none" | "napi-prebuilt" | "rebuild";

export interface PlannedPackage {
  path: string;
  name: string;
  version: string;
  native: NativeKind;
  /** files copied from the installed package */
  files: string[];
  /** files the rebuild produces (native "rebuild" only) */
  rebuilt: string[];
}

export interface SkippedPackage {
  name: string;
  /** the dependent that asked for it */
  from: string;
  reason: string;
}

export interface PackagePlan {
  packages: PlannedPackage[];
  skipped: SkippedPackage[];
}

interface PackageRule {
  match: (name: string) => boolean;
  /** not bundled at all, for this reason (its own dependencies are not followed) */
  skip?: string;
  native?: NativeKind;
  /** an extra per-package file filter on top of the generic one */
  keep?: (file: string, arch: Arch) => boolean;
  rebuilt?: string[];
  /** packages that must be in the plan with this one (a platform binary in an optional dependency) */
  requires?: (arch: Arch) => string[];
}

export const RULES: readonly PackageRule[] = [
  { match: (n) => n.startsWith("@types/"), skip: "TypeScript declarations only" },
  {
    match: (n) => n === "nan" || n === "node-addon-api",
    skip: "C++ headers for compiling addons, not loaded at run time",
  },
  {
    // nan addon, no prebuilds: the installed build/ was made for the builder's Node and is replaced.
    match: (n) => n === "raw-socket",
    native: "rebuild",
    keep: (f) => !f.startsWith("build/"),
    rebuilt: ["build/Release/raw.node"],
  },
  {
    // N-API prebuilds for four Linux architectures, loaded by node-gyp-build: keep the target's.
    match: (n) => n === "netlink",
    native: "napi-prebuilt",
    keep: (f, arch) => !f.startsWith("prebuilds/") || f.startsWith(`prebuilds/linux-${arch}/`),
  },
  {
    // koffi 3 keeps its binaries in per-platform optional dependencies; cnoke.cjs only runs at install.
    match: (n) => n === "koffi",
    keep: (f) => f !== "cnoke.cjs",
    requires: (arch) => [`@koromix/koffi-linux-${arch}`],
  },
  {
    // glibc and musl builds side by side: the bundled node is the glibc build.
    match: (n) => n.startsWith("@koromix/koffi-"),
    native: "napi-prebuilt",
    keep: (f, arch) => !f.includes("/") || f.startsWith(`linux_${arch}/`),
  },
];

function ruleFor(name: string): PackageRule | undefined {
  return RULES.find((r) => r.match(name));
}

const DROPPED_DIRS = new Set([
  "example",
  "examples",
  "test",
  "tests",
  "__tests__",
  "doc",
  "docs",
  "benchmark",
  "bench",
  ".github",
]);
const KEPT_EXTENSIONS = [".js", ".cjs", ".mjs", ".json", ".node"];
const LICENCE = /^(licen[cs]e|copying|notice)([.-].*)?$/i;

/** The generic filter: what any package needs at run time. */
export function isRuntimeFile(file: string): boolean {
  const parts = file.split("/");
  if (parts.slice(0, -1).some((d) => DROPPED_DIRS.has(d.toLowerCase()))) return false;
  const base = parts.at(-1)!;
  if (LICENCE.test(base)) return true;
  return KEPT_EXTENSIONS.some((e) => base.endsWith(e));
}

/** The package name a bare import names: "zod/v4" -> "zod", "@a/b/c" -> "@a/b"; builtins -> undefined. */
export function packageOfImport(spec: string): string | undefined {
  if (spec.startsWith("node:") || spec.startsWith(".") || spec.startsWith("/")) return undefined;
  const parts = spec.split("/");
  const name = spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
  return builtinModules.includes(name) ? undefined : name;
}

/**
 * The packages the bundle loads at run time: the external imports esbuild recorded, plus those loaded
 * through createRequire(...)("name") (raw-socket is a CommonJS addon loaded that way), which esbuild
 * leaves as plain calls it does not follow.
 */
export function runtimeRoots(externalImports: string[], code: string): string[] {
  const required = [...code.matchAll(/createRequire\w*\([^)]*\)\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!);
  const names = [...externalImports, ...required].map(packageOfImport).filter((n): n is string => n !== undefined);
  return [...new Set(names)].sort();
}

/** Where Node looks for `dep` required from the package at `fromPath`, nearest first ("" = the root). */
export function resolutionCandidates(fromPath: string, dep: string): string[] {
  const chain = fromPath ? fromPath.split("/node_modules/") : [];
  const out: string[] = [];
  for (let i = chain.length; i >= 0; i--) {
    const prefix = chain.slice(0, i).join("/node_modules/");
    out.push(prefix ? `${prefix}/node_modules/${dep}` : dep);
  }
  return out;
}

/** Whether an optional dependency's os/cpu fields admit linux-<arch> (npm's "!x" negations included). */
export function matchesPlatform(info: Pick<PackageInfo, "os" | "cpu">, arch: Arch): boolean {
  const admits = (list: string[] | undefined, v: string) => {
    if (!list?.length) return true;
    if (list.includes(`!${v}`)) return false;
    const positives = list.filter((x) => !x.startsWith("!"));
    return positives.length === 0 || positives.includes(v);
  };
  return admits(info.os, "linux") && admits(info.cpu, arch);
}

/** The files of one package to bundle, and the problems (unknown native binaries) found. */
export function planFiles(info: PackageInfo, arch: Arch): { files: string[]; native: NativeKind; problems: string[] } {
  const rule = ruleFor(info.name);
  const native = rule?.native ?? "none";
  const problems: string[] = [];
  if (native === "none" && info.files.includes("binding.gyp")) {
    problems.push(
      `${info.name}: a native addon (binding.gyp) with no bundling rule: add one to provider/src/bundle/packages.ts`,
    );
  }
  const files = info.files.filter((f) => isRuntimeFile(f) && (rule?.keep?.(f, arch) ?? true)).sort();
  for (const f of files.filter((x) => x.endsWith(".node"))) {
    if (native !== "napi-prebuilt")
      problems.push(`${info.name}: native binary ${f} is not known to be N-API: add a bundling rule`);
  }
  return { files, native, problems };
}

/** Follow the roots' dependencies through the installed graph and plan every bundled package. */
export function planPackages(roots: string[], graph: PackageGraph, arch: Arch): PackagePlan {
  const planned = new Map<string, PlannedPackage>();
  const skipped: SkippedPackage[] = [];
  const problems: string[] = [];
  const resolve = (from: string, dep: string) =>
    resolutionCandidates(from, dep)
      .map((p) => graph.get(p))
      .find((p) => p !== undefined);

  const visit = (from: string, dep: string, optional: boolean) => {
    const info = resolve(from, dep);
    const fromName = from ? (graph.get(from)?.name ?? from) : "lvs-agent";
    if (!info) {
      if (optional) skipped.push({ name: dep, from: fromName, reason: "optional, not installed" });
      else problems.push(`${dep} (needed by ${fromName}) is not installed: run npm ci`);
      return;
    }
    if (planned.has(info.path)) return;
    const rule = ruleFor(info.name);
    if (rule?.skip) return void skipped.push({ name: info.name, from: fromName, reason: rule.skip });
    if (optional && !matchesPlatform(info, arch)) {
      return void skipped.push({ name: info.name, from: fromName, reason: `not for linux-${arch}` });
    }
    const { files, native, problems: p } = planFiles(info, arch);
    problems.push(...p);
    planned.set(info.path, {
      path: info.path,
      name: info.name,
      version: info.version,
      native,
      files,
      rebuilt: rule?.rebuilt ?? [],
    });
    for (const d of Object.keys(info.dependencies)) if (!(d in info.optionalDependencies)) visit(info.path, d, false);
    for (const d of Object.keys(info.optionalDependencies)) visit(info.path, d, true);
  };
  for (const r of [...new Set(roots)].sort()) visit("", r, false);

  const names = new Set([...planned.values()].map((p) => p.name));
  for (const p of planned.values()) {
    for (const req of ruleFor(p.name)?.requires?.(arch) ?? []) {
      if (!names.has(req))
        problems.push(
          `${p.name} needs ${req} for linux-${arch}, which is not installed (npm installs it on a linux-${arch} machine)`,
        );
    }
  }
  if (problems.length) throw new BundleError(`cannot plan the bundle's node_modules:\n  ${problems.join("\n  ")}`);
  return { packages: [...planned.values()].sort((a, b) => a.path.localeCompare(b.path)), skipped };
}
