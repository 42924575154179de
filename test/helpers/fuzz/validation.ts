// Validation fuzz cases: random JSON values and mutated valid inputs (wrong types, missing and extra
// fields, hostile strings, edge numbers, huge arrays) through the agent's config validation
// (checkConfig), a ClusterSpec's (its zod schema, planCluster's cross references, then each planned
// resource's own Check: what lvsctl does with a cluster file) and each resource's Check (the pure check
// its provider handler calls). Properties: no throw, and every refusal is a list of problems each with a
// message and the path of the field it is about. Pure but for reading the keepalived fixtures once, for
// rich AgentConfig seeds.
import { readdirSync, readFileSync } from "node:fs";
import type { z } from "zod";
import { checkConfig } from "../../../agent/src/config/validate.ts";
import { lexFile } from "../../../agent/src/keepalived/lexer.ts";
import { keepalivedToAgentConfig } from "../../../agent/src/keepalived/convert.ts";
import { memIo } from "../../../agent/src/keepalived/test-helpers.ts";
import { ClusterSpec } from "../../../provider/src/cluster/spec.ts";
import { planCluster } from "../../../provider/src/cluster/plan.ts";
import { checkPlanned } from "../../../provider/src/cluster/check.ts";
import { errorMap } from "../../../provider/src/inputs/common.ts";
import { RESOURCE_SPECS } from "../../../provider/src/resources/specs.ts";
import { fieldNames, int, mutateJson, pick, randomJson, type Rng } from "./gen.ts";
import { ACCEPTED, PropertyFailure, refused, type FuzzTarget, type Outcome } from "./harness.ts";

type Path = readonly (string | number)[];
const isObject = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);

/** Problems with paths as a refusal: each must have a message, and a path unless the input is no object at all. */
function pathProblems(problems: readonly { path: Path; message: string }[], input: unknown): Outcome {
  for (const p of problems)
    if (p.path.length === 0 && isObject(input))
      throw new PropertyFailure(`a problem that names no field: ${p.message.slice(0, 300)}`);
  return refused(problems.map((p) => p.message));
}

/** A case: most are a seed mutated, some a random value (a few of them objects with the seeds' field names). */
function randomInput(rng: Rng, seeds: readonly unknown[], keys: readonly string[]): unknown {
  if (rng() < 0.1) return randomJson(rng, 3, keys);
  return mutateJson(rng, pick(rng, seeds), keys);
}

const safe = (v: unknown) => {
  try {
    return String(
      JSON.stringify(v, (_k, x: unknown) =>
        typeof x === "string" && x.length > 200 ? `${x.slice(0, 200)}...(${x.length})` : x,
      ),
    );
  } catch {
    return String(v);
  }
};

function validationTarget(
  name: string,
  seeds: readonly unknown[],
  check: (input: unknown) => Outcome,
): FuzzTarget<unknown> {
  const keys = fieldNames(...seeds);
  return { name, generate: (rng) => randomInput(rng, seeds, keys), run: check, describe: safe };
}

// ---------------------------------------------------------------- AgentConfig

const conn = (host: string) => ({ host, user: "root", privateKey: "K", hostKey: `SHA256:${"A".repeat(43)}` });

/**
 * A config cut into small ones, a case each: an instance (with the scripts it may track), a virtual
 * server (with at most two real servers). Whole configs cost ten times as much to validate.
 */
function sections(c: Record<string, Record<string, unknown>>): unknown[] {
  const instances = Object.entries(c.instances ?? {}).map(([name, v]) => ({
    instances: { [name]: v },
    scripts: c.scripts,
  }));
  const services = Object.entries(c.virtualServers ?? {}).map(([name, v]) => {
    const vs = v as { realServers?: unknown[] };
    return { virtualServers: { [name]: { ...vs, realServers: vs.realServers?.slice(0, 2) } } };
  });
  return [...instances, ...services, { global: c.global, sysctls: c.sysctls }];
}

/** The keepalived fixtures the converter takes, as AgentConfigs, and a small hand-written one. */
function agentConfigSeeds(): unknown[] {
  const dir = new URL("../../../agent/src/keepalived/fixtures/", import.meta.url);
  const converted = readdirSync(dir)
    .filter((n) => n.endsWith(".conf"))
    .flatMap((n) => {
      const path = `/etc/keepalived/${n}`;
      const source = lexFile(path, memIo({ [path]: readFileSync(new URL(n, dir), "utf8") }));
      const r = keepalivedToAgentConfig(source, { resolveCommand: (c) => `/usr/bin/${c}` });
      return r.ok ? sections(JSON.parse(JSON.stringify(r.config)) as Record<string, Record<string, unknown>>) : [];
    });
  const small = {
    instances: { VI_1: { interface: "eth0", vrid: 51, virtualAddresses: [{ address: "10.0.0.100/24" }] } },
  };
  return [small, ...converted];
}

export function agentConfigTarget(): FuzzTarget<unknown> {
  return validationTarget("agent-config", agentConfigSeeds(), (input) => {
    const r = checkConfig(input);
    if (r.config) return ACCEPTED;
    return pathProblems(r.problems, input);
  });
}

// ---------------------------------------------------------------- ClusterSpec

const CLUSTER_SEEDS: readonly unknown[] = [
  {
    directors: [
      { name: "lb1", address: "10.0.0.2", connection: conn("10.0.0.2") },
      {
        name: "lb2",
        address: "10.0.0.3",
        connection: conn("10.0.0.3"),
        sysctls: { "net.ipv4.vs.expire_nodest_conn": 1 },
      },
    ],
    vips: [
      {
        name: "web",
        interface: "eth0",
        vrid: 51,
        addresses: ["10.0.0.100/24"],
        priorities: { lb1: 150, lb2: 100 },
        version: 2,
        auth: { type: "PASS", password: "vrrppw" },
        trackScripts: { chk: { script: "/usr/bin/pidof nginx", user: "nobody" } },
      },
    ],
    realServers: [
      { name: "rs1", address: "10.0.0.21", connection: conn("10.0.0.21") },
      { name: "rs2", address: "10.0.0.22" },
    ],
    virtualServers: [
      {
        name: "http",
        vip: "web",
        port: 80,
        scheduler: "wrr",
        persistence: { timeout: 300 },
        healthCheck: { type: "http", path: "/health", statusCodes: ["200-299"] },
        backends: [
          { server: "rs1", weight: 2 },
          { server: "rs2", healthCheck: { type: "tcp", connectTimeout: 2 } },
        ],
      },
    ],
  },
  { directors: [{ name: "lb1", address: "10.2.0.2", connection: conn("10.2.0.2") }] },
];

/** A zod issue as problems; unknown keys one each, at the key's own path (as a resource's Check reports them). */
function issueProblems(iss: z.core.$ZodIssue): { path: Path; message: string }[] {
  const path = iss.path.map((k) => (typeof k === "number" ? k : String(k)));
  if (iss.code === "unrecognized_keys") return iss.keys.map((k) => ({ path: [...path, k], message: "unknown field" }));
  return [{ path, message: iss.message }];
}

export function clusterSpecTarget(): FuzzTarget<unknown> {
  return validationTarget("cluster-spec", CLUSTER_SEEDS, (input) => {
    const parsed = ClusterSpec.safeParse(input, { error: errorMap });
    if (!parsed.success) return pathProblems(parsed.error.issues.flatMap(issueProblems), input);
    const plan = planCluster(parsed.data);
    // planCluster's problems are "path: message" lines
    if (!plan.ok) return refused(plan.problems, (m) => /^[\w.[\]"-]+: \S/.test(m));
    const planned = checkPlanned(parsed.data, plan.plan);
    return planned.length === 0 ? ACCEPTED : pathProblems(planned, input);
  });
}

// ---------------------------------------------------------------- resources' Check

const PROVIDER_SEEDS: Record<string, readonly Record<string, unknown>[]> = {
  "lvs:index:Director": [
    { connection: conn("10.0.0.2") },
    {
      connection: { ...conn("10.0.0.2"), jumpHost: conn("10.0.0.1") },
      global: { routerId: "lb1", metricsListen: "127.0.0.1:9572", scriptUser: "nobody" },
      sysctls: { "net.ipv4.vs.expire_nodest_conn": 1 },
      installDir: "/opt/lvs-agent",
      serviceManager: "systemd",
      agentVersion: "0.1.0",
    },
  ],
  "lvs:index:Vip": [
    {
      name: "web",
      interface: "eth0",
      vrid: 51,
      version: 2,
      addresses: ["10.0.0.100/24"],
      directors: [
        { connection: conn("10.0.0.2"), priority: 150, sourceIp: "10.0.0.2" },
        { connection: conn("10.0.0.3"), priority: 100, sourceIp: "10.0.0.3" },
      ],
      auth: { type: "PASS", password: "vrrppw" },
      trackInterfaces: [{ name: "eth1" }],
      trackScripts: { chk: { script: "/usr/bin/pidof nginx", user: "nobody" } },
    },
  ],
  "lvs:index:VirtualServer": [
    {
      name: "http",
      address: "10.0.0.100",
      port: 80,
      scheduler: "wlc",
      healthCheck: { type: "http", path: "/health", statusCodes: ["200-299"] },
      sorryServer: { address: "10.0.0.50" },
      realServers: [{ address: "10.0.0.11" }, { address: "10.0.0.12", weight: 3, healthCheck: { type: "tcp" } }],
      directors: [conn("10.0.0.2")],
    },
  ],
  "lvs:index:RealServer": [
    { name: "rs1", address: "10.0.0.11", vips: ["10.0.0.100"], interface: "eth0", connection: conn("10.0.0.11") },
  ],
};

interface ResourceCase {
  /** index in RESOURCE_SPECS */
  spec: number;
  input: unknown;
}

/**
 * Every resource's Check (what provider.ts calls with the engine's inputs), the resource picked at
 * random each case; a refusal's kind is prefixed with the resource's name.
 */
export function resourceCheckTarget(): FuzzTarget<ResourceCase> {
  const kinds = RESOURCE_SPECS.map((spec) => {
    const seeds = PROVIDER_SEEDS[spec.token] ?? [];
    return { spec, seeds, keys: fieldNames(...seeds), name: spec.token.split(":").pop()! };
  });
  return {
    name: "provider-check",
    generate: (rng) => {
      const spec = int(rng, 0, kinds.length - 1);
      return { spec, input: randomInput(rng, kinds[spec]!.seeds, kinds[spec]!.keys) };
    },
    run(c) {
      const { spec, name } = kinds[c.spec]!;
      // The engine hands Check an object (a protobuf Struct): anything else is wrapped as a field of one.
      const raw = isObject(c.input) ? (c.input as Record<string, unknown>) : { name: c.input };
      const r = spec.check(raw);
      if (r.inputs) return ACCEPTED;
      const outcome = pathProblems(r.problems, raw);
      return outcome.accepted ? outcome : { accepted: false, kind: `${name}: ${outcome.kind}` };
    },
    describe: (c) => `${kinds[c.spec]!.name} ${safe(c.input)}`,
  };
}
