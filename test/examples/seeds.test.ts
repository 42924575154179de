// The seed examples (examples/seeds/) under pulumi.runtime.setMocks, held against the seeds' own
// keepalived.conf files. The mocks are the provider's own Check (a program the provider would reject
// fails here) and the outputs Create computes. For each director, what the example registers is planned
// into that director's conf.d fragments by the provider's planners and loaded by the agent's conf.d
// loader; the seed's keepalived.conf for that director is loaded by the agent's importer (what
// `lvs-agent run --keepalived-conf` runs). The two AgentConfigs must agree: the VRRP instances whole
// (vrid, priority, interface, addresses, version, advert interval, auth, unicast peers, ...) and the
// virtual services with each real server's effective weight, port, forwarding and health check.
// The only parts of a seed left out are listed per seed below, and checked to be what they are.
//
// The three programs share this one mock set-up (setMocks is process-wide): each registers under its own
// cluster name, and every resource is looked up by its URN's name.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { LvsProvider, outputsFor } from "../../provider/src/provider.ts";
import { unwrapSecrets } from "../../provider/src/secrets.ts";
import { directorHostFragment } from "../../provider/src/resources/director/plan.ts";
import { planVip } from "../../provider/src/resources/vip/plan.ts";
import { planVirtualServer, serviceLabel } from "../../provider/src/resources/virtual-server/plan.ts";
import { confKey, planRealServer } from "../../provider/src/resources/real-server/plan.ts";
import { fragmentText, type HostFragment } from "../../provider/src/resources/fragment/files.ts";
import type { DirectorInputs } from "../../provider/src/resources/director/schema.ts";
import type { VipInputs } from "../../provider/src/resources/vip/schema.ts";
import type { VirtualServerInputs } from "../../provider/src/resources/virtual-server/schema.ts";
import type { RealServerInputs } from "../../provider/src/resources/real-server/schema.ts";
import { loadConfigDir } from "../../agent/src/config/load.ts";
import { loadKeepalivedConf } from "../../agent/src/keepalived/load.ts";
import type { AgentConfig, VrrpInstanceConfig } from "../../agent/src/config/schema.ts";
import type { VirtualServerConfig } from "../../agent/src/config/ipvs.ts";
import type { Logger } from "../../agent/src/log.ts";
import type { Cluster } from "../../sdk/cluster.ts";
import { REPO } from "../helpers/agent.ts";

const FIXTURES = join(REPO, "agent/src/keepalived/fixtures");

interface Seed {
  name: string;
  program: string;
  /**
   * Each director's keepalived.conf, in the order of the example's directors (the seed's master first):
   * a fixture (the seed's config, see agent/src/keepalived/convert.test.ts), with the edits the seed
   * itself describes for its backup. Each edit's text must occur exactly once.
   */
  directors: { fixture: string; edits?: [from: string, to: string][] }[];
  /** the seed's track scripts (a VIP's trackScripts: on the directors under "<vip>.<name>") */
  trackScripts: string[];
  /** every host the example connects to (host key pins for the mock config) */
  hosts: string[];
}

// Seed 002's vrrp_strict is refused by the agent (test/keepalived/cli.test.ts): its example is the seed without it.
const NO_STRICT: [string, string] = ["vrrp_strict", ""];

const SEEDS: Seed[] = [
  {
    name: "001",
    program: "../../examples/seeds/001-docker-nginx-pair.ts",
    directors: [{ fixture: "keepalived-master.conf" }, { fixture: "keepalived-slave.conf" }],
    trackScripts: ["chk_nginx"],
    hosts: ["172.20.128.2", "172.20.128.3", "172.16.16.177", "172.16.16.178"],
  },
  {
    name: "002",
    program: "../../examples/seeds/002-lvs-dr-wrr-persistent.ts",
    // "lvs-slave的配置和主机一样，仅需要将 state MASTER --> BACKUP, priority 100 --> 90"
    directors: [
      { fixture: "lvs-dr.conf", edits: [NO_STRICT] },
      { fixture: "lvs-dr.conf", edits: [NO_STRICT, ["state MASTER", "state BACKUP"], ["priority 100", "priority 90"]] },
    ],
    trackScripts: [],
    hosts: ["192.168.28.101", "192.168.28.102", "192.168.28.103", "192.168.28.104"],
  },
  {
    name: "003",
    program: "../../examples/seeds/003-lvs-dr-rr.ts",
    // "备份节点配置(差异部分): state BACKUP priority 100"
    directors: [
      { fixture: "lvs-dr-ens33.conf" },
      {
        fixture: "lvs-dr-ens33.conf",
        edits: [
          ["state MASTER", "state BACKUP"],
          ["priority 150", "priority 100"],
        ],
      },
    ],
    trackScripts: [],
    hosts: ["192.168.1.11", "192.168.1.12", "192.168.1.20", "192.168.1.21"],
  },
];

const provider = new LvsProvider();
/** Checked inputs (secrets unwrapped) by resource name. */
const registered = new Map<string, { type: string; inputs: Record<string, unknown> }>();
/** Resources the provider's Check refused: any fails the test waiting on an output. */
const failures: string[] = [];
const work = mkdtempSync(join(tmpdir(), "lvs-seed-examples-"));

before(() => {
  const pin = `SHA256:${"A".repeat(43)}`;
  pulumi.runtime.setAllConfig(
    {
      "lvs-example:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----",
      "lvs-example:hostKeys": JSON.stringify(Object.fromEntries(SEEDS.flatMap((s) => s.hosts).map((h) => [h, pin]))),
    },
    ["lvs-example:sshPrivateKey"],
  );
  return pulumi.runtime.setMocks(
    {
      async newResource(args) {
        if (args.type === "lvs:index:Cluster") return { id: undefined, state: {} };
        const urn = `urn:pulumi:test::lvs-example::${args.type}::${args.name}`;
        const checked = await provider.check(urn, args.inputs);
        if (checked.failures?.length) {
          const message = `${args.type} ${args.name}: ${checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`;
          failures.push(message);
          throw new Error(message);
        }
        if (registered.has(args.name)) failures.push(`${args.name} is registered twice`);
        registered.set(args.name, {
          type: args.type,
          inputs: unwrapSecrets(checked.inputs).value as Record<string, unknown>,
        });
        return { id: `${args.name}-id`, state: outputsFor(args.type, checked.inputs) };
      },
      call: () => ({}),
    },
    "lvs-example",
    "test",
    false,
  );
});

after(() => rmSync(work, { recursive: true, force: true }));

/** An output's value; rejects as soon as the provider's Check refuses any resource (the output would never resolve). */
function value<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      if (failures.length === 0) return;
      clearInterval(poll);
      reject(new Error(failures.join("\n")));
    }, 20);
    o.apply((v) => {
      clearInterval(poll);
      resolve(v);
    });
  });
}

/** The checked inputs a resource was registered with. */
async function inputsOf<T>(resource: pulumi.Resource): Promise<T> {
  const urn = await value(resource.urn);
  const found = registered.get(urn.slice(urn.lastIndexOf("::") + 2));
  assert.ok(found, `${urn} was not registered`);
  return found.inputs as T;
}

const quiet: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => quiet,
};

/** One director of the seed as the agent's keepalived.conf importer reads it. */
async function seedConfig(seed: Seed, i: number): Promise<AgentConfig> {
  const { fixture, edits = [] } = seed.directors[i]!;
  let text = readFileSync(join(FIXTURES, fixture), "utf8");
  for (const [from, to] of edits) {
    assert.equal(text.split(from).length - 1, 1, `seed ${seed.name}: "${from}" occurs once in ${fixture}`);
    text = text.replace(from, to);
  }
  const file = join(work, `seed-${seed.name}-${i}-${fixture}`);
  writeFileSync(file, text);
  const r = await loadKeepalivedConf(file, quiet);
  if (!r.ok) assert.fail(`seed ${seed.name}: the agent refuses ${fixture}:\n${r.problems.join("\n")}`);
  return r.config;
}

/** What each director's agent loads from the fragments the provider plans for the cluster, by host. */
async function plannedConfigs(seed: Seed, cluster: Cluster): Promise<Map<string, AgentConfig>> {
  const fragments: HostFragment[] = [];
  for (const d of Object.values(cluster.directors))
    fragments.push(directorHostFragment(await inputsOf<DirectorInputs>(d)));
  for (const v of Object.values(cluster.vips)) fragments.push(...planVip(await inputsOf<VipInputs>(v)));
  for (const s of Object.values(cluster.virtualServers))
    fragments.push(...planVirtualServer(await inputsOf<VirtualServerInputs>(s)));
  const out = new Map<string, AgentConfig>();
  for (const host of new Set(fragments.map((f) => f.host))) {
    const dir = join(work, `seed-${seed.name}-conf.d-${host}`);
    mkdirSync(dir);
    for (const f of fragments.filter((x) => x.host === host))
      writeFileSync(join(dir, basename(f.path)), fragmentText(f));
    const r = await loadConfigDir(dir);
    if (!r.ok) assert.fail(`seed ${seed.name}: ${host}'s agent refuses its conf.d:\n${r.problems.join("\n")}`);
    out.set(host, r.config);
  }
  return out;
}

/**
 * An instance as compared: addresses with their device filled in (the instance's interface by default),
 * track scripts apart, and sourceIp only where the seed sets one (otherwise the agent, like keepalived,
 * sends from the interface's primary address, the director's own).
 */
function vrrp(inst: VrrpInstanceConfig, withSource: boolean) {
  const { trackScripts: _t, sourceIp, virtualAddresses, ...rest } = inst;
  return {
    ...rest,
    virtualAddresses: virtualAddresses.map((a) => ({ address: a.address, device: a.device ?? inst.interface })),
    ...(withSource ? { sourceIp } : {}),
  };
}

/** A service as compared: each real server with its effective port, forwarding, check and inhibit. */
function service(vs: VirtualServerConfig) {
  const { healthCheck, inhibitOnFailure, realServers, ...rest } = vs;
  const effective = realServers.map((rs) => ({
    ...rs,
    port: rs.port ?? vs.port,
    forwarding: rs.forwarding ?? vs.forwarding,
    healthCheck: rs.healthCheck ?? healthCheck ?? "none",
    inhibitOnFailure: rs.inhibitOnFailure ?? inhibitOnFailure,
  }));
  // Persistence per client address: the provider writes netmask 32, keepalived's importer leaves it out
  // (the agent's desired table reads both as /32, ipvs/desired.ts).
  const persistence = rest.persistence && { ...rest.persistence, netmask: rest.persistence.netmask ?? 32 };
  return { ...rest, ...(persistence && { persistence }), realServers: effective };
}

const services = (c: AgentConfig) =>
  new Map(Object.values(c.virtualServers).map((vs) => [serviceLabel(vs), service(vs)]));

function compareDirector(seed: Seed, at: string, got: AgentConfig, want: AgentConfig): void {
  assert.deepEqual(got.global, want.global, `${at}: global settings`);
  assert.deepEqual(Object.keys(got.instances), Object.keys(want.instances), `${at}: VRRP instances`);
  for (const [name, w] of Object.entries(want.instances)) {
    const g = got.instances[name]!;
    assert.deepEqual(vrrp(g, w.sourceIp !== undefined), vrrp(w, w.sourceIp !== undefined), `${at}: instance ${name}`);
    assert.deepEqual(
      w.trackScripts.map((t) => t.name),
      seed.trackScripts,
      `${at}: ${name}'s track scripts`,
    );
    // The same scripts, tracked the same way, named under the VIP (script names are global on a director).
    const scoped = (t: { name: string }) => ({ ...t, name: `${name}.${t.name}` });
    assert.deepEqual(g.trackScripts, w.trackScripts.map(scoped), `${at}: ${name} tracks the seed's scripts`);
    for (const t of w.trackScripts)
      assert.deepEqual(got.scripts[scoped(t).name], want.scripts[t.name], `${at}: script ${t.name}`);
  }
  assert.deepEqual(Object.keys(want.scripts), seed.trackScripts, `${at}: the seed's scripts are its track scripts`);
  assert.deepEqual(
    [got.syncDaemon, got.ipvsTimeouts, got.sysctls],
    [want.syncDaemon, want.ipvsTimeouts, want.sysctls],
    `${at}: sync daemon, IPVS timeouts, sysctls`,
  );
  // Every service the seed runs on this director runs here the same.
  const mine = services(got);
  for (const [label, w] of services(want)) assert.deepEqual(mine.get(label), w, `${at}: virtual server ${label}`);
}

/** DR real servers are prepared as seed 003 does by hand: arp_ignore 1 / arp_announce 2 on all and lo, the VIP/32 on lo. */
async function checkPreparation(seed: Seed, cluster: Cluster, wanted: VirtualServerConfig[]): Promise<void> {
  const plans = await Promise.all(Object.values(cluster.realServers).map(async (r) => inputsOf<RealServerInputs>(r)));
  for (const vs of wanted) {
    for (const rs of vs.realServers) {
      const inputs = plans.find((p) => p.address === rs.address && p.vips.includes(vs.address!));
      assert.ok(inputs, `seed ${seed.name}: a RealServer ${rs.address} serving ${vs.address}`);
      const plan = planRealServer(inputs);
      assert.deepEqual(
        plan.addresses,
        [{ address: `${vs.address}/32`, device: "lo" }],
        `seed ${seed.name}: ${rs.address} holds the VIP on lo`,
      );
      for (const dev of ["all", "lo"]) {
        assert.deepEqual(
          [plan.sysctls[confKey(dev, "arp_ignore")], plan.sysctls[confKey(dev, "arp_announce")]],
          [1, 2],
          `seed ${seed.name}: ${rs.address} ARP settings on ${dev}`,
        );
      }
    }
  }
}

describe("the seed examples (examples/seeds) against the seeds' keepalived.conf as lvs-agent imports it", () => {
  for (const seed of SEEDS) {
    it(
      `seed ${seed.name}: every director runs the seed's VRRP instance and virtual services`,
      { timeout: 60_000 },
      async () => {
        const { cluster } = (await import(seed.program)) as { cluster: Cluster };
        const hosts = await Promise.all(Object.values(cluster.directors).map((d) => value(d.host)));
        assert.equal(hosts.length, seed.directors.length, `seed ${seed.name}: one director per seed config`);
        const planned = await plannedConfigs(seed, cluster);
        assert.deepEqual(
          [...planned.keys()].sort(),
          [...hosts].sort(),
          `seed ${seed.name}: fragments go to the directors only`,
        );
        const wanted = await Promise.all(seed.directors.map((_, i) => seedConfig(seed, i)));
        hosts.forEach((host, i) =>
          compareDirector(seed, `seed ${seed.name}, director ${i + 1} (${host})`, planned.get(host)!, wanted[i]!),
        );

        // Across the cluster, the services are the seed's, no more (a director the seed gives none runs its VIP's).
        const labels = (configs: AgentConfig[]) => [...new Set(configs.flatMap((c) => [...services(c).keys()]))].sort();
        assert.deepEqual(labels([...planned.values()]), labels(wanted), `seed ${seed.name}: virtual servers`);
        assert.ok(labels(wanted).length > 0, `seed ${seed.name} balances something`);

        const seedServices = new Map(
          wanted.flatMap((c) => Object.values(c.virtualServers)).map((vs) => [serviceLabel(vs), vs]),
        );
        await checkPreparation(seed, cluster, [...seedServices.values()]);
        assert.equal(
          await pulumi.isSecret(Object.values(cluster.vips)[0]!.directors),
          true,
          "the SSH key stays secret",
        );
      },
    );
  }
});
