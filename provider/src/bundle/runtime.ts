// The bundled Node runtime: the official build published on npm as node-linux-<arch>, downloaded once
// into ~/.cache/pulumi-lvs/node/, checked against the registry's integrity (sha512) and shasum (sha1)
// when downloaded and against the recorded ones each time it is used.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { digests, integrityProblems } from "./manifest.ts";
import { cacheRoot, cleanEnv, run } from "./io.ts";
import { BundleError, isExactVersion, pickHighestVersion, runtimePackage, type Arch } from "./plan.ts";

export interface RuntimeRef {
  name: string;
  version: string;
  integrity: string;
  shasum: string;
}

export interface FetchedRuntime {
  ref: RuntimeRef;
  tarball: string;
  /** true when the cached tarball was used */
  cached: boolean;
}

async function npmJson(args: string[], cwd?: string): Promise<unknown> {
  const { stdout } = await run("npm", [...args, "--json"], { cwd, env: cleanEnv(), what: `npm ${args.join(" ")}` });
  return stdout.trim() ? JSON.parse(stdout) : undefined;
}

/** An exact version as given; a range ("22", "^22.20") resolved to its highest release on the registry. */
export async function resolveNodeVersion(arch: Arch, spec: string): Promise<string> {
  const v = spec.replace(/^v/, "");
  if (isExactVersion(v)) return v;
  return pickHighestVersion(await npmJson(["view", `${runtimePackage(arch)}@${v}`, "version"]));
}

async function verify(tarball: string, expected: { integrity?: string; shasum?: string }): Promise<string[]> {
  return integrityProblems(digests(await readFile(tarball)), expected);
}

/** The runtime tarball for arch@version: from the cache when it verifies, else downloaded with npm. */
export async function fetchRuntime(arch: Arch, version: string, log: (m: string) => void): Promise<FetchedRuntime> {
  const name = runtimePackage(arch);
  const dir = join(cacheRoot(), "node");
  const tarball = join(dir, `${name}-${version}.tgz`);
  const sidecar = `${tarball}.json`;
  if (existsSync(tarball) && existsSync(sidecar)) {
    const ref = JSON.parse(readFileSync(sidecar, "utf8")) as RuntimeRef;
    const problems = await verify(tarball, ref);
    if (!problems.length) return { ref, tarball, cached: true };
    log(`cached ${name}@${version} does not verify (${problems.join("; ")}): downloading it again`);
    rmSync(tarball, { force: true });
    rmSync(sidecar, { force: true });
  }

  mkdirSync(dir, { recursive: true });
  const dist = (await npmJson(["view", `${name}@${version}`, "dist"])) as
    { integrity?: string; shasum?: string } | undefined;
  if (!dist?.integrity || !dist.shasum)
    throw new BundleError(`the registry has no ${name}@${version} (or no integrity for it)`);
  const tmp = mkdtempSync(join(dir, ".download-"));
  try {
    log(`downloading ${name}@${version} (about 50 MB)`);
    // npm pack checks the tarball against the packument itself; we check it again below, ourselves.
    const packed = (await npmJson(["pack", `${name}@${version}`, "--pack-destination", tmp], tmp)) as {
      filename?: string;
    }[];
    const file = join(tmp, packed[0]?.filename ?? `${name}-${version}.tgz`);
    const problems = await verify(file, dist);
    if (problems.length)
      throw new BundleError(`${name}@${version} from the registry does not verify: ${problems.join("; ")}`);
    const ref: RuntimeRef = { name, version, integrity: dist.integrity, shasum: dist.shasum };
    renameSync(file, tarball);
    writeFileSync(`${sidecar}.tmp`, JSON.stringify(ref, null, 2) + "\n");
    renameSync(`${sidecar}.tmp`, sidecar);
    return { ref, tarball, cached: false };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Unpack what the bundle and the addon build use (bin/node, include/, LICENSE); returns the package dir. */
export async function extractRuntime(tarball: string, dest: string): Promise<string> {
  mkdirSync(dest, { recursive: true });
  const members = ["package/package.json", "package/LICENSE", "package/bin/node", "package/include"];
  await run("tar", ["-xzf", tarball, "-C", dest, ...members], { what: `unpacking ${tarball}` });
  return join(dest, "package");
}
