// A user's own Pulumi project beside a running lab, outside the repository: the real `pulumi` CLI run in
// the lab's control namespace (the one place with a route to every lab host), state in a file backend
// in the project, SSH settings in the provider's `lvs:` config. It uses the packages as a user gets
// them (`npm run package`): the SDK installed with npm (`@pulumi/lvs`, compiled JS and .d.ts, with
// @pulumi/pulumi and tsx from npm's cache), the plugin with `pulumi plugin install --file`.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { labDir, readRecord } from "../../lvsctl/src/lab/record.ts";
import { byRole, topology, type LabHost } from "../../lvsctl/src/lab/topology.ts";
import { buildPackages, installSdk, pluginInstallArgs } from "../helpers/packages.ts";

const REPO = new URL("../..", import.meta.url).pathname;
const PULUMI_ROOT = spawnSync(join(REPO, "scripts/install-pulumi.sh"), ["--print"], { encoding: "utf8" }).stdout.trim();

export interface Run {
  code: number;
  out: string;
  err: string;
}

export class UserProject {
  private constructor(
    readonly dir: string,
    private readonly ns: string,
    readonly hosts: LabHost[],
    readonly privateKey: string,
  ) {}

  /** A new project and stack "user" next to lab `labName`, configured with the lab's key and host pins. */
  static create(labName: string): UserProject {
    const rec = readRecord(labName);
    if (!rec) throw new Error(`no lab ${labName}`);
    const t = topology(rec.options, rec.slot);
    const lab = labDir(labName);
    const dir = mkdtempSync("/tmp/lvs-user-project-");
    const p = new UserProject(dir, byRole(t, "control")[0]!.ns, t.hosts, readFileSync(join(lab, "id_ed25519"), "utf8"));
    p.writeProject();
    p.installPackages();
    p.initStack("user", JSON.parse(readFileSync(join(lab, "host-keys.json"), "utf8")) as Record<string, string>);
    return p;
  }

  /** A new stack of the project, selected, with the lab's key and these host pins in its `lvs:` config. */
  initStack(name: string, pins: Record<string, string>): void {
    this.must("stack", "init", name);
    this.must("config", "set", "--secret", "lvs:privateKey", { input: this.privateKey });
    for (const [address, pin] of Object.entries(pins))
      this.must("config", "set", "--path", `lvs:hostKeys["${address}"]`, pin);
  }

  private writeProject(): void {
    writeFileSync(
      join(this.dir, "Pulumi.yaml"),
      [
        "name: lvs-user",
        "runtime:",
        "  name: nodejs",
        "  options:",
        "    typescript: false",
        "main: index.ts",
        "",
      ].join("\n"),
    );
    writeFileSync(join(this.dir, "package.json"), JSON.stringify({ name: "lvs-user", private: true, type: "module" }));
    writeFileSync(join(this.dir, "index.ts"), "export {};\n");
    mkdirSync(join(this.dir, ".state"));
  }

  /** Both packages, built from this checkout now, installed as their READMEs say. */
  private installPackages(): void {
    const { plugin, sdk } = buildPackages();
    installSdk(this.dir, sdk);
    this.must(...pluginInstallArgs(plugin));
  }

  host(name: string): LabHost {
    const h = this.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`the lab has no host ${name}`);
    return h;
  }

  private argv(args: string[]): string[] {
    return ["netns", "exec", this.ns, join(PULUMI_ROOT, "bin/pulumi"), ...args, "--cwd", this.dir, "--non-interactive"];
  }

  /** `pulumi <args>` in the project, in the lab's control namespace. */
  pulumi(...args: Array<string | { input: string }>): Run {
    const input = args.find((a): a is { input: string } => typeof a === "object")?.input;
    const argv = args.filter((a): a is string => typeof a === "string");
    const r = spawnSync("ip", this.argv(argv), {
      encoding: "utf8",
      input,
      timeout: 600_000,
      maxBuffer: 64 << 20,
      env: this.env(),
    });
    return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
  }

  /**
   * `pulumi <args>` left running: its PID (pulumi's own: `ip netns exec` execs it), its output so far,
   * and its end.
   */
  start(...args: string[]): { pid: number; output: () => string; exited: Promise<Run> } {
    const child = spawn("ip", this.argv(args), { env: this.env(), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    const exited = new Promise<Run>((resolve) => child.on("close", (code) => resolve({ code: code ?? 1, out, err })));
    return { pid: child.pid!, output: () => out, exited };
  }

  private env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      PATH: `${join(PULUMI_ROOT, "bin")}:${process.env.PATH}`,
      PULUMI_HOME: join(this.dir, ".pulumi-home"),
      PULUMI_BACKEND_URL: `file://${join(this.dir, ".state")}`,
      PULUMI_CONFIG_PASSPHRASE: "user-project",
      // TypeScript through tsx: this language host (sdk 3.67) passes no `nodeargs` to node.
      NODE_OPTIONS: "--import tsx",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
  }

  /** tsc --noEmit --strict of a file of the project, against the installed packages' .d.ts. */
  typecheck(file: string): Run {
    const args = [
      join(this.dir, "node_modules/typescript/bin/tsc"),
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
    const r = spawnSync(process.execPath, args, { cwd: this.dir, encoding: "utf8" });
    return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
  }

  /** pulumi, which must succeed. */
  must(...args: Array<string | { input: string }>): string {
    const r = this.pulumi(...args);
    if (r.code !== 0)
      throw new Error(
        `pulumi ${args.filter((a) => typeof a === "string").join(" ")} failed (exit ${r.code}):\n${r.err}\n${r.out}`,
      );
    return r.out;
  }

  /** The stack's state forgotten (its resources are the lab's and stay), the project removed. */
  remove(): void {
    this.pulumi("stack", "rm", "user", "--force", "--yes");
    rmSync(this.dir, { recursive: true, force: true });
  }
}
