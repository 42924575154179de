// The testbed of director.test.ts (not pure: root, namespaces, sshd, the plugin, files under /tmp): the
// lab hosts `control`, `d1` and `d2`, Debian's sshd on the directors, the real plugin in `control`, the
// agent bundle the provider builds and variants of it made here. The lab hosts share one filesystem, so
// each director's installDir, configDir, status socket and state are under one directory in /tmp. The
// supervised agents run detached: stop() kills them by their pid files' PIDs, then ends the rest.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { REPO } from "../../helpers/agent.ts";
import { Lab, isRoot } from "../../helpers/netns.ts";
import { processAlive as alive } from "../../helpers/procs.ts";
import { startSshd, type Sshd } from "../../helpers/sshd.ts";
import { randomSubnet } from "../../net/fixtures/client.ts";
import { manifestText, parseManifest } from "../../../provider/src/bundle/manifest.ts";
import { Plugin, secret } from "./plugin.ts";

type Obj = Record<string, unknown>;
/** What `lvs-agent status --json` answers. */
export interface AgentStatus {
  pid: number;
  version: string;
  instances: Array<{ name: string; state: string }>;
}

const net = randomSubnet();
export const VIP = `${net}.100`;
export const ADVERT_S = 1;

/**
 * Every file and directory under `dir` (symlinks aside) as "mode uid path", with the modes seen; `loose`
 * are those another user could change: not root's, or group- or world-writable.
 */
export function modesUnder(dir: string): { loose: string[]; modes: Set<string> } {
  const loose: string[] = [];
  const modes = new Set<string>();
  const visit = (p: string) => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return;
    const mode = (st.mode & 0o7777).toString(8).padStart(4, "0");
    modes.add(`${st.isDirectory() ? "d" : "f"}${mode}`);
    if (st.uid !== 0 || st.mode & 0o022) loose.push(`${mode} ${st.uid} ${p}`);
    if (st.isDirectory()) for (const n of readdirSync(p)) visit(join(p, n));
  };
  visit(dir);
  return { loose, modes };
}

export const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/**
 * A copy of the built bundle as agent `version`, made in `root`: its root renamed, the agent's version
 * string changed in lib/lvs-agent.mjs, and MANIFEST.json updated to match (or, with `honest` false, left
 * with the old file's digest: a bundle whose files do not match its manifest). With `crash`, the agent
 * throws as it loads.
 */
function variant(root: string, src: string, version: string, honest: boolean, crash = false): string {
  const work = join(root, `bundle-${version}`);
  mkdirSync(work);
  sh("tar", ["-xzf", src, "-C", work]);
  const [top] = readdirSync(work);
  const dir = join(work, `lvs-agent-${version}`);
  renameSync(join(work, top!), dir);
  const manifest = parseManifest(readFileSync(join(dir, "MANIFEST.json"), "utf8"));
  const mjs = join(dir, "lib/lvs-agent.mjs");
  const code = readFileSync(mjs, "utf8");
  const changed = code.replace(`var AGENT_VERSION = "${manifest.agentVersion}";`, `var AGENT_VERSION = "${version}";`);
  assert.notEqual(changed, code, "the agent's version constant is in the bundle");
  writeFileSync(mjs, `${crash ? 'throw new Error("lvs-test: this agent cannot start");\n' : ""}${changed}`);
  const files = honest
    ? {
        ...manifest.files,
        "lib/lvs-agent.mjs": { ...manifest.files["lib/lvs-agent.mjs"]!, sha256: sha256(mjs), size: statSync(mjs).size },
      }
    : manifest.files;
  writeFileSync(join(dir, "MANIFEST.json"), manifestText({ ...manifest, agentVersion: version, files }));
  const out = join(root, `lvs-agent-${version}.tar.gz`);
  sh("tar", ["-czf", out, "-C", work, `lvs-agent-${version}`]);
  rmSync(work, { recursive: true, force: true });
  return out;
}

/** The lab, sshd on d1 and d2, the plugin, and the bundles: set up by start(), taken down by stop(). */
export class DirectorTestbed {
  lab!: Lab;
  plugin!: Plugin;
  root = "";
  readonly sshd: Record<string, Sshd> = {};
  /** the bundle the plugin builds, and variants of it made here: a new version, and one that fails its manifest */
  readonly bundles = { built: "", v2: "", bad: "", crash: "", v2Version: "", version: "" };

  dirs(name: string) {
    const base = join(this.root, name);
    return {
      base,
      opt: join(base, "opt"),
      conf: join(base, "conf.d"),
      sock: join(base, "state/agent.sock"),
      run: join(base, "opt/run"),
    };
  }

  declared(name: string, extra: Obj = {}): Obj {
    const s = this.sshd[name]!;
    const d = this.dirs(name);
    return {
      connection: {
        host: s.address,
        port: s.port,
        privateKey: secret(s.clientKey.privateKey),
        hostKey: s.hostKeyFingerprint,
      },
      installDir: d.opt,
      configDir: d.conf,
      serviceManager: "supervised",
      global: { statusSocket: d.sock, stateDir: join(d.base, "state"), metricsListen: "" },
      ...extra,
    };
  }

  pidFile(name: string, file: string): number | undefined {
    try {
      return Number(readFileSync(join(this.dirs(name).run, file), "utf8").trim()) || undefined;
    } catch {
      return undefined;
    }
  }

  /** The installed agent's CLI in the director's namespace, as an operator would run it there. */
  agentCli(name: string, ...args: string[]): { code: number; out: string } {
    const d = this.dirs(name);
    const r = spawnSync(
      "ip",
      ["netns", "exec", this.lab.host(name).ns, join(d.opt, "current/bin/lvs-agent"), ...args, "--socket", d.sock],
      { encoding: "utf8", timeout: 20_000 },
    );
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
  }

  status(name: string): AgentStatus {
    const r = this.agentCli(name, "status", "--json");
    assert.equal(r.code, 0, r.out);
    return JSON.parse(r.out) as AgentStatus;
  }

  /** A VRRP instance holding the VIP, written straight into the director's conf.d (as a Vip resource would). */
  writeVip(name: string, priority: number): void {
    const instance = {
      interface: "eth0",
      vrid: 77,
      priority,
      advertInterval: ADVERT_S,
      virtualAddresses: [{ address: `${VIP}/24` }],
    };
    writeFileSync(join(this.dirs(name).conf, "vip-test.json"), JSON.stringify({ instances: { VI_T: instance } }));
  }

  /** How many bundle uploads the plugin has logged. */
  uploads(): number {
    return this.plugin.stderr.split("\n").filter((l) => /^lvs: \S+: uploading bundle /.test(l)).length;
  }

  async start(): Promise<void> {
    if (!isRoot) return;
    this.root = mkdtempSync("/tmp/lvst-director-");
    const { root, bundles, sshd } = this;
    const built = spawnSync(
      process.execPath,
      ["--import", "tsx", "provider/src/bundle/cli.ts", "--arch", "x64", "--out", join(root, "built"), "--json"],
      {
        cwd: REPO,
        encoding: "utf8",
        timeout: 300_000,
      },
    );
    assert.equal(built.status, 0, built.stderr);
    bundles.built = (JSON.parse(built.stdout) as { file: string }).file;
    bundles.version = parseManifest(
      readFileSync(bundles.built.replace(/\.tar\.gz$/, ".manifest.json"), "utf8"),
    ).agentVersion;
    bundles.v2Version = `${bundles.version}-next.1`;
    bundles.v2 = variant(root, bundles.built, bundles.v2Version, true);
    bundles.bad = variant(root, bundles.built, `${bundles.version}-bad.1`, false);
    bundles.crash = variant(root, bundles.built, `${bundles.version}-crash.1`, true, true);
    this.lab = Lab.create([
      { name: "control", addr: `${net}.2/24` },
      { name: "d1", addr: `${net}.11/24` },
      { name: "d2", addr: `${net}.12/24` },
    ]);
    // d1's sessions start with umask 000 (as pam_umask or a profile may make them): the provider sets its own
    [sshd.d1, sshd.d2] = await Promise.all([
      startSshd(this.lab.host("d1"), { sessionUmask: "000" }),
      startSshd(this.lab.host("d2")),
    ]);
    this.plugin = await Plugin.start(120_000, { host: this.lab.host("control") });
  }

  async stop(): Promise<void> {
    // Detached supervisors and their agents: by the pid files' PIDs (a supervisor's PID is its process group).
    for (const name of ["d1", "d2"]) {
      const sp = this.pidFile(name, "supervisor.pid");
      const ap = this.pidFile(name, "agent.pid");
      if (alive(sp)) process.kill(-sp!, "SIGKILL");
      if (alive(ap)) process.kill(ap!, "SIGKILL");
    }
    const pluginPid = this.plugin?.pid;
    await this.plugin?.stop();
    // the plugin's copy of the bundle (it is ended by a signal, so its exit handler does not run)
    for (const n of readdirSync("/tmp"))
      if (pluginPid && n.startsWith(`lvs-provider-bundle-${pluginPid}-`))
        rmSync(join("/tmp", n), { recursive: true, force: true });
    await Promise.all(Object.values(this.sshd).map((s) => s.stop()));
    this.lab?.destroy();
    if (this.root) rmSync(this.root, { recursive: true, force: true });
  }
}
