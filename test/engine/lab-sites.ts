// Several lab sites for rollout tests and the rollout bench: `lvsctl lab up --hosts-only` per site (the
// first plain, the others `--reach-from` it, so the first lab's control namespace reaches every site),
// each site's cluster file from `lvsctl lab cluster-file`, and a plan (sites.yaml) in a directory of its
// own. lvsctl runs in the first lab's control namespace, as an operator's deploy host would.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { assertDownLeftNothing, lvsctl as lab } from "./lab-cli.ts";
import { readRecord } from "../../lvsctl/src/lab/record.ts";
import { byRole, topology, type Topology } from "../../lvsctl/src/lab/topology.ts";

const REPO = new URL("../..", import.meta.url).pathname;

export interface Site {
  /** the site's name in the plan ("site-1") and its lab's name */
  name: string;
  lab: string;
  file: string;
  t: Topology;
}

export interface Run {
  code: number;
  out: string;
  err: string;
}

export interface LabSites {
  dir: string;
  sites: Site[];
  plan: string;
  /** `lvsctl <args>` from the first lab's control namespace; stdout and stderr apart */
  lvsctl(args: string[], onErr?: (chunk: string) => void): Promise<Run>;
  /** a TypeScript file of the repository run with `node --import tsx` there */
  script(file: string, args: string[]): Promise<Run>;
  /** a site's cluster file, changed by fn (parsed YAML in, written back) */
  edit(site: Site, fn: (file: Record<string, unknown>) => void): void;
  remove(): void;
}

export function makeLabSites(prefix: string, count: number, plan: Record<string, unknown> = {}): LabSites {
  const dir = mkdtempSync(join(tmpdir(), "lvs-sites-"));
  const sites: Site[] = [];
  const remove = () => {
    for (const s of [...sites].reverse()) assertDownLeftNothing(s.lab);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 1; i <= count; i++) {
      const labName = `${prefix}${i}`;
      const reach = i === 1 ? [] : ["--reach-from", `${prefix}1`];
      const up = lab(labName, "up", "--hosts-only", "--directors", "1", "--real-servers", "2", ...reach);
      sites.push({ name: `site-${i}`, lab: labName, file: join(dir, `site-${i}.yaml`), t: undefined as never });
      assert.equal(up.code, 0, `lab ${labName}: ${up.err}\n${up.out.slice(-2000)}`);
      const rec = readRecord(labName)!;
      sites[i - 1]!.t = topology(rec.options, rec.slot);
      const file = lab(labName, "cluster-file");
      assert.equal(file.code, 0, file.err);
      writeFileSync(sites[i - 1]!.file, file.out);
    }
  } catch (err) {
    remove();
    throw err;
  }
  const planFile = join(dir, "sites.yaml");
  writeFileSync(
    planFile,
    stringify({ sites: sites.map((s) => ({ name: s.name, file: `site-${s.name.slice(5)}.yaml` })), ...plan }),
  );
  const control = byRole(sites[0]!.t, "control")[0]!;
  return {
    dir,
    sites,
    plan: planFile,
    lvsctl: (args, onErr) => inNamespace(control.ns, [join(REPO, "lvsctl/src/main.ts"), ...args], onErr),
    script: (file, args) => inNamespace(control.ns, [join(REPO, file), ...args]),
    edit: (site, fn) => {
      const value = parse(readFileSync(site.file, "utf8")) as Record<string, unknown>;
      fn(value);
      writeFileSync(site.file, stringify(value, { lineWidth: 0 }));
    },
    remove,
  };
}

/** `node --import tsx <argv>` in a namespace, from the repository (its tsconfig maps @pulumi/lvs to sdk/). */
function inNamespace(ns: string, argv: string[], onErr?: (chunk: string) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn("ip", ["netns", "exec", ns, process.execPath, "--import", "tsx", ...argv], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
      onErr?.(c.toString());
    });
    child.on("close", (code) => resolve({ code: code ?? 1, out, err }));
  });
}
