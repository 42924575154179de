// `lvsctl import` end to end: two directors' keepalived.conf (seed 003's config, the second with a lower
// priority) become a cluster file that `loadClusterFile` (what lvsctl up -f reads) loads with no
// problem, whose VIP and virtual server are what `lvs-agent --keepalived-conf` runs on each director;
// and a Pulumi TypeScript program with one lvs.Cluster that typechecks against the SDK. A file the
// ClusterSpec cannot express is refused with its file:line and nothing is written.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO } from "../helpers/agent.ts";
import { loadClusterFile } from "../../lvsctl/src/cluster/commands.ts";
import { loadKeepalivedConf } from "../../agent/src/keepalived/load.ts";
import { createLogger } from "../../agent/src/log.ts";
import { Writable } from "node:stream";

const FIX = join(REPO, "agent/src/keepalived/fixtures");
const PIN = "SHA256:uSIUsUk+FqQMyRSTC4opsphVjaRQ7aHQTo1lYyy6BBg";
const quiet = createLogger(new Writable({ write: (_c, _e, cb) => cb() }));

function lvsctl(args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", join(REPO, "lvsctl/src/main.ts"), "import", ...args], {
    cwd: REPO,
    encoding: "utf8",
  });
}

function twoDirectors(dir: string): string[] {
  const text = readFileSync(join(FIX, "lvs-dr-ens33.conf"), "utf8");
  const files = [join(dir, "lb1.conf"), join(dir, "lb2.conf")];
  writeFileSync(files[0]!, text);
  writeFileSync(files[1]!, text.replace("priority 150", "priority 100").replace("state MASTER", "state BACKUP"));
  return files;
}

const access = (dir: string) => [
  ...["--director", "lb1=192.168.1.11", "--director", "lb2=192.168.1.12"],
  ...["--ssh-key", join(dir, "id"), "--host-key", `lb1=${PIN}`, "--host-key", `lb2=${PIN}`],
];

test("YAML: loads as a cluster file with no problem; each director's part is what its agent runs", async () => {
  const dir = mkdtempSync(join(tmpdir(), "lvs-import-"));
  try {
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "id")]);
    const files = twoDirectors(dir);
    const out = join(dir, "cluster.yaml");
    const r = lvsctl([...files, ...access(dir), "-o", out]);
    assert.equal(r.status, 0, r.stderr);
    const { spec } = loadClusterFile(out);
    for (const [i, name] of ["lb1", "lb2"].entries()) {
      const agent = await loadKeepalivedConf(files[i]!, quiet, { configId: name });
      assert.ok(agent.ok);
      const inst = agent.config.instances.VI_1!;
      const vip = spec.vips.find((v) => v.vrid === inst.vrid && v.interface === inst.interface)!;
      assert.deepEqual(
        [vip.priorities[name], vip.addresses, vip.auth, vip.version, vip.advertInterval],
        [inst.priority, inst.virtualAddresses.map((a) => a.address), inst.auth, inst.version, inst.advertInterval],
      );
      const [vsName, avs] = Object.entries(agent.config.virtualServers)[0]!;
      const vs = spec.virtualServers.find((v) => v.address === avs.address && v.port === avs.port)!;
      assert.equal(vs.vip, vip.name, vsName);
      assert.deepEqual([vs.scheduler, vs.forwarding, vs.protocol], [avs.scheduler, avs.forwarding, avs.protocol]);
      const byServer = new Map(spec.realServers.map((s) => [s.name, s.address]));
      assert.deepEqual(
        vs.backends.map((b) => [byServer.get(b.server), b.port, b.weight, b.healthCheck]),
        avs.realServers.map((rs) => [rs.address, rs.port, rs.weight, rs.healthCheck]),
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("TypeScript: a program with one lvs.Cluster that typechecks against the SDK", { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "lvs-import-"));
  const project = join(REPO, `.tmp-import-${process.pid}`);
  try {
    const files = twoDirectors(dir);
    mkdirSync(project);
    const r = lvsctl([...files, ...access(dir), "--to", "ts", "-o", join(project, "index.ts")]);
    assert.equal(r.status, 0, r.stderr);
    const program = readFileSync(join(project, "index.ts"), "utf8");
    assert.match(program, /new lvs\.Cluster\("cluster", \{/);
    assert.match(program, /"lb2": 100/);
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        extends: "../tsconfig.json",
        include: ["index.ts"],
        compilerOptions: { paths: { "@pulumi/lvs": ["../sdk/index.ts"] } },
      }),
    );
    const tsc = spawnSync(join(REPO, "node_modules/.bin/tsc"), ["-p", project], { encoding: "utf8" });
    assert.equal(tsc.status, 0, `${tsc.stdout}${tsc.stderr}\n${program}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (existsSync(project)) rmSync(project, { recursive: true, force: true });
  }
});

test("what a ClusterSpec cannot say: refused with file:line, nothing written", () => {
  const dir = mkdtempSync(join(tmpdir(), "lvs-import-"));
  try {
    const out = join(dir, "cluster.yaml");
    const r = lvsctl([join(FIX, "keepalived-master.conf"), join(FIX, "keepalived-slave.conf"), "-o", out]);
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /keepalived-master\.conf:40: virtual_server 172\.20\.128\.2:80: its address is not a virtual_ipaddress/,
    );
    assert.ok(!existsSync(out));
    const placeholder = lvsctl([join(FIX, "keepalived-slave.conf")]);
    assert.equal(placeholder.status, 0, placeholder.stderr);
    assert.match(placeholder.stdout, /^# FILL IN before deploying: the SSH private key/m);
    assert.match(placeholder.stdout, /privateKeyFile: FILL-IN-the-ssh-private-key-file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
