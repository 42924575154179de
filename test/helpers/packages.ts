// The two packages a user installs (`npm run package`: the plugin tarball and the @pulumi/lvs SDK),
// built from this checkout, and a project outside the repository that installs them as their READMEs
// say: the SDK with npm (its dependencies, tsx and typescript from npm's cache, which `npm ci` filled),
// the plugin with `pulumi plugin install resource lvs <version> --file`. I/O helpers for tests.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const REPO = new URL("../..", import.meta.url).pathname;
export const PACKAGE_VERSION = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string })
  .version;

export interface Packages {
  plugin: string;
  sdk: string;
}

let built: Packages | undefined;

/** Both packages, built once per test process (an unchanged agent bundle comes from the builder's cache). */
export function buildPackages(): Packages {
  if (built) return built;
  const r = spawnSync(process.execPath, ["--import", "tsx", join(REPO, "scripts/package.ts")], {
    cwd: REPO,
    encoding: "utf8",
    timeout: 900_000,
  });
  if (r.status !== 0) throw new Error(`npm run package failed:\n${r.stderr}`);
  const [plugin, sdk] = r.stdout.trim().split("\n");
  built = { plugin: plugin!, sdk: sdk! };
  return built;
}

/** npm install of the SDK package (with tsx and typescript) into project `dir`. */
export function installSdk(dir: string, sdk: string): void {
  const npm = spawnSync("npm", ["install", sdk, "tsx", "typescript", "--prefer-offline", "--no-audit", "--no-fund"], {
    cwd: dir,
    encoding: "utf8",
    timeout: 600_000,
    env: { ...process.env, npm_config_update_notifier: "false" },
  });
  if (npm.status !== 0) throw new Error(`npm install of ${sdk} failed:\n${npm.stderr}`);
}

/** `pulumi plugin install` arguments for the plugin tarball. */
export const pluginInstallArgs = (plugin: string): string[] => [
  "plugin",
  "install",
  "resource",
  "lvs",
  PACKAGE_VERSION,
  "--file",
  plugin,
];
