// `npm run package`: the two packages users install, in dist/packages/ (I/O shell, a build script).
//   pulumi-resource-lvs-v<version>-linux-amd64.tar.gz  the resource plugin, for
//       `pulumi plugin install resource lvs <version> --file <tarball>`: the provider as one esbuild file
//       with its packages inside (no node_modules; it runs on the `node` the Pulumi program uses, 20 or
//       newer), and the agent bundle (with its own Node runtime) it installs on x64 directors.
//   pulumi-lvs-<version>.tgz  the TypeScript SDK `@pulumi/lvs`, compiled JS and .d.ts, made by `npm pack`;
//       its package.json names the plugin, so `pulumi` knows which one a program needs.
// `npm run package -- plugin` or `-- sdk` makes one. Phases and sizes go to stderr, the paths to stdout.
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { buildBundle } from "../provider/src/bundle/build.ts";
import { DEFAULT_NODE_VERSION } from "../provider/src/bundle/plan.ts";

const REPO = new URL("..", import.meta.url).pathname;
const OUT = join(REPO, "dist/packages");
const STAGE = join(REPO, "dist/package");
const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
  version: string;
  license: string;
  dependencies: Record<string, string>;
};
const schema = JSON.parse(readFileSync(join(REPO, "provider/schema.json"), "utf8")) as { version: string };
const say = (m: string) => process.stderr.write(`package: ${m}\n`);
const mb = (file: string) => `${(statSync(file).size / 1024 / 1024).toFixed(1)} MB`;

// The engine starts the plugin by this name; it finds node as the program does, and says so when it cannot.
const LAUNCHER = `#!/bin/sh
# The lvs resource plugin, as the Pulumi engine starts it. Runs pulumi-resource-lvs.mjs beside it on
# Node.js 20 or newer: the node on PATH, or LVS_PROVIDER_NODE.
here=$(dirname "$(readlink -f "$0")")
node=\${LVS_PROVIDER_NODE:-node}
if ! "$node" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; then
  echo "pulumi-resource-lvs: needs Node.js 20 or newer as \\"node\\" on PATH (or LVS_PROVIDER_NODE=/path/to/node)" >&2
  exit 1
fi
exec "$node" "$here/pulumi-resource-lvs.mjs" "$@"
`;

const BANNER = [
  'import { createRequire as __lvsRequire } from "node:module";',
  'import { dirname as __lvsDirname } from "node:path";',
  'import { fileURLToPath as __lvsPath } from "node:url";',
  "const require = __lvsRequire(import.meta.url);",
  "const __filename = __lvsPath(import.meta.url);",
  "const __dirname = __lvsDirname(__filename);",
].join(" ");

async function plugin(): Promise<string> {
  const dir = join(STAGE, "plugin");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "agent-bundles"), { recursive: true });
  say("plugin 1/3: the provider as one file");
  await esbuild.build({
    absWorkingDir: REPO,
    entryPoints: ["provider/src/main.ts"],
    outfile: join(dir, "pulumi-resource-lvs.mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // ssh2's optional native parts: it falls back to JavaScript without them.
    external: ["cpu-features", "*.node"],
    // Bundled CommonJS (grpc-js, the protos, ssh2) uses require() and __dirname: give the ESM file them.
    banner: { js: BANNER },
    legalComments: "eof",
    logLevel: "error",
  });
  writeFileSync(join(dir, "pulumi-resource-lvs"), LAUNCHER);
  chmodSync(join(dir, "pulumi-resource-lvs"), 0o755);
  say("plugin 2/3: the x64 agent bundle");
  const bundle = await buildBundle({
    arch: "x64",
    node: DEFAULT_NODE_VERSION,
    outDir: join(dir, "agent-bundles"),
    log: (m) => say(`  ${m}`),
  });
  say(`  ${bundle.file} ${mb(bundle.file)}${bundle.cached ? " (cached)" : ""}`);
  say("plugin 3/3: the tarball");
  const file = join(OUT, `pulumi-resource-lvs-v${pkg.version}-linux-amd64.tar.gz`);
  execFileSync("tar", ["-czf", file, "-C", dir, "--owner=0", "--group=0", "."]);
  say(`  ${file} ${mb(file)}`);
  return file;
}

function sdk(): string {
  const dir = join(STAGE, "sdk");
  rmSync(dir, { recursive: true, force: true });
  say("sdk 1/2: compiling (tsc: JS and .d.ts)");
  execFileSync(
    process.execPath,
    [join(REPO, "node_modules/typescript/bin/tsc"), "-p", join(REPO, "sdk/tsconfig.build.json")],
    { stdio: "inherit" },
  );
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(sdkManifest(), null, 2)}\n`);
  copyFileSync(join(REPO, "sdk/README.md"), join(dir, "README.md"));
  say("sdk 2/2: npm pack");
  const name = execFileSync("npm", ["pack", "--pack-destination", OUT, "--silent"], { cwd: dir, encoding: "utf8" })
    .trim()
    .split("\n")
    .pop()!;
  const file = join(OUT, name);
  say(`  ${file} ${mb(file)}`);
  return file;
}

/** @pulumi/lvs's package.json: the `pulumi` field is how the language host learns the program needs the lvs plugin. */
function sdkManifest(): object {
  return {
    name: "@pulumi/lvs",
    version: pkg.version,
    description: "TypeScript SDK of the lvs Pulumi provider: LVS directors (lvs-agent), VIPs, virtual and real servers",
    license: pkg.license,
    type: "module",
    main: "./bin/sdk/index.js",
    types: "./bin/sdk/index.d.ts",
    exports: { ".": { types: "./bin/sdk/index.d.ts", default: "./bin/sdk/index.js" } },
    engines: { node: ">=20" },
    // yaml and ssh2: rollout() reads cluster files and asks each site's agents over SSH.
    dependencies: Object.fromEntries(["@pulumi/pulumi", "zod", "yaml", "ssh2"].map((d) => [d, pkg.dependencies[d]!])),
    pulumi: { resource: true, name: "lvs", version: pkg.version },
  };
}

if (schema.version !== pkg.version)
  throw new Error(`provider/schema.json says version ${schema.version}, package.json ${pkg.version}: make them one`);
const which = process.argv[2] ?? "all";
if (!["all", "plugin", "sdk"].includes(which)) throw new Error(`usage: npm run package -- [plugin|sdk] (got ${which})`);
mkdirSync(OUT, { recursive: true });
if (which !== "sdk") console.log(await plugin());
if (which !== "plugin") console.log(sdk());
