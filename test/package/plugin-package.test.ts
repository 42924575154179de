// The packages users install (`npm run package`), used as a user would from a project of its own outside
// the repository: the SDK `@pulumi/lvs` installed with npm (its .d.ts typecheck a program, and refuse a
// wrong field), the plugin with `pulumi plugin install resource lvs <v> --file`, then the real `pulumi
// preview` of a program with a provider of its own, which needs no host. `pulumi up` with both packages
// runs on the lab (test/engine/lab.test.ts, whose user project installs them the same way).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PACKAGE_VERSION, buildPackages, installSdk, pluginInstallArgs, type Packages } from "../helpers/packages.ts";

const REPO = new URL("../..", import.meta.url).pathname;
const PULUMI_ROOT = spawnSync(join(REPO, "scripts/install-pulumi.sh"), ["--print"], { encoding: "utf8" }).stdout.trim();
const skip = PULUMI_ROOT === "" ? "the Pulumi CLI is not built (scripts/install-pulumi.sh)" : false;

let dir = "";
let packages: Packages;
const KEY_LINE = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW";

before(() => {
  if (skip) return;
  packages = buildPackages();
  dir = mkdtempSync(join(tmpdir(), "lvs-user-package-"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "lvs-user", private: true, type: "module" }));
  writeFileSync(
    join(dir, "Pulumi.yaml"),
    ["name: lvs-user", "runtime:", "  name: nodejs", "  options:", "    typescript: false", "main: index.ts", ""].join(
      "\n",
    ),
  );
  mkdirSync(join(dir, ".state"));
  installSdk(dir, packages.sdk);
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const env = (): NodeJS.ProcessEnv => ({
  ...process.env,
  PATH: `${join(PULUMI_ROOT, "bin")}:${process.env.PATH}`,
  PULUMI_HOME: join(dir, ".pulumi-home"),
  PULUMI_BACKEND_URL: `file://${join(dir, ".state")}`,
  PULUMI_CONFIG_PASSPHRASE: "package-test",
  NODE_OPTIONS: "--import tsx",
  PULUMI_SKIP_UPDATE_CHECK: "true",
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
});

function pulumi(...args: string[]): { code: number; out: string } {
  const r = spawnSync(join(PULUMI_ROOT, "bin/pulumi"), [...args, "--cwd", dir, "--non-interactive"], {
    encoding: "utf8",
    env: env(),
    timeout: 300_000,
  });
  return { code: r.status ?? 1, out: `${r.stdout}\n${r.stderr}` };
}

function tsc(file: string): { code: number; out: string } {
  const args = [
    join(dir, "node_modules/typescript/bin/tsc"),
    "--noEmit",
    "--strict",
    "--module",
    "nodenext",
    "--moduleResolution",
    "nodenext",
    "--target",
    "es2022",
    file,
  ];
  const r = spawnSync(process.execPath, args, { cwd: dir, encoding: "utf8" });
  return { code: r.status ?? 1, out: r.stdout + r.stderr };
}

const PROGRAM = `import * as lvs from "@pulumi/lvs";

// A provider of the program's own: SSH settings for the resources given it.
const ssh = new lvs.Provider("ssh", {
  user: "root",
  privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\\n${KEY_LINE}\\n-----END OPENSSH PRIVATE KEY-----\\n",
  hostKeys: { "192.0.2.21": "SHA256:2fN2LJ3ZyvS3b4nO5cs2cXGfVgD1m3A6cBo0lF9uE5c" },
  connectTimeout: 5,
});
const rs1 = new lvs.RealServer("rs1", { address: "192.0.2.21", vips: ["192.0.2.100"], arpIgnore: 1, connection: { host: "192.0.2.21" } }, { provider: ssh });
export const backend = rs1.backend;
`;

test("the plugin tarball holds the launcher, the one-file provider and the x64 agent bundle", { skip }, () => {
  const listed = spawnSync("tar", ["-tzf", packages.plugin], { encoding: "utf8" }).stdout.split("\n");
  assert.ok(listed.includes("./pulumi-resource-lvs"), listed.join(" "));
  assert.ok(listed.includes("./pulumi-resource-lvs.mjs"));
  assert.ok(
    listed.some((f) => /^\.\/agent-bundles\/lvs-agent-[\d.]+-node[\d.]+-linux-x64\.tar\.gz$/.test(f)),
    listed.join(" "),
  );
  assert.ok(!listed.some((f) => f.includes("node_modules")), "the provider is one file: no node_modules");
});

test("the SDK package: compiled JS and .d.ts that typecheck a program and refuse a wrong field", { skip }, () => {
  const pkg = JSON.parse(readFileSync(join(dir, "node_modules/@pulumi/lvs/package.json"), "utf8")) as {
    pulumi: unknown;
    exports: unknown;
  };
  assert.deepEqual(
    pkg.pulumi,
    { resource: true, name: "lvs", version: PACKAGE_VERSION },
    "names the plugin the program needs",
  );
  const files = readdirSync(join(dir, "node_modules/@pulumi/lvs/bin/sdk"));
  assert.ok(files.includes("index.js") && files.includes("index.d.ts"), files.join(" "));
  assert.ok(!files.some((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")), "no TypeScript source shipped");
  writeFileSync(join(dir, "index.ts"), PROGRAM);
  const good = tsc("index.ts");
  assert.equal(good.code, 0, good.out);
  writeFileSync(
    join(dir, "bad.ts"),
    'import * as lvs from "@pulumi/lvs";\nnew lvs.RealServer("x", { address: "192.0.2.21", arpIgnor: 1 });\n',
  );
  const bad = tsc("bad.ts");
  assert.notEqual(bad.code, 0);
  assert.match(
    bad.out,
    /bad\.ts\(2,\d+\): error TS2561: .*'arpIgnor' does not exist.*Did you mean to write 'arpIgnore'\?/,
  );
});

test("pulumi plugin install --file, then pulumi preview of a program on both packages", { skip }, () => {
  const installed = pulumi(...pluginInstallArgs(packages.plugin));
  assert.equal(installed.code, 0, installed.out);
  const listed = pulumi("plugin", "ls", "--json");
  const plugins = JSON.parse(listed.out.slice(0, listed.out.lastIndexOf("]") + 1)) as Array<{
    name: string;
    kind: string;
    version: string;
  }>;
  assert.ok(
    plugins.some((p) => p.name === "lvs" && p.kind === "resource" && p.version === PACKAGE_VERSION),
    listed.out,
  );
  assert.equal(pulumi("stack", "init", "dev").code, 0);
  writeFileSync(join(dir, "index.ts"), PROGRAM);
  const preview = pulumi("preview", "--diff");
  assert.equal(preview.code, 0, preview.out);
  assert.match(preview.out, /\+ pulumi:providers:lvs: \(create\)/);
  assert.match(preview.out, /privateKey\s*: \[secret\]/, "the SDK marks the provider's key secret");
  assert.match(preview.out, /\+ lvs:index:RealServer: \(create\)[\s\S]*arpIgnore\s*: 1/);
  assert.match(preview.out, /backend\s*: output<string>|backend\s*:\s*{/, "computed outputs are unknown in a preview");
  assert.ok(!preview.out.includes(KEY_LINE), "the key is never printed");
  // No plugin path in Pulumi.yaml and none on PATH: the provider that answered is the installed package.
});

test("the launcher says what node it needs when it cannot find one", { skip }, () => {
  const root = join(dir, "plugin-unpacked");
  mkdirSync(root);
  spawnSync("tar", ["-xzf", packages.plugin, "-C", root]);
  const r = spawnSync(join(root, "pulumi-resource-lvs"), [], {
    encoding: "utf8",
    env: { ...process.env, LVS_PROVIDER_NODE: "/bin/false" },
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /needs Node\.js 20 or newer as "node" on PATH \(or LVS_PROVIDER_NODE=/);
});
