// Builds the agent bundle the provider installs: esbuild's one-file agent, the official Node runtime it
// runs on, and the runtime packages with their native addons made for that runtime (see plan.ts for the
// layout and packages.ts for what goes in). The finished tarball is cached under
// ~/.cache/pulumi-lvs/bundles/ by a digest of everything it is built from, so an unchanged build costs a
// copy.
import { build as esbuild } from "esbuild";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { compilerVersion, findNodeGyp, rebuildAddon } from "./addon.ts";
import { readPackageGraph } from "./graph.ts";
import { cacheRoot, cleanEnv, hashFile, run, walkFiles } from "./io.ts";
import { manifestText, modeString, parseManifest, type BundleManifest, type ManifestFile } from "./manifest.ts";
import { planPackages, runtimeRoots, type PackageGraph, type PackagePlan } from "./packages.ts";
import {
  BundleError,
  LAYOUT,
  buildabilityProblem,
  bundleFileName,
  bundleRoot,
  elfArch,
  esbuildTarget,
  launcherScript,
  parseAgentVersion,
  parseNodeModuleVersion,
  type Arch,
} from "./plan.ts";
import { extractRuntime, fetchRuntime, resolveNodeVersion, type RuntimeRef } from "./runtime.ts";

const BUILDER_DIR = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(BUILDER_DIR, "../../..");
/** Bundles kept in the cache (each ~50 MB); older ones are removed after a build. */
const CACHE_KEEP = 3;

export interface BuildOptions {
  arch: Arch;
  /** exact version or range; DEFAULT_NODE_VERSION when absent */
  node: string;
  outDir: string;
  /** read and write the bundle cache (default true) */
  cache?: boolean;
  repo?: string;
  log?: (m: string) => void;
}

export interface BuildResult {
  file: string;
  manifestFile: string;
  sha256: string;
  size: number;
  /** the bundle came from the cache */
  cached: boolean;
  /** the Node runtime tarball came from the cache */
  runtimeCached: boolean;
  manifest: BundleManifest;
  ms: number;
}

/** sha256 of a value's JSON with object keys sorted. */
export function stableDigest(value: unknown): string {
  const norm = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(norm)
      : v && typeof v === "object"
        ? Object.fromEntries(
            Object.entries(v)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([k, x]) => [k, norm(x)]),
          )
        : v;
  return createHash("sha256")
    .update(JSON.stringify(norm(value)))
    .digest("hex");
}

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

async function bundleAgent(repo: string, nodeVersion: string): Promise<{ code: string; roots: string[] }> {
  const r = await esbuild({
    entryPoints: [join(repo, "agent/src/main.ts")],
    outfile: "lvs-agent.mjs",
    absWorkingDir: repo,
    bundle: true,
    platform: "node",
    format: "esm",
    target: esbuildTarget(nodeVersion),
    packages: "external",
    write: false,
    metafile: true,
    logLevel: "warning",
  });
  const code = r.outputFiles[0]!.text;
  const externals = Object.values(r.metafile.outputs).flatMap((o) =>
    o.imports.filter((i) => i.external).map((i) => i.path),
  );
  return { code, roots: runtimeRoots(externals, code) };
}

/** Everything the bundle is made from, digested: the cache key and MANIFEST.json's `inputs`. */
async function inputsDigest(o: {
  arch: Arch;
  runtime: RuntimeRef;
  code: string;
  plan: PackagePlan;
  graph: PackageGraph;
  nodeModules: string;
}): Promise<string> {
  const builder = readdirSync(BUILDER_DIR)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
    .sort()
    .map((f) => [f, sha256(readFileSync(join(BUILDER_DIR, f)))]);
  const packages = [];
  for (const p of o.plan.packages) {
    // A rebuilt addon depends on all its sources (and its build dependencies), not only what is shipped.
    const files = p.native === "rebuild" ? o.graph.get(p.path)!.files.filter((f) => !f.startsWith("build/")) : p.files;
    const hashes = await Promise.all(files.map(async (f) => [f, await hashFile(join(o.nodeModules, p.path, f))]));
    const deps = p.native === "rebuild" ? Object.keys(o.graph.get(p.path)!.dependencies) : [];
    packages.push({ path: p.path, version: p.version, native: p.native, files: hashes, buildDeps: deps });
  }
  const needsBuild = o.plan.packages.some((p) => p.native === "rebuild");
  return stableDigest({
    format: 1,
    builder,
    arch: o.arch,
    runtime: o.runtime,
    agent: sha256(o.code),
    launcher: launcherScript(),
    packages,
    toolchain: needsBuild ? { nodeGyp: (await findNodeGyp()).version, cxx: await compilerVersion() } : null,
  });
}

function installFile(src: string | Buffer, dest: string, mode: number): void {
  mkdirSync(dirname(dest), { recursive: true });
  if (typeof src === "string") copyFileSync(src, dest);
  else writeFileSync(dest, src);
  chmodSync(dest, mode);
}

async function fileEntries(root: string): Promise<Record<string, ManifestFile>> {
  const files: Record<string, ManifestFile> = {};
  for (const f of walkFiles(root)) {
    if (f === LAYOUT.manifest) continue;
    const st = statSync(join(root, f));
    files[f] = { sha256: await hashFile(join(root, f)), size: st.size, mode: modeString(st.mode) };
  }
  return files;
}

/** Load every runtime root under the staged node, and run the agent's own config check. */
async function smokeTest(
  root: string,
  roots: string[],
  expect: { version: string; modules: number },
  tmp: string,
): Promise<void> {
  const probe = `const r = require("node:module").createRequire(process.argv[1]);
for (const p of JSON.parse(process.argv[2])) r(p);
console.log(JSON.stringify({ version: process.version, modules: Number(process.versions.modules) }));`;
  const { stdout } = await run(
    join(root, LAYOUT.node),
    ["-e", probe, join(root, LAYOUT.agent), JSON.stringify(roots)],
    {
      env: cleanEnv(),
      what: "loading the bundled packages under the bundled node",
    },
  );
  const got = JSON.parse(stdout.trim()) as { version: string; modules: number };
  if (got.version !== `v${expect.version}` || got.modules !== expect.modules) {
    throw new BundleError(
      `bundled node reports ${got.version} ABI ${got.modules}, expected v${expect.version} ABI ${expect.modules}`,
    );
  }
  const conf = join(tmp, "smoke.json");
  writeFileSync(conf, "{}\n");
  await run(join(root, LAYOUT.launcher), ["validate", "--config", conf], {
    env: cleanEnv(),
    what: "smoke test: bin/lvs-agent validate",
  });
}

function pruneCache(dir: string, keep: string): void {
  const entries = readdirSync(dir)
    .filter((d) => d !== keep && !d.startsWith("."))
    .map((d) => ({ d, t: statSync(join(dir, d)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { d } of entries.slice(CACHE_KEEP - 1)) rmSync(join(dir, d), { recursive: true, force: true });
}

function publish(
  cachedFile: string,
  cachedManifest: string,
  outDir: string,
  name: string,
): { file: string; manifestFile: string } {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, name);
  const manifestFile = join(outDir, name.replace(/\.tar\.gz$/, ".manifest.json"));
  copyFileSync(cachedFile, `${file}.tmp`);
  renameSync(`${file}.tmp`, file);
  copyFileSync(cachedManifest, manifestFile);
  return { file, manifestFile };
}

export async function buildBundle(o: BuildOptions): Promise<BuildResult> {
  const started = Date.now();
  const log = o.log ?? (() => undefined);
  const repo = o.repo ?? REPO;
  const problem = buildabilityProblem({ platform: process.platform, arch: process.arch }, o.arch);
  if (problem) throw new BundleError(problem);

  const nodeVersion = await resolveNodeVersion(o.arch, o.node);
  const runtime = await fetchRuntime(o.arch, nodeVersion, log);
  const agentVersion = parseAgentVersion(readFileSync(join(repo, "agent/src/version.ts"), "utf8"));
  const { code, roots } = await bundleAgent(repo, nodeVersion);
  const nodeModules = join(repo, "node_modules");
  const graph = readPackageGraph(nodeModules, roots);
  const plan = planPackages(roots, graph, o.arch);
  const inputs = await inputsDigest({ arch: o.arch, runtime: runtime.ref, code, plan, graph, nodeModules });

  const name = bundleFileName(agentVersion, nodeVersion, o.arch);
  const cacheDir = join(cacheRoot(), "bundles");
  const key = inputs.slice(0, 24);
  /** a finished bundle: <dir>/<name>, <dir>/<name>.sha256, <dir>/MANIFEST.json */
  const finish = (dir: string, cached: boolean): BuildResult => {
    const file = join(dir, name);
    const manifestPath = join(dir, "MANIFEST.json");
    const manifest = parseManifest(readFileSync(manifestPath, "utf8"));
    const sha = readFileSync(`${file}.sha256`, "utf8").trim();
    const out = publish(file, manifestPath, o.outDir, name);
    const size = statSync(out.file).size;
    return { ...out, sha256: sha, size, cached, runtimeCached: runtime.cached, manifest, ms: Date.now() - started };
  };
  const entry = join(cacheDir, key);
  if (o.cache !== false && existsSync(join(entry, `${name}.sha256`)) && existsSync(join(entry, "MANIFEST.json"))) {
    const want = readFileSync(join(entry, `${name}.sha256`), "utf8").trim();
    if ((await hashFile(join(entry, name)).catch(() => "")) === want) {
      log(`bundle inputs unchanged (${inputs.slice(0, 12)}): using the cached ${name}`);
      utimesSync(entry, new Date(), new Date());
      return finish(entry, true);
    }
    log("cached bundle does not verify: building it again");
  }

  const tmp = mkdtempSync(join(tmpdir(), "lvs-bundle-"));
  try {
    log(`building ${name}`);
    const manifest = await stage({
      o,
      tmp,
      runtime: runtime.tarball,
      runtimeRef: runtime.ref,
      nodeVersion,
      agentVersion,
      code,
      roots,
      plan,
      graph,
      nodeModules,
      inputs,
      log,
    });
    const archive = join(tmp, name);
    // Reproducible archive: names sorted, fixed owner and time, no name or time in the gzip header.
    const mtime = process.env.SOURCE_DATE_EPOCH ?? "315532800";
    await run(
      "tar",
      [
        "--sort=name",
        `--mtime=@${mtime}`,
        "--owner=0",
        "--group=0",
        "--numeric-owner",
        "--format=gnu",
        "-I",
        "gzip -n -6",
        "-cf",
        archive,
        "-C",
        join(tmp, "stage"),
        bundleRoot(agentVersion),
      ],
      { what: "tar" },
    );

    // Into the cache (or, with the cache off, a scratch dir) first, then published from there.
    const store = o.cache === false ? join(tmp, "result") : entry;
    const staging = join(dirname(store), `.${basename(store)}.${process.pid}.tmp`);
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    copyFileSync(archive, join(staging, name));
    writeFileSync(join(staging, "MANIFEST.json"), manifestText(manifest));
    writeFileSync(join(staging, `${name}.sha256`), `${await hashFile(join(staging, name))}\n`);
    rmSync(store, { recursive: true, force: true });
    renameSync(staging, store);
    if (o.cache !== false) pruneCache(cacheDir, key);
    return finish(store, false);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Lay the bundle out under <tmp>/stage/<root>, check it runs, and return its manifest (also written). */
async function stage(a: {
  o: BuildOptions;
  tmp: string;
  runtime: string;
  runtimeRef: RuntimeRef;
  nodeVersion: string;
  agentVersion: string;
  code: string;
  roots: string[];
  plan: PackagePlan;
  graph: PackageGraph;
  nodeModules: string;
  inputs: string;
  log: (m: string) => void;
}): Promise<BundleManifest> {
  const { o, tmp, plan, nodeModules } = a;
  const nodeDir = await extractRuntime(a.runtime, join(tmp, "runtime"));
  const modules = parseNodeModuleVersion(readFileSync(join(nodeDir, "include/node/node_version.h"), "utf8"));
  const root = join(tmp, "stage", bundleRoot(a.agentVersion));
  installFile(join(nodeDir, "bin/node"), join(root, LAYOUT.node), 0o755);
  installFile(Buffer.from(launcherScript()), join(root, LAYOUT.launcher), 0o755);
  installFile(Buffer.from(a.code), join(root, LAYOUT.agent), 0o644);
  installFile(join(nodeDir, "LICENSE"), join(root, LAYOUT.nodeLicense), 0o644);

  const nodeGyp = plan.packages.some((p) => p.native === "rebuild") ? await findNodeGyp() : undefined;
  for (const p of plan.packages) {
    const dest = join(root, LAYOUT.nodeModules, p.path);
    for (const f of p.files) installFile(join(nodeModules, p.path, f), join(dest, f), 0o644);
    if (p.native !== "rebuild") continue;
    a.log(`compiling ${p.name} for node ${a.nodeVersion} (ABI ${modules}) with node-gyp ${nodeGyp!.version}`);
    const built = await rebuildAddon({
      pkg: p,
      graph: a.graph,
      nodeModules,
      nodeDir,
      nodeGyp: nodeGyp!,
      workDir: join(tmp, `build-${p.name}`),
    });
    for (const [f, src] of built) {
      const arch = elfArch(readFileSync(src).subarray(0, 64));
      if (arch !== o.arch) throw new BundleError(`${p.name} ${f} was built for ${arch}, not ${o.arch}`);
      installFile(src, join(dest, f), 0o644);
    }
  }
  await smokeTest(root, a.roots, { version: a.nodeVersion, modules }, tmp);

  const manifest: BundleManifest = {
    format: 1,
    name: "lvs-agent",
    agentVersion: a.agentVersion,
    platform: "linux",
    arch: o.arch,
    node: { version: a.nodeVersion, modules, package: a.runtimeRef.name, integrity: a.runtimeRef.integrity },
    inputs: a.inputs,
    packages: plan.packages.map((p) => ({ name: p.name, version: p.version, path: p.path, native: p.native })),
    files: await fileEntries(root),
  };
  installFile(Buffer.from(manifestText(manifest)), join(root, LAYOUT.manifest), 0o644);
  return manifest;
}
