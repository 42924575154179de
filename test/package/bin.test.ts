// The package's two commands, lvs-agent and pulumi-resource-lvs, as a user reaches them: from a checkout
// (bin/ and `npx`) and from the package installed with npm in a project of its own outside the
// repository (`npm pack`, then `npm install <tarball>`, with npm's cache from `npm ci` beside it).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const REPO = new URL("../..", import.meta.url).pathname;
let tmp = "";
let installed = "";

const run = (cmd: string, args: string[], cwd: string, timeout = 60_000) =>
  spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    timeout,
    env: { ...process.env, npm_config_update_notifier: "false" },
  });

before(() => {
  tmp = mkdtempSync(join(tmpdir(), "lvs-package-test-"));
  const pack = run("npm", ["pack", "--pack-destination", tmp, "--silent"], REPO);
  assert.equal(pack.status, 0, `npm pack failed:\n${pack.stderr}`);
  const [tarball] = readdirSync(tmp).filter((f) => f.endsWith(".tgz"));
  assert.ok(tarball, `npm pack left no tarball in ${tmp}`);
  installed = join(tmp, "project");
  spawnSync("mkdir", [installed]);
  writeFileSync(
    join(installed, "package.json"),
    JSON.stringify({ name: "user-project", version: "1.0.0", private: true }),
  );
  const install = run(
    "npm",
    ["install", join(tmp, tarball), "--prefer-offline", "--no-audit", "--no-fund"],
    installed,
    300_000,
  );
  assert.equal(install.status, 0, `npm install of the packed tarball failed:\n${install.stderr}`);
  writeFileSync(
    join(tmp, "agent.json"),
    JSON.stringify({
      instances: { VI_1: { interface: "eth0", vrid: 7, virtualAddresses: [{ address: "10.9.0.1/24" }] } },
    }),
  );
});

after(() => rmSync(tmp, { recursive: true, force: true }));

/** lvs-agent validates a config and names what is wrong in a bad one: the real program ran. */
function assertAgentWorks(argv: string[], cwd: string): void {
  const good = run(argv[0]!, [...argv.slice(1), "validate", "--config", join(tmp, "agent.json")], cwd);
  assert.equal(good.status, 0, `${argv.join(" ")} validate: ${good.stderr}`);
  assert.match(good.stdout, /configuration valid: 1 instance\(s\) from 1 file\(s\)/);
  const bad = run(argv[0]!, [...argv.slice(1), "validate", "--config", join(tmp, "missing.json")], cwd);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /missing\.json/);
}

/**
 * `lvs-agent check`, validate's old name, as scripts written for it call it: the same answer and exit
 * status, and one line on stderr saying to use validate.
 */
function assertCheckStillValidates(lvsAgent: string, cwd: string): void {
  const good = run(lvsAgent, ["check", "--config", join(tmp, "agent.json")], cwd);
  assert.equal(good.status, 0, `${lvsAgent} check: ${good.stderr}`);
  assert.match(good.stdout, /configuration valid: 1 instance\(s\) from 1 file\(s\)/);
  assert.deepEqual(good.stderr.split("\n").filter(Boolean), [
    "lvs-agent: the check command is deprecated, use lvs-agent validate (same options)",
  ]);
  const bad = run(lvsAgent, ["check", "--config", join(tmp, "missing.json")], cwd);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^lvs-agent: the check command is deprecated, use lvs-agent validate/);
  assert.match(bad.stderr, /missing\.json/);
}

/** The plugin's start-up contract with the engine: its port first on stdout, then it serves until stopped. */
async function assertPluginServes(cmd: string, cwd: string): Promise<void> {
  const child = spawn(cmd, [], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  try {
    const first = await new Promise<string>((resolve, reject) => {
      let out = "";
      let err = "";
      child.stderr.on("data", (c: Buffer) => (err += c.toString()));
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
        if (out.includes("\n")) resolve(out);
      });
      child.once("exit", (code) => reject(new Error(`${cmd} exited (${code}) before printing its port:\n${err}`)));
    });
    assert.match(first, /^\d+\n/, `${cmd} must print its port first, printed ${JSON.stringify(first)}`);
  } finally {
    child.kill("SIGTERM");
  }
}

test("from a checkout: bin/lvs-agent, npx lvs-agent and bin/pulumi-resource-lvs", async () => {
  assertAgentWorks([join(REPO, "bin/lvs-agent")], REPO);
  assertAgentWorks(["npx", "--offline", "lvs-agent"], REPO);
  await assertPluginServes(join(REPO, "bin/pulumi-resource-lvs"), REPO);
});

test("from the package installed with npm into a project outside the repository", async () => {
  const bin = join(installed, "node_modules/.bin");
  assertAgentWorks([join(bin, "lvs-agent")], installed);
  assertCheckStillValidates(join(bin, "lvs-agent"), installed);
  assertAgentWorks(["npx", "--offline", "lvs-agent"], installed);
  await assertPluginServes(join(bin, "pulumi-resource-lvs"), installed);
});
