// Well-formed adverts from a stranger on the link (issue 13): adverts for a VRID no instance runs, and a
// priority-250 advert for a unicast instance's VRID from a host that is not one of its peers. The
// malformed kinds (TTL below 255, bad checksum, wrong auth, ...) are wire.test.ts's. Each advert here is
// dropped and counted exactly once, and no instance on either director changes state.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Lab, isRoot, waitFor } from "../helpers/netns.ts";
import { REPO, startAgent } from "../helpers/agent.ts";
import type { AgentConfigInput } from "../../agent/src/config/schema.ts";
import type { SendPlan, SendReport } from "./fixtures/sender.ts";
import { execIn, scrape, transitions, type Metrics } from "./fixtures/ops.ts";

const SENDER = join(REPO, "test/agent/fixtures/sender.ts");
const NET = "10.76.0";
const M = { vrid: 40, vip: `${NET}.140` };
const U = { vrid: 41, vip: `${NET}.141` };
const FOREIGN_VRID = 99;
const N = 30;

/** A multicast instance and a unicast one on eth0, as director `self` with peer `other`. */
const config = (priority: number, self: string, other: string): AgentConfigInput => ({
  instances: {
    VI_M: {
      interface: "eth0",
      vrid: M.vrid,
      priority,
      advertInterval: 0.3,
      virtualAddresses: [{ address: `${M.vip}/24` }],
    },
    VI_U: {
      interface: "eth0",
      vrid: U.vrid,
      priority,
      advertInterval: 0.3,
      sourceIp: self,
      unicastPeers: [other],
      virtualAddresses: [{ address: `${U.vip}/24` }],
    },
  },
});

const foreign = (m: Metrics) => m.get("lvs_vrrp_foreign_vrid_total", { interface: "eth0" }) ?? 0;
const peerDrops = (m: Metrics) => m.get("lvs_vrrp_packets_dropped_total", { instance: "VI_U", reason: "peer" }) ?? 0;

test(
  "a foreign VRID and a spoofed priority from a non-peer are dropped and counted once; no state changes",
  { skip: !isRoot && "needs root", timeout: 90_000 },
  async () => {
    const lab = Lab.create([
      { name: "d1", addr: `${NET}.11/24` },
      { name: "d2", addr: `${NET}.12/24` },
      { name: "x", addr: `${NET}.66/24` },
    ]);
    try {
      const [d1, d2, x] = ["d1", "d2", "x"].map((n) => lab.host(n));
      const a = startAgent(d1!, config(200, d1!.ip, d2!.ip));
      await Promise.all(["VI_M", "VI_U"].map((n) => a.waitState(n, "MASTER", 10_000)));
      const b = startAgent(d2!, config(100, d2!.ip, d1!.ip));
      await Promise.all(["VI_M", "VI_U"].map((n) => b.waitState(n, "BACKUP", 10_000)));
      const [settledA, settledB] = [a.lines.length, b.lines.length];
      // A second of both directors' own adverts (multicast, and unicast to a multicast socket): none foreign.
      await new Promise((r) => setTimeout(r, 1000));
      const [a0, b0] = await Promise.all([scrape(d1!), scrape(d2!)]);
      assert.equal(foreign(a0), 0, "the directors' own adverts were counted as foreign");
      assert.equal(foreign(b0), 0, "the directors' own adverts were counted as foreign");

      const send = async (destinations: string[], valid: SendPlan["valid"]): Promise<SendReport> => {
        const plan: SendPlan = {
          ifname: "eth0",
          src: x!.ip,
          destinations,
          v3: { vrid: M.vrid, intervalCs: 30, addresses: [M.vip] },
          v2: { vrid: 1, intervalCs: 100, addresses: [], password: "" },
          perKind: 0,
          random: 0,
          seed: 1,
          valid,
        };
        const r = await execIn(x!, [process.execPath, "--import", "tsx", SENDER, JSON.stringify(plan)], 30_000);
        assert.equal(r.code, 0, r.stderr);
        return JSON.parse(r.stdout) as SendReport;
      };
      const settle = async (what: string, ok: () => Promise<string>) => {
        let last = "";
        await waitFor(async () => (last = await ok()) === "", 5000, what).catch((err: Error) =>
          assert.fail(`${err.message}\n${last}`),
        );
      };

      // --- a VRID nobody runs, priority 250, to the group and to d1: d1 hears 2N, d2 the N to the group
      const r1 = await send(["224.0.0.18", d1!.ip], [{ vrid: FOREIGN_VRID, priority: 250, count: N }]);
      assert.equal(r1.valid, 2 * N);
      await settle("foreign VRID counted", async () => {
        const [a1, b1] = await Promise.all([scrape(d1!), scrape(d2!)]);
        const got = [foreign(a1) - foreign(a0), foreign(b1) - foreign(b0)];
        return got[0] === 2 * N && got[1] === N
          ? ""
          : `foreign VRID counted d1 ${got[0]}, d2 ${got[1]}; sent ${2 * N}, ${N}`;
      });

      // --- VI_U's VRID at priority 250 from x, which is not its peer, unicast to d1: dropped as "peer"
      const before = await scrape(d1!);
      const r2 = await send([d1!.ip], [{ vrid: U.vrid, priority: 250, count: N }]);
      assert.equal(r2.valid, N);
      await settle("spoofed priority counted", async () => {
        const got = peerDrops(await scrape(d1!)) - peerDrops(before);
        return got === N ? "" : `VI_U dropped ${got} as peer, ${N} sent`;
      });
      // VI_M's socket got those copies too: a sibling's VRID, not foreign.
      const after = await scrape(d1!);
      assert.equal(foreign(after) - foreign(before), 0, "a sibling's VRID was counted as foreign");

      // --- nothing changed state; both directors run on; d1 holds both VIPs
      assert.equal(a.child.exitCode, null);
      assert.equal(b.child.exitCode, null);
      for (const n of ["VI_M", "VI_U"]) {
        assert.deepEqual(transitions(a, n, settledA), [], `d1 ${n} changed state`);
        assert.deepEqual(transitions(b, n, settledB), [], `d2 ${n} changed state`);
        assert.equal(after.get("lvs_vrrp_state", { instance: n, state: "MASTER" }), 1, `d1 ${n} not MASTER`);
      }
      assert.ok(d1!.hasAddr(M.vip) && d1!.hasAddr(U.vip), "d1 lost a VIP");
      assert.ok(!d2!.hasAddr(M.vip) && !d2!.hasAddr(U.vip), "d2 took a VIP");
    } finally {
      lab.destroy();
    }
  },
);
