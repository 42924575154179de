// Drift: hand edits of the real IPVS table (ipvsadm -D, -d, -e, -E, -C) are repaired by the running agent
// and logged as "ipvs.drift" with exactly the writes that undid them; a service the agent does not own
// (added by hand with ipvsadm -A) is left alone. Inside user-mode Linux, in a lab namespace of its own.
//
// No step races the agent. The edits are made while the periodic pass is an hour away, so the test sees
// each edit in the table, then asks for the repair with `lvs-agent reload` (a reload reconciles against
// the kernel, unlike keepalived's, which only diffs its last config). Then a reload shortens the period
// to 1 s, and a weight edit, which any pass sees whole or not at all, is repaired by the timer alone.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentConfigInput } from "../../agent/src/config/schema.ts";
import { Lab, type Host } from "../helpers/netns.ts";
import { nowMs } from "../helpers/procs.ts";
import { ipvsadm, sleep, startAgent, type UmlAgent } from "./helpers/agent.ts";

const NET = "10.35.0";
const VIP = `${NET}.100`;
const RS1 = `${NET}.21`;
const RS2 = `${NET}.22`;
const HOUR_S = 3600;
const PERIOD_S = 1;
/** Generous: what the test shows is that the timer repairs; the time taken is printed. */
const TIMER_REPAIR_LIMIT_MS = 30_000;
const sorted = (ops: unknown) => [...(ops as string[])].sort();

describe("drift: hand edits are repaired", () => {
  let lab: Lab;
  let d1: Host;
  let agent: UmlAgent;
  let baseline: string;
  /** the agent's log after its first pass (which wrote the table and is logged as a config update) */
  let afterStart: number;
  before(async () => {
    lab = Lab.create([{ name: "d1", addr: `${NET}.11/24` }]);
    d1 = lab.host("d1");
    agent = await startAgent(d1, {
      global: { ipvsReconcileInterval: HOUR_S },
      virtualServers: {
        web: {
          address: VIP,
          port: 80,
          scheduler: "wrr",
          realServers: [
            { address: RS1, weight: 1 },
            { address: RS2, weight: 2 },
          ],
        },
        dns: { address: VIP, port: 53, protocol: "UDP", scheduler: "rr", realServers: [{ address: RS1 }] },
      },
    });
    await agent.ready(); // "agent.start" follows the first pass in the log: its lines are all in
    afterStart = agent.lines.length;
    baseline = ipvsadm(d1, "-Ln");
    assert.match(baseline, new RegExp(`TCP  ${VIP}:80 wrr\n.*${RS1}:80 .*\n.*${RS2}:80 +Route +2 `));
  });
  after(async () => {
    await agent?.stop().catch(() => undefined);
    agent?.cleanup();
    lab?.destroy();
  });

  /** The drift record whose writes are exactly expectedOps, however late its line arrives. */
  const driftRecord = (expectedOps: string[], limitMs: number, from: number) =>
    agent.waitEvent(
      "ipvs.drift",
      limitMs,
      (r) => JSON.stringify(sorted(r.ops)) === JSON.stringify(sorted(expectedOps)),
      from,
    );

  /** Starts from the known table, edits it by hand, sees the edit, has a reload repair it. */
  async function repaired(edit: string[], expectedOps: string[]): Promise<void> {
    assert.equal(ipvsadm(d1, "-Ln"), baseline, "each case starts from the configured table");
    const from = agent.lines.length;
    ipvsadm(d1, ...edit);
    assert.notEqual(ipvsadm(d1, "-Ln"), baseline, `ipvsadm ${edit.join(" ")} changed the table`);
    const r = await agent.cli("reload");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(ipvsadm(d1, "-Ln"), baseline, "the reload's pass put the table back");
    const rec = JSON.parse((await driftRecord(expectedOps, 10_000, from)).text) as { level: string };
    assert.equal(rec.level, "warn");
    assert.deepEqual(
      agent.events("ipvs.reconcile", afterStart),
      [],
      "repairs are logged as drift, never as config updates",
    );
  }

  test("ipvsadm -D (a whole service)", async () => {
    await repaired(
      ["-D", "-t", `${VIP}:80`],
      [
        `addService tcp ${VIP}:80 wrr`,
        `addDest tcp ${VIP}:80 -> ${RS1}:80 dr w1`,
        `addDest tcp ${VIP}:80 -> ${RS2}:80 dr w2`,
      ],
    );
  });

  test("ipvsadm -d (one real server)", async () => {
    await repaired(["-d", "-t", `${VIP}:80`, "-r", `${RS2}:80`], [`addDest tcp ${VIP}:80 -> ${RS2}:80 dr w2`]);
  });

  test("ipvsadm -e (a weight)", async () => {
    await repaired(
      ["-e", "-t", `${VIP}:80`, "-r", `${RS2}:80`, "-g", "-w", "9"],
      [`editDest tcp ${VIP}:80 -> ${RS2}:80 dr w2`],
    );
  });

  test("ipvsadm -E (a scheduler)", async () => {
    await repaired(["-E", "-t", `${VIP}:80`, "-s", "rr"], [`editService tcp ${VIP}:80 wrr`]);
  });

  test("ipvsadm -C (everything)", async () => {
    await repaired(
      ["-C"],
      [
        `addService tcp ${VIP}:80 wrr`,
        `addDest tcp ${VIP}:80 -> ${RS1}:80 dr w1`,
        `addDest tcp ${VIP}:80 -> ${RS2}:80 dr w2`,
        `addService udp ${VIP}:53 rr`,
        `addDest udp ${VIP}:53 -> ${RS1}:53 dr w1`,
      ],
    );
  });

  test("a reload to a 1 s period: the timer alone repairs a weight edited by hand", async () => {
    const base = JSON.parse(readFileSync(join(agent.confDir, "00-base.json"), "utf8")) as AgentConfigInput;
    agent.fragment("00-base.json", { ...base, global: { ...base.global, ipvsReconcileInterval: PERIOD_S } });
    const r = await agent.cli("reload");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(ipvsadm(d1, "-Ln"), baseline);
    const from = agent.lines.length;
    const t0 = nowMs();
    ipvsadm(d1, "-e", "-t", `${VIP}:80`, "-r", `${RS1}:80`, "-g", "-w", "7");
    const line = await driftRecord([`editDest tcp ${VIP}:80 -> ${RS1}:80 dr w1`], TIMER_REPAIR_LIMIT_MS, from);
    assert.equal(ipvsadm(d1, "-Ln"), baseline);
    process.stdout.write(`# ipvsadm -e repaired by the ${PERIOD_S} s timer in ${Math.round(line.t - t0)} ms\n`);
  });

  test("a service added by hand with ipvsadm -A is left alone, through a reload and several periods", async () => {
    const from = agent.lines.length;
    ipvsadm(d1, "-A", "-t", `${NET}.200:443`, "-s", "wlc");
    ipvsadm(d1, "-a", "-t", `${NET}.200:443`, "-r", `${RS1}:443`, "-g", "-w", "3");
    assert.equal((await agent.cli("reload")).code, 0);
    await sleep(PERIOD_S * 3000 + 500);
    const listing = ipvsadm(d1, "-Ln");
    assert.match(listing, new RegExp(`TCP  ${NET}.200:443 wlc\n  -> ${RS1}:443 +Route +3 `));
    assert.equal(
      listing.replace(new RegExp(`TCP  ${NET}.200:443 wlc\n.*\n`), ""),
      baseline,
      "our services unchanged beside it",
    );
    assert.deepEqual(agent.events("ipvs.drift", from), []);
    assert.deepEqual(agent.events("ipvs.reconcile", afterStart), []);
  });
});
