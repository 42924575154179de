// The agent bundle for a host's arch, on the machine running the provider (thin shell). A Director's
// agentBundle names a ready tarball. Otherwise the installed plugin package uses the bundles it ships
// (agent-bundles/ beside the plugin's code, `npm run package`), and a provider run from the repository
// builds one or takes it from the builder's cache with `npm run bundle`'s own CLI (an unchanged build is
// a cached copy, ~1 s), once per arch per provider process. Either way its sha256 and MANIFEST.json
// come with it.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { hashFile, run } from "../../../bundle/io.ts";
import { parseManifest } from "../../../bundle/manifest.ts";
import { buildabilityProblem, type Arch } from "../../../bundle/plan.ts";
import { versionName } from "./layout.ts";
import type { Desired } from "./plan.ts";
import { sha256 } from "./scripts.ts";

export interface AgentBundle extends Desired {
  file: string;
  manifestText: string;
}

/** The repository this provider runs from (source or its esbuild output under dist/). */
function repoRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "pulumi-lvs")
      return dir;
  }
  throw new Error(
    "cannot build the agent bundle: this provider does not run from the pulumi-lvs repository (give the Director an agentBundle)",
  );
}

const SCRATCH = /^lvs-provider-bundle-(\d+)-/;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

let outDir: string | undefined;
/**
 * This process's copy of the bundle (tmp/lvs-provider-bundle-<pid>-*), removed at exit; the engine ends
 * plugins with a signal, which skips exit handlers, so copies of processes that are gone are swept here.
 */
function scratch(): string {
  if (!outDir) {
    for (const name of readdirSync(tmpdir())) {
      const pid = Number(SCRATCH.exec(name)?.[1]);
      if (pid && !pidAlive(pid)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
    const dir = mkdtempSync(join(tmpdir(), `lvs-provider-bundle-${process.pid}-`));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    outDir = dir;
  }
  return outDir;
}

function build(arch: Arch): Promise<{ file: string; manifestFile: string; sha256: string }> {
  const problem = buildabilityProblem({ platform: process.platform, arch: process.arch }, arch);
  if (problem) return Promise.reject(new Error(problem));
  const repo = repoRoot();
  const args = [
    "--import",
    "tsx",
    join(repo, "provider/src/bundle/cli.ts"),
    "--arch",
    arch,
    "--out",
    join(scratch(), arch),
    "--json",
  ];
  return new Promise((res, rej) => {
    execFile(
      process.execPath,
      args,
      { cwd: repo, encoding: "utf8", maxBuffer: 16 * 1024 * 1024, timeout: 600_000 },
      (err, stdout, stderr) => {
        if (err)
          return rej(
            new Error(
              `building the ${arch} agent bundle failed: ${stderr.trim().split("\n").slice(-12).join("\n") || err.message}`,
            ),
          );
        res(JSON.parse(stdout) as { file: string; manifestFile: string; sha256: string });
      },
    );
  });
}

async function describe(file: string, sha: string, manifestText: string, arch: Arch): Promise<AgentBundle> {
  const manifest = parseManifest(manifestText);
  if (manifest.arch !== arch) throw new Error(`the agent bundle ${file} is for ${manifest.arch}, the host is ${arch}`);
  return {
    file,
    sha256: sha,
    manifest,
    manifestText,
    manifestSha256: sha256(manifestText),
    name: versionName(manifest.agentVersion, sha),
  };
}

/** A tarball given by path: its sha256 and the MANIFEST.json inside it. */
async function fromFile(path: string, arch: Arch): Promise<AgentBundle> {
  const file = resolve(path);
  if (!existsSync(file) || !statSync(file).isFile())
    throw new Error(`agentBundle ${file}: no such file on the machine running the provider`);
  const [sha, listed] = await Promise.all([
    hashFile(file),
    run("tar", ["-xzOf", file, "--wildcards", "--no-wildcards-match-slash", "*/MANIFEST.json"], {
      what: `reading MANIFEST.json from ${file}`,
    }),
  ]);
  return describe(file, sha, listed.stdout, arch);
}

/** Where the plugin package keeps the bundles it ships: beside its code (absent in a repository). */
const SHIPPED = join(dirname(fileURLToPath(import.meta.url)), "agent-bundles");

/** The shipped bundle for arch, or why there is none; undefined when this is not a plugin package. */
function shipped(arch: Arch): string | Error | undefined {
  if (!existsSync(SHIPPED)) return undefined;
  const names = readdirSync(SHIPPED).filter((n) => n.endsWith(".tar.gz"));
  const name = names.find((n) => n.endsWith(`-linux-${arch}.tar.gz`));
  if (name) return join(SHIPPED, name);
  return new Error(
    `this lvs plugin ships the agent for ${names.map((n) => n.replace(/^.*-linux-|\.tar\.gz$/g, "")).join(", ") || "no arch"}, not ${arch}: ` +
      `build one with \`npm run bundle -- --arch ${arch}\` in a pulumi-lvs checkout and give its path as the Director's agentBundle`,
  );
}

const memo = new Map<string, Promise<AgentBundle>>();

/** The bundle for `arch`: the given tarball, the shipped one, or the built one. Failures are not remembered. */
export function agentBundle(arch: Arch, path?: string): Promise<AgentBundle> {
  const key = path ? `file:${resolve(path)}:${existsSync(path) ? statSync(path).mtimeMs : 0}` : `build:${arch}`;
  let p = memo.get(key);
  if (!p) {
    const ready = path ?? shipped(arch);
    if (ready instanceof Error) p = Promise.reject(ready);
    else if (ready) p = fromFile(ready, arch);
    else p = build(arch).then((b) => describe(b.file, b.sha256, readFileSync(b.manifestFile, "utf8"), arch));
    p.catch(() => memo.delete(key));
    memo.set(key, p);
  }
  return p;
}
