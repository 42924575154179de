// The examples as users run them, through the real Pulumi CLI on lab hosts (`lvsctl lab up --hosts-only`):
// each example's index.ts in a project of its own outside the repository, with the packaged SDK and
// plugin, SSH from the provider's `lvs:` config and the hosts from the stack's config.
// - examples/dr-cluster: `pulumi up`, then VRRP has one master, both real servers are up and the client
//   is answered through the VIP; a second preview shows no change; `pulumi destroy`.
// - examples/nat-cluster: `pulumi preview` only (the lab is one flat subnet: NAT needs the real servers
//   to route back through the director).
// - then, on the same hosts, dr-cluster through provider and engine faults (faults-scenario.ts).
// (examples/multi-site runs in test/engine/rollout.test.ts.)
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { assertDownLeftNothing, labSkip as skip, lvsctl as lab } from "./lab-cli.ts";
import { UserProject } from "./user-project.ts";
import { faultsScenario } from "./faults-scenario.ts";
import { ssh } from "../../lvsctl/src/lab/access.ts";
import { labDir, readRecord } from "../../lvsctl/src/lab/record.ts";
import { byRole, topology, type LabHost, type Topology } from "../../lvsctl/src/lab/topology.ts";
import { AGENT } from "../../lvsctl/src/lab/observe.ts";
import { waitFor } from "../helpers/netns.ts";

const NAME = `x${process.pid % 1_000_000}`;
const example = (name: string) => readFileSync(new URL(`../../examples/${name}/index.ts`, import.meta.url), "utf8");

interface Status {
  instances: { name: string; state: string }[];
  virtualServers?: { name: string; dests: { address: string; health: string }[] }[];
}

let t: Topology;
let user: UserProject | undefined;

before(() => {
  if (skip) return;
  const made = lab(NAME, "up", "--hosts-only");
  assert.equal(made.code, 0, made.err);
  const rec = readRecord(NAME)!;
  t = topology(rec.options, rec.slot);
  user = UserProject.create(NAME);
  const setList = (key: string, values: string[]) =>
    values.forEach((v, i) => user!.must("config", "set", "--path", `${key}[${i}]`, v));
  setList(
    "directors",
    byRole(t, "director").map((h) => h.address),
  );
  setList(
    "realServers",
    byRole(t, "realServer").map((h) => h.address),
  );
  user.must("config", "set", "vip", t.vip);
});

after(() => {
  if (skip) return;
  user?.remove();
  assertDownLeftNothing(NAME);
});

/** The dr-cluster deployed works: one VRRP master, both real servers up, the client answered through the VIP. */
async function drClusterServes(): Promise<void> {
  const status = (h: LabHost) => JSON.parse(ssh(t, labDir(NAME), h, `${AGENT} status --json`).stdout || "{}") as Status;
  await waitFor(
    () => {
      const all = byRole(t, "director").map(status);
      const masters = all.filter((s) => s.instances?.[0]?.state === "MASTER").length;
      const dests = all.flatMap((s) => s.virtualServers?.[0]?.dests ?? []).filter((d) => d.health === "up");
      return masters === 1 && dests.length >= 2;
    },
    60_000,
    "one master and both real servers up",
  );
  const client = byRole(t, "client")[0]!;
  const answer = fetchIn(client.ns, `http://${t.vip}/`);
  assert.match(answer, /rs\d/, "the client is answered by a real server through the VIP");
}

test("examples/dr-cluster deploys on lab hosts from a project of its own, and is destroyed", { skip }, async () => {
  writeFileSync(join(user!.dir, "index.ts"), example("dr-cluster"));
  assert.equal(user!.typecheck("index.ts").code, 0, user!.typecheck("index.ts").out);
  const up = user!.must("up", "--yes", "--skip-preview");
  assert.match(up, /lvs:index:VirtualServer +dr-http +created/);
  assert.match(up, /\+ 8 created/);
  await drClusterServes();
  assert.equal(user!.pulumi("preview", "--expect-no-changes").code, 0, "no change after up");
  user!.must("destroy", "--yes", "--skip-preview");
});

test("examples/nat-cluster previews on the same hosts", { skip }, () => {
  const u = user!;
  u.must("config", "set", "gateway", `${t.net}.250/24`);
  u.must("config", "set", "sorryServer", `${t.net}.99`);
  u.must("config", "set", "insideInterface", "eth0");
  writeFileSync(join(u.dir, "index.ts"), example("nat-cluster"));
  assert.equal(u.typecheck("index.ts").code, 0);
  const preview = u.must("preview");
  assert.match(preview, /\+ +lvs:index:VirtualServer +nat-http +create/);
  assert.match(preview, /\+ +lvs:index:Vip +nat-gateway +create/);
  assert.match(preview, /\+ 9 to create/);
});

test(
  "dr-cluster through faults: pulumi killed mid-upload, a director vanishing mid-apply, destroy with a host gone",
  { skip, timeout: 1_200_000 },
  async (ctx) => {
    writeFileSync(join(user!.dir, "index.ts"), example("dr-cluster"));
    await faultsScenario(NAME, t, user!, drClusterServes, (line) => ctx.diagnostic(line));
  },
);

/** An HTTP GET from inside a namespace (node's fetch), its body. */
function fetchIn(ns: string, url: string): string {
  const script = `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(5000) }).then((r) => r.text()).then(console.log)`;
  return spawnSync("ip", ["netns", "exec", ns, process.execPath, "-e", script], { encoding: "utf8" }).stdout;
}
