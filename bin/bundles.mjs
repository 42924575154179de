// The two esbuild bundles a checkout serves and a package ships: lvs-agent (dist/lvs-agent.mjs) and the
// resource plugin (dist/pulumi-resource-lvs.mjs). One file each starts fast: no TypeScript compile at run
// time, which costs ~1 s on small hosts and far more inside user-mode Linux. npm packages stay external
// (the native addons raw-socket, netlink and koffi load from node_modules).
//
// runBundle(name) is what bin/<name> does: in a checkout it (re)builds the bundle when it is missing or
// older than any file it was built from (esbuild's metafile lists them), then imports it. An installed
// package has no esbuild (a dev dependency) and runs the bundle it shipped. Build messages go to stderr:
// the plugin must print its port before anything else reaches stdout.
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

export const BUNDLES = {
  "lvs-agent": { entry: "agent/src/main.ts", sourcemap: "linked" },
  "pulumi-resource-lvs": { entry: "provider/src/main.ts", sourcemap: false },
};

const outfile = (name) => join(ROOT, `dist/${name}.mjs`);
const metaFile = (name) => join(ROOT, `dist/${name}.meta.json`);

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Infinity;
  }
}

/** Missing, or older than one of the files esbuild read to make it. */
export function stale(name) {
  if (!existsSync(outfile(name)) || !existsSync(metaFile(name))) return true;
  const built = mtime(outfile(name));
  const inputs = Object.keys(JSON.parse(readFileSync(metaFile(name), "utf8")).inputs ?? {});
  return inputs.some((p) => mtime(join(ROOT, p)) > built);
}

/** Builds one bundle beside its target and renames it into place, so concurrent starts never run half a file. */
export async function build(name, esbuild) {
  const { entry, sourcemap } = BUNDLES[name];
  const tmp = `${outfile(name)}.${process.pid}.tmp.mjs`;
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile: tmp,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap,
    metafile: true,
    logLevel: "error",
  });
  if (sourcemap) {
    // The map is named after the temporary file: give it the bundle's name and point the bundle at it.
    const code = readFileSync(tmp, "utf8").replace(/sourceMappingURL=\S+$/m, `sourceMappingURL=${name}.mjs.map`);
    writeFileSync(tmp, code);
    renameSync(`${tmp}.map`, `${outfile(name)}.map`);
  }
  writeFileSync(`${metaFile(name)}.${process.pid}.tmp`, JSON.stringify(result.metafile));
  renameSync(tmp, outfile(name));
  renameSync(`${metaFile(name)}.${process.pid}.tmp`, metaFile(name));
}

async function esbuildIfInstalled() {
  try {
    return await import("esbuild");
  } catch {
    return undefined;
  }
}

export async function runBundle(name) {
  if (stale(name)) {
    const esbuild = await esbuildIfInstalled();
    if (esbuild) await build(name, esbuild);
    else if (!existsSync(outfile(name)))
      throw new Error(`${outfile(name)} is missing and esbuild is not installed to build it`);
  }
  await import(pathToFileURL(outfile(name)).href);
}
