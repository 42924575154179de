// Agents frozen with SIGSTOP/SIGCONT on a real kernel: a pause (GC, starved CPU, hung VM) must never turn
// into an outage. A frozen backup finds the master's adverts queued when it wakes and must read them
// before acting on its expired Master_Down timer; a frozen master that lost the VIP for real must win it
// back at once, with gratuitous ARP, so the client does not stay on the backup's MAC.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { AgentConfigInput } from "../../agent/src/config/schema.ts";
import { Lab, waitFor } from "../helpers/netns.ts";
import { freeze, startAgent, type Peer } from "../helpers/agent.ts";
import { parseReply, startEcho, startProber, type Reply } from "../helpers/probe.ts";
import type { Watched } from "../helpers/procs.ts";
import { scrape } from "../agent/fixtures/ops.ts";

const VIP = "10.63.0.100";
/** 0.1 s adverts: Master_Down_Interval is 361 ms at priority 100 (RFC 5798 6.1). */
const ADVERT = 0.1;
const MASTER_DOWN_MS = 361;

function config(priority: number): AgentConfigInput {
  return {
    instances: {
      VI_1: {
        interface: "eth0",
        vrid: 63,
        priority,
        version: 3,
        advertInterval: ADVERT,
        virtualAddresses: [{ address: `${VIP}/24` }],
      },
    },
  };
}

function transitionsTo(p: Peer, to: string): number {
  return p.lines.filter((l) => l.text.includes('"vrrp.transition"') && l.text.includes(`"to":"${to}"`)).length;
}

function replies(w: Watched, from = 0): Reply[] {
  return w.lines
    .slice(from)
    .map(parseReply)
    .filter((r): r is Reply => r !== undefined);
}

function setUp() {
  const lab = Lab.create([
    { name: "d1", addr: "10.63.0.11/24" },
    { name: "d2", addr: "10.63.0.12/24" },
    { name: "client", addr: "10.63.0.50/24" },
  ]);
  return { lab, d1: lab.host("d1"), d2: lab.host("d2"), client: lab.host("client") };
}

async function startCluster(t: ReturnType<typeof setUp>): Promise<{ master: Peer; backup: Peer }> {
  const master = startAgent(t.d1, config(150));
  await master.waitState("VI_1", "MASTER", 10_000);
  const backup = startAgent(t.d2, config(100));
  await backup.waitState("VI_1", "BACKUP", 10_000);
  await startEcho(t.d1);
  await startEcho(t.d2);
  return { master, backup };
}

describe("agents frozen with SIGSTOP/SIGCONT", { timeout: 180_000 }, () => {
  test("a backup frozen for 50 ms to 1 s while the master advertises never takes over", async () => {
    const t = setUp();
    try {
      const { master, backup } = await startCluster(t);
      const prober = await startProber(t.client, VIP, 10);
      for (const ms of [50, 100, 200, 500, 1000]) {
        await freeze(backup, ms);
        // Long enough for a takeover to show: the woken backup's timer is long past due.
        await new Promise((r) => setTimeout(r, 3 * MASTER_DOWN_MS));
        assert.equal(
          transitionsTo(backup, "MASTER"),
          0,
          `the backup took over after a ${ms} ms freeze:\n${backup.lines
            .slice(-5)
            .map((l) => l.text)
            .join("\n")}`,
        );
      }
      assert.equal(
        transitionsTo(master, "BACKUP"),
        1,
        "the master never stepped down (its one BACKUP was at start-up)",
      );
      assert.ok(!t.d2.hasAddr(VIP), "the backup holds no VIP");
      const rs = replies(prober.proc);
      assert.ok(rs.length > 100, `the client got ${rs.length} replies`);
      assert.deepEqual([...new Set(rs.map((r) => r.from))], ["d1"], "every reply came from the master");
    } finally {
      t.lab.destroy();
    }
  });

  test("a master frozen past Master_Down_Interval takes the VIP back at once, and the client follows its gratuitous ARP", async (tc) => {
    const t = setUp();
    try {
      const { master, backup } = await startCluster(t);
      const prober = await startProber(t.client, VIP, 10);
      const before = (await scrape(t.d1)).get("lvs_vrrp_master_reasserts_total", { instance: "VI_1" }) ?? 0;
      const from = prober.proc.lines.length;
      // Frozen for 1 s, the master misses its adverts: the backup takes over (a real takeover, correct)
      // and the client moves to it. The woken master reads the backup's lower-priority adverts.
      const freezeStarted = backup.lines.length;
      const resumedAt = await freeze(master, 1000);
      await backup.waitState("VI_1", "MASTER", 5000, freezeStarted);
      await backup.waitState("VI_1", "BACKUP", 5000, freezeStarted);
      const back = await prober.firstReplyFrom("d1", resumedAt, 10_000);
      tc.diagnostic(
        `the client's first reply from d1 came ${(back.t - resumedAt).toFixed(0)} ms after the master woke`,
      );
      // Without gratuitous ARP the client keeps d2's MAC until its neighbour entry fails: 2.2 s when
      // measured before the fix, 4-11 ms after it.
      assert.ok(
        back.t - resumedAt < 1000,
        `the client came back to d1 ${(back.t - resumedAt).toFixed(0)} ms after the master woke`,
      );
      await waitFor(() => !t.d2.hasAddr(VIP), 3000, "the VIP off d2");
      assert.ok(t.d1.hasAddr(VIP), "the VIP on d1");
      assert.equal(
        transitionsTo(master, "BACKUP"),
        1,
        "the higher-priority master never stepped down (its one BACKUP was at start-up)",
      );
      const after = (await scrape(t.d1)).get("lvs_vrrp_master_reasserts_total", { instance: "VI_1" }) ?? 0;
      assert.ok(after > before, `reasserts ${before} -> ${after}`);
      assert.ok(
        master.lines.some((l) => l.text.includes('"vrrp.reassert"')),
        "the reassert is logged",
      );
      const late = replies(prober.proc, from).filter((r) => r.t > back.t);
      assert.ok(late.length > 0 && late.every((r) => r.from === "d1"), "after that, only d1 answers");
    } finally {
      t.lab.destroy();
    }
  });
});
