// vrrp_sync_group on a real kernel, lvs-agent beside Debian's keepalived 2.2.7 as the reference: d1
// runs the group (VI_1 and VI_2) at priority 100, d2 an agent with VI_1 alone at 200. Each kind on d1
// must keep VI_2 BACKUP while VI_1 hears d2 (VI_2 hears no master at all: alone it would go MASTER and
// split the group across directors), take both over together when d2 crashes, go to FAULT together
// when VI_1's tracked interface goes down (and back), and hand both back when d2 returns and preempts
// VI_1 (VI_2 follows its sibling to BACKUP).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { VrrpInstance, type AgentConfigInput } from "../../agent/src/config/schema.ts";
import { Lab, isRoot, waitFor, type Host } from "../helpers/netns.ts";
import { crash, keepalivedConf, saysState, startAgent, startKeepalived, type Peer } from "../helpers/agent.ts";
import { agentPaths, lvsAgent } from "../agent/fixtures/ops.ts";

const NET = "10.79.0";
const VIP1 = `${NET}.101`;
const VIP2 = `${NET}.102`;
const ADVERT_S = 0.5;
/** Master_Down_Interval at priority 100 (3 adverts and Skew_Time), in ms */
const MDI_MS = 3 * ADVERT_S * 1000 + ((256 - 100) / 256) * ADVERT_S * 1000;
const WAIT_MS = 20_000;

const instance = (vrid: number, priority: number, vip: string) => ({
  interface: "eth0",
  vrid,
  priority,
  version: 3 as const,
  advertInterval: ADVERT_S,
  virtualAddresses: [{ address: `${vip}/24` }],
});

/** VI_1 also tracks d1's trk0 (no weight): trk0 down puts VI_1 in FAULT, and the group with it. */
const GROUP: AgentConfigInput = {
  instances: {
    VI_1: { ...instance(71, 100, VIP1), trackInterfaces: [{ name: "trk0" }] },
    VI_2: instance(72, 100, VIP2),
  },
  syncGroups: { G: { instances: ["VI_1", "VI_2"] } },
};

/** The same group as keepalived.conf (keepalivedConf speaks instances; the group block is added). */
function groupConf(): string {
  const parsed = { VI_1: VrrpInstance.parse(GROUP.instances!.VI_1), VI_2: VrrpInstance.parse(GROUP.instances!.VI_2) };
  return `${keepalivedConf(parsed, 3)}vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n}\n`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hasKeepalived = !spawnSync("keepalived", ["--version"]).error;

interface Scene {
  lab: Lab;
  d1: Host;
  d2: Host;
  /** every process started, crashed at the end */
  peers: Peer[];
  /** d2's agent, MASTER of VI_1 at 200 */
  other: Peer;
}

/** d1 and d2 on one segment, d2 MASTER of VI_1 at 200; fn runs d1's part; everything is gone after. */
async function withD2Master(fn: (s: Scene) => Promise<void>): Promise<void> {
  const lab = Lab.create([
    { name: "d1", addr: `${NET}.11/24` },
    { name: "d2", addr: `${NET}.12/24` },
  ]);
  const peers: Peer[] = [];
  try {
    const [d1, d2] = [lab.host("d1"), lab.host("d2")];
    const other = startAgent(d2, { instances: { VI_1: instance(71, 200, VIP1) } });
    peers.push(other);
    await other.waitState("VI_1", "MASTER", WAIT_MS);
    await fn({ lab, d1, d2, peers, other });
  } finally {
    for (const p of peers) crash(p);
    lab.destroy();
  }
}

for (const kind of ["agent", "keepalived"] as const) {
  test(
    `${kind} runs a sync group: BACKUP together while one member hears a master, MASTER together, FAULT together, back together`,
    { skip: !isRoot ? "needs root" : kind === "keepalived" && !hasKeepalived ? "keepalived not installed" : false },
    () =>
      withD2Master(async ({ d1, d2, peers, other }) => {
        // A veth pair of d1's own (this kernel has no dummy driver): trk0 is the tracked interface.
        d1.exec("ip", ["link", "add", "trk0", "type", "veth", "peer", "name", "trk1"]);
        for (const dev of ["trk0", "trk1"]) d1.exec("ip", ["link", "set", dev, "up"]);
        const group = kind === "agent" ? startAgent(d1, GROUP) : startKeepalived(d1, groupConf());
        peers.push(group);
        await Promise.all(["VI_1", "VI_2"].map((n) => group.waitState(n, "BACKUP", WAIT_MS)));
        const masterOf = (name: string, from = 0) =>
          group.lines.slice(from).find((l) => saysState(kind, name, "MASTER", l));

        // VI_2's Master_Down_Timer fires (no router runs VRID 72), yet it stays BACKUP: VI_1 hears d2.
        // The agent says so; keepalived does not, so it gets several intervals.
        if (kind === "agent") {
          await group.waitLine((l) => l.text.includes("wants MASTER, waits for its siblings"), WAIT_MS, "VI_2 waits");
          const status = await lvsAgent(d1, ["status", "--socket", agentPaths(d1).socket]);
          assert.match(
            status.stdout,
            /VI_2: BACKUP .*\n {2}wants MASTER \(no advertisement .*\): waits for its sync group/,
          );
        }
        await sleep(3 * MDI_MS);
        assert.equal(
          masterOf("VI_2"),
          undefined,
          `VI_2 went MASTER alone:\n${group.lines
            .slice(-15)
            .map((l) => l.text)
            .join("\n")}`,
        );
        assert.ok(!d1.hasAddr(VIP2), "d1 holds VI_2's address while its group is BACKUP");

        // d2 crashes: VI_1 wants MASTER too, and the group goes MASTER together.
        const crashedAt = group.lines.length;
        crash(other);
        await Promise.all(["VI_1", "VI_2"].map((n) => group.waitState(n, "MASTER", WAIT_MS, crashedAt)));
        await waitFor(() => d1.hasAddr(VIP1) && d1.hasAddr(VIP2), WAIT_MS, "d1 holds both addresses");
        if (kind === "agent")
          assert.match(masterOf("VI_2", crashedAt)!.text, /sync group G: every member wants MASTER/);

        // VI_1's tracked interface goes down: VI_1 in FAULT, and VI_2 with it; back up, both MASTER again.
        const downAt = group.lines.length;
        d1.linkSet("down", "trk0");
        await Promise.all(["VI_1", "VI_2"].map((n) => group.waitState(n, "FAULT", WAIT_MS, downAt)));
        await waitFor(() => !d1.hasAddr(VIP1) && !d1.hasAddr(VIP2), WAIT_MS, "d1 gives both addresses up in FAULT");
        const upAt = group.lines.length;
        d1.linkSet("up", "trk0");
        await Promise.all(["VI_1", "VI_2"].map((n) => group.waitState(n, "MASTER", WAIT_MS, upAt)));

        // d2 returns at 200 and preempts VI_1; VI_2 follows its sibling back to BACKUP.
        const backAt = group.lines.length;
        const again = startAgent(d2, { instances: { VI_1: instance(71, 200, VIP1) } });
        peers.push(again);
        await again.waitState("VI_1", "MASTER", WAIT_MS);
        await Promise.all(["VI_1", "VI_2"].map((n) => group.waitState(n, "BACKUP", WAIT_MS, backAt)));
        await waitFor(() => !d1.hasAddr(VIP1) && !d1.hasAddr(VIP2), WAIT_MS, "d1 gives both addresses up");
      }),
  );
}

test(
  "agent: a reload that takes the holdout out of the group lets the waiting member go MASTER",
  { skip: !isRoot && "needs root" },
  () =>
    withD2Master(async ({ d1, peers }) => {
      const plain = { instances: { VI_1: instance(71, 100, VIP1), VI_2: instance(72, 100, VIP2) } };
      const group = startAgent(d1, { ...plain, syncGroups: { G: { instances: ["VI_1", "VI_2"] } } });
      peers.push(group);
      await group.waitLine((l) => l.text.includes("wants MASTER, waits for its siblings"), WAIT_MS, "VI_2 waits");
      // The operator takes VI_1 out of the group (conf.d edited, SIGHUP): VI_2, alone in G, goes MASTER.
      const from = group.lines.length;
      const { confDir, socket } = agentPaths(d1);
      const edited = { ...plain, syncGroups: { G: { instances: ["VI_2"] } }, global: { statusSocket: socket } };
      writeFileSync(join(confDir, "00-test.json"), JSON.stringify(edited));
      group.signal("SIGHUP");
      await group.waitState("VI_2", "MASTER", WAIT_MS, from);
      await waitFor(() => d1.hasAddr(VIP2), WAIT_MS, "d1 holds VI_2's address");
      assert.ok(!d1.hasAddr(VIP1), "VI_1 still hears d2 and stays BACKUP");
    }),
);
