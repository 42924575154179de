// Inside user-mode Linux (real IPVS; run by virtual-server.test.ts through test/uml/run.ts): an
// lvs.VirtualServer created, read, updated and deleted through the real plugin (in lab host `control`,
// over gRPC) on director `d1` (Debian's sshd, the real agent), with ipvsadm in d1's namespace as the
// oracle. Read's live table (destinations, weights, health) must match what the kernel holds.
// rs1 answers TCP on port 80, rs2 does not: with inhibitOnFailure the agent keeps rs2 at weight 0.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Lab, waitFor } from "../helpers/netns.ts";
import { startSshd, type Sshd } from "../helpers/sshd.ts";
import { ipvsadm, startAgent, type UmlAgent } from "../ipvs/helpers/agent.ts";
import { ResourceClient } from "./helpers/directors.ts";
import { Plugin, secret } from "./helpers/plugin.ts";

type Obj = Record<string, unknown>;
type Destination = { address: string; port: number; weight: number; health: string };
const NET = "10.33.0";
const VIP = `${NET}.100`;
const RS1 = `${NET}.21`;
const RS2 = `${NET}.22`;

let lab: Lab;
let sshd: Sshd;
let agent: UmlAgent;
let plugin: Plugin;
let vs: ResourceClient;

before(async () => {
  lab = Lab.create([
    { name: "control", addr: `${NET}.2/24` },
    { name: "d1", addr: `${NET}.11/24` },
    { name: "rs1", addr: `${RS1}/24` },
    { name: "rs2", addr: `${RS2}/24` },
  ]);
  lab
    .host("rs1")
    .spawn(process.execPath, ["-e", `require("node:net").createServer((s) => s.end()).listen(80, "${RS1}")`]);
  [sshd, agent] = await Promise.all([startSshd(lab.host("d1")), startAgent(lab.host("d1"), {})]);
  await agent.ready();
  plugin = await Plugin.start(120_000, { host: lab.host("control") });
  vs = new ResourceClient(plugin, "VirtualServer", "web");
});

after(async () => {
  await plugin?.stop();
  await sshd?.stop();
  await agent?.stop();
  agent?.cleanup();
  lab?.destroy();
});

const check = { type: "tcp", interval: 0.5, retries: 0, connectTimeout: 1 };
const inputs = (weight = 3): Obj => ({
  directors: [
    {
      host: sshd.address,
      privateKey: secret(sshd.clientKey.privateKey),
      hostKey: sshd.hostKeyFingerprint,
      configDir: agent.confDir,
      agentCommand: `${process.execPath} ${agent.bundle}`,
      statusSocket: agent.socket,
    },
  ],
  address: VIP,
  port: 80,
  scheduler: "wrr",
  inhibitOnFailure: true,
  realServers: [
    { address: RS1, weight, healthCheck: check },
    { address: RS2, weight: 1, healthCheck: check },
  ],
});

/** ipvsadm -Ln's real servers of the service: address:port -> weight. */
function kernelTable(): Record<string, number> {
  const out = ipvsadm(lab.host("d1"), "-Ln", "-t", `${VIP}:80`);
  return Object.fromEntries(
    [...out.matchAll(/->\s+(\d+\.\d+\.\d+\.\d+:\d+)\s+\S+\s+(\d+)/g)].map((m) => [m[1]!, Number(m[2])]),
  );
}

const destinations = (props: Obj): Destination[] =>
  (props.directorStatus as Array<{ destinations?: Destination[] }>)[0]?.destinations ?? [];
const asTable = (ds: Destination[]) => Object.fromEntries(ds.map((d) => [`${d.address}:${d.port}`, d.weight]));

let state: Obj = {};

test("create programs the service; read's live table is the kernel's, with each real server's health", async () => {
  const news = await vs.check(inputs());
  state = (await vs.create(news)).outs;
  await waitFor(
    async () => {
      const dests = (await agent.status()).virtualServers?.find((v) => v.name === "web")?.dests ?? [];
      return dests.length === 2 && dests.every((d) => d.health !== "unknown");
    },
    20_000,
    "both real servers checked",
  );
  const live = (await vs.read("vs-web", state)).props;
  const seen = destinations(live).map((d) => [d.address, d.weight, d.health]);
  assert.deepEqual(seen.sort(), [
    [RS1, 3, "up"],
    [RS2, 0, "down"],
  ]);
  assert.deepEqual(asTable(destinations(live)), kernelTable());
  assert.equal((await vs.diff(live, news)).changes, "none");
  state = live;
});

test("update a weight: the kernel and the live table follow", async () => {
  const news = await vs.check(inputs(5));
  state = await vs.update("vs-web", state, news);
  assert.equal(kernelTable()[`${RS1}:80`], 5, "applied when the update returns");
  const r = await vs.read("vs-web", state);
  assert.deepEqual(asTable(destinations(r.props)), kernelTable());
  state = r.props;
});

test("delete removes the service from the kernel", async () => {
  await vs.delete("vs-web", state);
  assert.equal(ipvsadm(lab.host("d1"), "-Ln").includes(`${VIP}:80`), false, "gone when the delete returns");
  assert.equal((await vs.read("vs-web", state)).id, "");
});
