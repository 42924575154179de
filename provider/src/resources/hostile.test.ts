// Hostile values in every string input of every resource (issue 13): quotes, $(...), backticks, ';',
// '|', newlines, control characters, very long strings. For each, either Check refuses it with a problem
// naming that field, or every script and unit text the planners make of the checked inputs is harmless:
// the scripts, wrapped as they are sent to a host, run under real sh (dash) in a scratch directory and
// no injected command runs (a marker file must not appear), and the systemd unit gains no directive.
// The scripts run in a network namespace of their own (sysctl writes stay there) with a PATH of a few
// real read-only tools and no-op stand-ins for everything that changes a host (rm, mv, systemctl, ip).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { RESOURCE_SPECS } from "./specs.ts";
import { formatPath, type PathSegment } from "../inputs/check.ts";
import { readFileScript, remoteCommand, writeFileScript } from "../host/commands.ts";
import { lockScript, unlockScript } from "../host/lock.ts";
import { agentCommandLine, configLock, type Placement } from "./fragment/plan.ts";
import { vipPlacements } from "./vip/state.ts";
import { virtualServerPlacements } from "./virtual-server/state.ts";
import { layoutOf } from "./director/install/layout.ts";
import * as install from "./director/install/scripts.ts";
import * as service from "./director/install/service.ts";
import { holderOf, wantOf } from "./real-server/state.ts";
import { opAction, prepPaths, readScript } from "./real-server/prep/commands.ts";
import { reconcile } from "./real-server/prep/record.ts";
import { batchScript } from "./real-server/prep/batch.ts";
import type { DirectorInputs } from "./director/schema.ts";
import type { VipInputs } from "./vip/schema.ts";
import type { VirtualServerInputs } from "./virtual-server/schema.ts";
import type { RealServerInputs } from "./real-server/schema.ts";

const S = mkdtempSync("/tmp/lvs-hostile-");
after(() => rmSync(S, { recursive: true, force: true }));
const MARK = `${S}/pwned`;

/**
 * Files an injected `:>MARK` made. A script may have cut the value before it ran (dirname, basename),
 * so any regular file under the scratch directory named like the marker counts, wherever it landed.
 */
function injected(): string[] {
  return readdirSync(S, { recursive: true, encoding: "utf8" })
    .filter((f) => f.split("/").pop()!.includes("pwned"))
    .filter((f) => lstatSync(`${S}/${f}`).isFile());
}

/** Ways a value could run `:>MARK` (a builtin: no PATH needed) if it reached sh unquoted. */
const INJECTIONS = [
  `$(:>${MARK})`,
  `\`:>${MARK}\``,
  `'$(:>${MARK})'`,
  `"$(:>${MARK})"`,
  `x;:>${MARK};`,
  `x|:>${MARK}`,
  `x&&:>${MARK}`,
  `x\n:>${MARK}\n`,
  `x\r\n:>${MARK}`,
];
/** Each bare (names) and inside an absolute path in the scratch directory (paths), and the odd ones. */
const HOSTILE = [
  ...INJECTIONS.flatMap((i) => [i, `${S}/p${i}`]),
  "'",
  '"',
  "\\",
  "%i$HOME",
  "x\u0000y",
  "a".repeat(100_000),
  `${S}/${"a".repeat(100_000)}`,
];

const conn = { host: "10.0.0.2", user: "deploy", password: "pw-secret", hostKey: `SHA256:${"A".repeat(43)}` };
const jump = { host: "10.0.0.1", user: "jump", privateKey: "key-secret", password: "pw2", hostKey: conn.hostKey };
const access = (d: string) => ({
  configDir: `${S}/${d}/conf.d`,
  agentCommand: `${S}/${d}/bin/lvs-agent --flag`,
  statusSocket: `${S}/${d}/agent.sock`,
});

const https = {
  type: "https",
  path: "/health",
  host: "www.example.org",
  statusCodes: ["200-299"],
  digest: "0123456789abcdef0123456789abcdef",
  sni: "www.example.org",
  bindTo: "10.0.0.2",
};
const script = { type: "script", script: "/usr/local/bin/check web", user: "nobody" };
const { sni: _sni, ...http } = { ...https, type: "http" };

/**
 * Valid inputs per resource that together set every optional string field (a union's members each
 * somewhere), so that each one is walked.
 */
const BASES: Record<string, Array<Record<string, unknown>>> = {
  "lvs:index:Director": [
    {
      connection: { ...conn, privateKey: "key-secret", jumpHost: jump },
      global: {
        routerId: "lb1",
        statusSocket: `${S}/d/run/agent.sock`,
        metricsListen: "127.0.0.1:9572",
        scriptUser: "nobody",
        stateDir: `${S}/d/state`,
      },
      sysctls: { "net.ipv4.ip_forward": "1" },
      installDir: `${S}/d/opt`,
      configDir: `${S}/d/conf.d`,
      serviceManager: "auto",
      agentBundle: `${S}/bundle.tar.gz`,
      agentVersion: "0.1.0",
    },
  ],
  "lvs:index:Vip": [
    {
      name: "web",
      interface: "eth0",
      vrid: 51,
      version: 2,
      advertInterval: 1,
      addresses: ["10.0.0.100/24"],
      subnet: "10.0.0.0/24",
      directors: [
        {
          connection: { ...conn, privateKey: "key-secret", jumpHost: jump },
          ...access("v"),
          priority: 150,
          sourceIp: "10.0.0.2",
        },
      ],
      auth: { type: "PASS", password: "vrrppw" },
      trackInterfaces: [{ name: "eth1" }],
      trackScripts: { chk: { script: "/usr/bin/pidof nginx", user: "nobody" } },
      syncDaemon: { interface: "eth0" },
    },
  ],
  "lvs:index:VirtualServer": [script, https].map((healthCheck) => ({
    name: "http",
    address: "10.0.0.100",
    port: 80,
    scheduler: "wlc",
    healthCheck,
    sorryServer: { address: "10.0.0.50" },
    realServers: [
      { address: "10.0.0.11", healthCheck: script },
      { address: "10.0.0.12", healthCheck: https },
      { address: "10.0.0.13", healthCheck: http },
    ],
    directors: [{ ...conn, privateKey: "key-secret", jumpHost: jump, ...access("s") }],
  })),
  "lvs:index:RealServer": [script, https].map((healthCheck) => ({
    name: "rs1",
    address: "10.0.0.11",
    vips: ["10.0.0.100"],
    interface: "eth0",
    healthCheck,
    connection: { ...conn, privateKey: "key-secret", jumpHost: jump },
  })),
};

/** Every string leaf of a value, with its path. */
function stringLeaves(v: unknown, path: PathSegment[] = []): PathSegment[][] {
  if (typeof v === "string") return [path];
  if (Array.isArray(v)) return v.flatMap((x, i) => stringLeaves(x, [...path, i]));
  if (typeof v === "object" && v !== null) return Object.entries(v).flatMap(([k, x]) => stringLeaves(x, [...path, k]));
  return [];
}

/** Record keys are strings from the program too (sysctl names, script names): walked as leaves of their own. */
function keyLeaves(v: unknown, path: PathSegment[] = []): PathSegment[][] {
  if (Array.isArray(v)) return v.flatMap((x, i) => keyLeaves(x, [...path, i]));
  if (typeof v !== "object" || v === null) return [];
  return Object.entries(v).flatMap(([k, x]) => [[...path, k], ...keyLeaves(x, [...path, k])]);
}

function withValue(base: unknown, path: PathSegment[], value: string): Record<string, unknown> {
  const copy = structuredClone(base) as Record<string, unknown>;
  let at: Record<string | number, unknown> = copy;
  for (const seg of path.slice(0, -1)) at = at[seg] as Record<string | number, unknown>;
  at[path[path.length - 1]!] = value;
  return copy;
}

/** A record's key replaced by `value` (its entry kept). */
function withKey(base: unknown, path: PathSegment[], value: string): Record<string, unknown> {
  const copy = structuredClone(base) as Record<string, unknown>;
  let at: Record<string | number, unknown> = copy;
  for (const seg of path.slice(0, -1)) at = at[seg] as Record<string | number, unknown>;
  const key = path[path.length - 1]!;
  const entry = at[key];
  delete at[key];
  at[value] = entry;
  return copy;
}

// --- what the planners make of checked inputs ------------------------------------------------------

/** The lock twice (the second finds it held and says so: the message names it), the file written and read. */
const lockedFile = (lock: string, file: string): string[] => [
  lockScript(lock, 0.2),
  lockScript(lock, 0.2),
  unlockScript(lock),
  writeFileScript(file, 0o600),
  readFileScript(file),
];

function fragmentScripts(placements: Placement[]): string[] {
  return placements.flatMap((p) => [
    ...lockedFile(configLock(p.agent), p.path),
    agentCommandLine(p.agent, "reload"),
    agentCommandLine(p.agent, "status"),
  ]);
}

function directorScripts(d: DirectorInputs): string[] {
  const l = layoutOf(d);
  const stage = install.stagePath(l, "tok");
  return [
    ...lockedFile(configLock(l), l.fragment),
    install.inspectScript(l),
    install.listingScript(`${l.versionsDir}/0.1.0-abcdef12`),
    install.uploadScript(l, stage, "0".repeat(64)),
    install.unpackScript(stage),
    install.removeStageScript(stage),
    install.activateScript(l, stage, "0.1.0-abcdef12", "tok"),
    install.switchScript(l, "0.1.0-abcdef12", "tok"),
    install.pruneScript(l, ["0.0.9-11111111"]),
    install.removeInstallScript(l),
    install.otherFragmentsScript(l),
    ...(["systemd", "supervised"] as const).flatMap((m) => [
      service.serviceStateScript(l, m),
      service.startScript(l, m, false),
      service.startScript(l, m, true),
      service.stopScript(l, m),
      service.waitReadyScript(l, m, 1234, 0.2),
    ]),
    service.stopScript(l, undefined),
  ];
}

function realServerScripts(rs: RealServerInputs): string[] {
  const paths = prepPaths(rs.connection?.host ?? "h", `${S}/rs`);
  const want = wantOf(rs, paths.root);
  if (!want) return [];
  const sysctls = Object.fromEntries(Object.keys(want.holding.sysctls).map((k) => [k, 0]));
  const actual = { sysctls, addresses: [], files: {}, systemd: true, enabled: {} };
  const plan = reconcile(undefined, undefined, holderOf(rs), want, actual);
  assert.deepEqual(plan.problems, []);
  const q = { sysctls: Object.keys(sysctls), files: Object.keys(want.contents), units: [] };
  return [
    lockScript(paths.lock, 0.2),
    lockScript(paths.lock, 0.2),
    readScript(q, paths.root),
    batchScript(plan.ops.map((op) => opAction(op, paths))),
    batchScript(
      plan.ops.map((op) => opAction(op, paths)),
      { keepGoing: true },
    ),
    unlockScript(paths.lock),
  ];
}

const SCRIPTS: Record<string, (inputs: never) => string[]> = {
  "lvs:index:Director": directorScripts,
  "lvs:index:Vip": (v: VipInputs) => fragmentScripts(vipPlacements(v)),
  "lvs:index:VirtualServer": (vs: VirtualServerInputs) => fragmentScripts(virtualServerPlacements(vs)),
  "lvs:index:RealServer": realServerScripts,
};

// --- the sandbox ------------------------------------------------------------------------------------

const BIN = `${S}/bin`;
mkdirSync(BIN);
for (const tool of ["sh", "mkdir", "cat", "date", "stat", "grep", "sed", "awk", "cut", "tr", "head", "tail", "wc"])
  symlinkSync(spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim(), `${BIN}/${tool}`);
const stub = (name: string, body: string) => {
  writeFileSync(`${BIN}/${name}`, `#!/bin/sh\n${body}\n`);
  chmodSync(`${BIN}/${name}`, 0o755);
};
// As sent: `timeout -s KILL N sh -c SCRIPT`, `sudo -n -- ...`; what would change the host does nothing.
stub("timeout", 'shift 3; exec "$@"');
stub("sudo", 'shift 2; exec "$@"');
for (const name of ["sleep", "rm", "mv", "ln", "chmod", "chown", "sync", "mktemp", "systemctl", "journalctl"])
  stub(name, "exit 0");
for (const name of ["ip", "modprobe", "tar", "sha256sum", "setsid", "base64", "find", "flock", "kill"])
  stub(name, "exit 0");

/** Runs each script as the host would (remoteCommand), each in a subshell of one sh, in its own netns. */
function runAll(scripts: string[], cwd: string): { status: number | null; stderr: string } {
  const file = `${cwd}/run.sh`;
  writeFileSync(
    file,
    scripts.map((s) => `( ${remoteCommand(s, { sudo: true, killAfterS: 10 })} ) </dev/null >/dev/null 2>&1`).join("\n"),
  );
  // coreutils timeout signals its whole process group: nothing a script started outlives the run.
  const r = spawnSync("/usr/bin/timeout", ["-s", "KILL", "60", "/usr/bin/unshare", "-n", "/bin/sh", file], {
    cwd,
    env: { PATH: BIN, HOME: cwd },
    encoding: "utf8",
  });
  return { status: r.status, stderr: r.stderr };
}

/** The supervisor loops until SIGTERM: started, then stopped as its stop does. */
function runSupervisor(script: string, cwd: string): void {
  writeFileSync(`${cwd}/supervise`, script);
  const argv = ["-k", "2", "0.3", "/usr/bin/unshare", "-n", "/bin/sh", `${cwd}/supervise`, "run"];
  spawnSync("/usr/bin/timeout", argv, { cwd, env: { PATH: BIN, HOME: cwd } });
}

/** The unit's directives, one per line: a hostile value must not add one. */
const directives = (unit: string) =>
  unit
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith("#") && !l.startsWith("["))
    .map((l) => l.split("=")[0]);

// ---------------------------------------------------------------------------------------------------

const spec = (token: string) => RESOURCE_SPECS.find((s) => s.token === token)!;

const scriptsOf = (token: string, inputs: unknown): string[] => (SCRIPTS[token] as (i: unknown) => string[])(inputs);
/** Every text the base inputs make: run once here, and not again for a value that does not reach it. */
const baseline = new Set<string>();
const supervisors = new Set<string>();

test("every base input passes Check, and what it makes runs in the sandbox without the marker", () => {
  const problems = Object.entries(BASES).flatMap(([token, bases]) =>
    bases.map((base) => [token, spec(token).check(base).problems] as const),
  );
  assert.deepEqual(
    problems.filter(([, p]) => p.length > 0),
    [],
  );
  const dir = mkdtempSync(`${S}/base-`);
  for (const [token, bases] of Object.entries(BASES))
    for (const base of bases) {
      const inputs = spec(token).check(base).inputs!;
      for (const t of scriptsOf(token, inputs)) baseline.add(t);
      if (token !== "lvs:index:Director") continue;
      const supervisor = service.supervisorScript(layoutOf(inputs as DirectorInputs));
      runSupervisor(supervisor, dir);
      supervisors.add(supervisor);
    }
  const r = runAll([...baseline], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(injected(), []);
  assert.deepEqual(
    RESOURCE_SPECS.map((s) => s.token).sort(),
    Object.keys(BASES).sort(),
    "every resource has a base input",
  );
});

test("the base inputs name every string field of their resource's schema", () => {
  const gaps: Record<string, string[]> = {};
  for (const [token, bases] of Object.entries(BASES)) {
    const have = bases.flatMap((b) => stringLeaves(b)).map(shapeOf);
    const covered = (p: string) => {
      const re = new RegExp(`^${p.replace(/[.[\]]/g, "\\$&").replace(/\*/g, ".+")}$`);
      return have.some((h) => re.test(h));
    };
    const missing = schemaStringPaths(spec(token).schema).filter((p) => !covered(p));
    if (missing.length > 0) gaps[token] = missing;
  }
  assert.deepEqual(gaps, {}, "string fields the walk would not reach");
});

for (const [token, bases] of Object.entries(BASES)) {
  test(`${token}: each hostile value in each string input is refused naming its field, or runs nothing`, (t) => {
    const leaves = bases.flatMap((base) => stringLeaves(base).map((path) => ({ base, path, set: withValue })));
    const keys = bases.flatMap((base) =>
      keyLeaves(base)
        .filter((p) => ["sysctls", "trackScripts"].includes(String(p[p.length - 2])))
        .map((path) => ({ base, path, set: withKey })),
    );
    for (const f of injected()) rmSync(`${S}/${f}`); // another resource's finding is not this one's
    let refused = 0;
    let ran = 0;
    for (const { base, path, set } of [...leaves, ...keys]) {
      const cases = HOSTILE.map((value) => ({ value, input: set(base, path, value) }));
      const accepted: Array<{ value: string; inputs: Record<string, unknown> }> = [];
      for (const { value, input } of cases) {
        // a record key replaced is named by its new value
        const field = formatPath(set === withKey ? [...path.slice(0, -1), value] : path);
        const r = spec(token).check(input);
        if (r.problems.length > 0) {
          refused++;
          const named = r.problems.some((p) => field.startsWith(formatPath(p.path)) && p.path.length > 0);
          assert.ok(
            named,
            `${field}=${JSON.stringify(value.slice(0, 40))}: refused, naming ${r.problems.map((p) => formatPath(p.path)).join(", ")}`,
          );
          for (const p of r.problems) assert.ok(p.message.length < 1000, `${field}: a short message, not the value`);
        } else accepted.push({ value, inputs: r.inputs! });
      }
      if (accepted.length === 0) continue;
      const field = formatPath(path);
      const dir = mkdtempSync(`${S}/case-`);
      // What the base inputs make already ran (first test): only texts the value changed run again.
      const scripts = accepted.flatMap((a) => scriptsOf(token, a.inputs)).filter((t) => !baseline.has(t));
      runAll(scripts, dir); // in order, twice where twice is meant: the second lock finds it held
      ran += scripts.length;
      if (token === "lvs:index:Director")
        for (const a of accepted) {
          const l = layoutOf(a.inputs as DirectorInputs);
          const supervisor = service.supervisorScript(l);
          if (!supervisors.has(supervisor)) runSupervisor(supervisor, dir);
          assert.deepEqual(
            directives(service.systemdUnit(l)),
            directives(service.systemdUnit(layoutOf(spec(token).check(base).inputs as DirectorInputs))),
            `${field}=${JSON.stringify(a.value.slice(0, 40))}: the unit's directives`,
          );
        }
      assert.deepEqual(
        injected(),
        [],
        `${field}: one of ${JSON.stringify(accepted.map((a) => a.value.slice(0, 40)))} ran a command on the host`,
      );
    }
    const inputs = new Set([...leaves, ...keys].map((l) => formatPath(l.path))).size;
    t.diagnostic(`${inputs} string inputs and keys, ${refused} cases refused, ${ran} scripts run`);
    assert.ok(refused > 0 && ran > 0, `${refused} refused, ${ran} scripts run`);
  });
}

// --- which string fields a schema has ---------------------------------------------------------------

/** A path with array indices and record keys folded: directors[].connection.host, trackScripts.*.script. */
function shapeOf(path: PathSegment[]): string {
  return path
    .map((s) => (typeof s === "number" ? "[]" : s))
    .join(".")
    .replace(/\.\[\]/g, "[]");
}

/** String leaves of a schema, by shape; record keys as "*", union members merged. */
function schemaStringPaths(schema: z.ZodType, prefix = ""): string[] {
  const s = schema as z.ZodType & { _zod: { def: Record<string, unknown> } };
  const def = s._zod.def;
  const join = (k: string) => (prefix === "" ? k : `${prefix}.${k}`);
  switch (def.type) {
    case "string":
      return [prefix];
    case "optional":
    case "default":
    case "nullable":
    case "pipe":
      return schemaStringPaths((def.innerType ?? def.in) as z.ZodType, prefix);
    case "object":
      return Object.entries((schema as z.ZodObject).shape as Record<string, z.ZodType>).flatMap(([k, v]) =>
        schemaStringPaths(v, join(k)),
      );
    case "array":
      return schemaStringPaths(def.element as z.ZodType, `${prefix}[]`);
    case "record":
      return schemaStringPaths(def.valueType as z.ZodType, join("*"));
    case "union":
      return [...new Set((def.options as z.ZodType[]).flatMap((o) => schemaStringPaths(o, prefix)))];
    default:
      return [];
  }
}
