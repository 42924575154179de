// Drift: hand edits of the real IPVS table (ipvsadm -D, -d, -e, -C) are repaired by the running agent
// within one reconcile period and logged as "ipvs.drift"; a service the agent does not own (added by
// hand with ipvsadm -A) is left alone. Inside user-mode Linux, in a lab namespace of its own.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Lab, type Host } from "../helpers/netns.ts";
import { nowMs } from "../helpers/procs.ts";
import { ipvsadm, sleep, startAgent, type UmlAgent } from "./helpers/agent.ts";

const NET = "10.35.0";
const VIP = `${NET}.100`;
const RS1 = `${NET}.21`;
const RS2 = `${NET}.22`;
const PERIOD_S = 1;
/** one period, plus a pass and log delivery on UML's slow CPU */
const REPAIR_BUDGET_MS = PERIOD_S * 1000 + 1500;

describe("drift: hand edits are repaired within one period", () => {
  let lab: Lab;
  let d1: Host;
  let agent: UmlAgent;
  let baseline: string;
  before(async () => {
    lab = Lab.create([{ name: "d1", addr: `${NET}.11/24` }]);
    d1 = lab.host("d1");
    agent = await startAgent(d1, {
      global: { ipvsReconcileInterval: PERIOD_S },
      virtualServers: {
        web: { address: VIP, port: 80, scheduler: "wrr", realServers: [{ address: RS1, weight: 1 }, { address: RS2, weight: 2 }] },
        dns: { address: VIP, port: 53, protocol: "UDP", scheduler: "rr", realServers: [{ address: RS1 }] },
      },
    });
    await agent.ready();
    baseline = ipvsadm(d1, "-Ln");
    assert.match(baseline, new RegExp(`TCP  ${VIP}:80 wrr\n.*${RS1}:80 .*\n.*${RS2}:80 +Route +2 `));
  });
  after(async () => {
    await agent?.stop().catch(() => undefined);
    agent?.cleanup();
    lab?.destroy();
  });

  /** Edit by hand, then wait for the agent's repair: logged as drift with these operations, table as before. */
  async function repaired(edit: string[], expectedOps: string[]): Promise<number> {
    const from = agent.lines.length;
    const t0 = nowMs();
    ipvsadm(d1, ...edit);
    assert.notEqual(ipvsadm(d1, "-Ln"), baseline, `ipvsadm ${edit.join(" ")} changed nothing`);
    const line = await agent.waitEvent("ipvs.drift", REPAIR_BUDGET_MS, () => true, from);
    const ms = Math.round(line.t - t0);
    const rec = JSON.parse(line.text) as { ops: string[]; level: string };
    assert.deepEqual([...rec.ops].sort(), [...expectedOps].sort());
    assert.equal(rec.level, "warn");
    assert.equal(ipvsadm(d1, "-Ln"), baseline);
    assert.equal(agent.events("ipvs.reconcile", from).length, 0, "repairs are logged as drift, not as config updates");
    process.stdout.write(`# ipvsadm ${edit.join(" ")}: repaired in ${ms} ms\n`);
    return ms;
  }

  test("ipvsadm -D (a whole service)", async () => {
    await repaired(["-D", "-t", `${VIP}:80`], [`addService tcp ${VIP}:80 wrr`, `addDest tcp ${VIP}:80 -> ${RS1}:80 dr w1`, `addDest tcp ${VIP}:80 -> ${RS2}:80 dr w2`]);
  });

  test("ipvsadm -d (one real server)", async () => {
    await repaired(["-d", "-t", `${VIP}:80`, "-r", `${RS2}:80`], [`addDest tcp ${VIP}:80 -> ${RS2}:80 dr w2`]);
  });

  test("ipvsadm -e (a weight)", async () => {
    await repaired(["-e", "-t", `${VIP}:80`, "-r", `${RS2}:80`, "-g", "-w", "9"], [`editDest tcp ${VIP}:80 -> ${RS2}:80 dr w2`]);
  });

  test("ipvsadm -E (a scheduler)", async () => {
    await repaired(["-E", "-t", `${VIP}:80`, "-s", "rr"], [`editService tcp ${VIP}:80 wrr`]);
  });

  test("ipvsadm -C (everything)", async () => {
    await repaired(["-C"], [
      `addService tcp ${VIP}:80 wrr`,
      `addDest tcp ${VIP}:80 -> ${RS1}:80 dr w1`,
      `addDest tcp ${VIP}:80 -> ${RS2}:80 dr w2`,
      `addService udp ${VIP}:53 rr`,
      `addDest udp ${VIP}:53 -> ${RS1}:53 dr w1`,
    ]);
  });

  test("a service added by hand with ipvsadm -A is left alone, through several periods", async () => {
    const from = agent.lines.length;
    ipvsadm(d1, "-A", "-t", `${NET}.200:443`, "-s", "wlc");
    ipvsadm(d1, "-a", "-t", `${NET}.200:443`, "-r", `${RS1}:443`, "-g", "-w", "3");
    await sleep(PERIOD_S * 3000 + 500);
    const listing = ipvsadm(d1, "-Ln");
    assert.ok(listing.startsWith(baseline.trimEnd().split("\n").slice(0, 3).join("\n")));
    assert.match(listing, new RegExp(`TCP  ${NET}.200:443 wlc\n  -> ${RS1}:443 +Route +3 `));
    assert.equal(listing.replace(new RegExp(`TCP  ${NET}.200:443 wlc\n.*\n`), ""), baseline, "our services unchanged beside it");
    assert.deepEqual(agent.events("ipvs.drift", from), []);
    assert.deepEqual(agent.events("ipvs.reconcile", from), []);
  });
});
