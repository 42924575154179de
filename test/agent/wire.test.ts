// Hostile input on the wire, and secrets: another host floods the master with malformed, random and
// valid-but-wrong VRRP (multicast and unicast). The master must stay up and MASTER, count every drop
// by reason, and never print its v2 password in logs, status or metrics.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { Lab, waitFor } from "../helpers/netns.ts";
import { REPO, startAgent } from "../helpers/agent.ts";
import type { AgentConfigInput } from "../../agent/src/config/schema.ts";
import { KINDS, type Kind, type SendPlan, type SendReport } from "./fixtures/sender.ts";
import { agentPaths, execIn, lvsAgent, records, scrape, transitions, type Metrics } from "./fixtures/ops.ts";

// Debug logging on: the drop path logs details of every dropped advert, and none may leak the password.
process.env.LVS_AGENT_DEBUG = "1";

const SENDER = join(REPO, "test/agent/fixtures/sender.ts");
const PASSWORD = "s3cr3tPw";
const V3 = { vrid: 30, vip: "10.64.0.130" };
const V2 = { vrid: 20, vip: "10.64.0.120" };

const config = (priority: number): AgentConfigInput => ({
  instances: {
    VI_3: {
      interface: "eth0",
      vrid: V3.vrid,
      priority,
      advertInterval: 0.3,
      virtualAddresses: [{ address: `${V3.vip}/24` }],
    },
    VI_2: {
      interface: "eth0",
      vrid: V2.vrid,
      priority,
      version: 2,
      advertInterval: 1,
      auth: { type: "PASS", password: PASSWORD },
      virtualAddresses: [{ address: `${V2.vip}/24` }],
    },
  },
});

const dropped = (m: Metrics, instance: string, reason: string) =>
  m.get("lvs_vrrp_packets_dropped_total", { instance, reason }) ?? 0;

test(
  "a flood of bad VRRP leaves the master up and MASTER, every kind counted; the password never shows",
  { timeout: 60_000 },
  async () => {
    const lab = Lab.create([
      { name: "d1", addr: "10.64.0.11/24" },
      { name: "d2", addr: "10.64.0.12/24" },
      { name: "x", addr: "10.64.0.66/24" },
    ]);
    try {
      const d1 = lab.host("d1");
      const d2 = lab.host("d2");
      const x = lab.host("x");
      const a = startAgent(d1, config(200));
      const b = startAgent(d2, config(100));
      await Promise.all(
        ["VI_3", "VI_2"].flatMap((n) => [a.waitState(n, "MASTER", 10_000), b.waitState(n, "BACKUP", 10_000)]),
      );
      const settled = a.lines.length;
      const settledB = b.lines.length;

      const plan: SendPlan = {
        ifname: "eth0",
        src: x.ip,
        destinations: ["224.0.0.18", d1.ip],
        v3: { vrid: V3.vrid, intervalCs: 30, addresses: [V3.vip] },
        v2: { vrid: V2.vrid, intervalCs: 100, addresses: [V2.vip], password: PASSWORD },
        perKind: 20,
        random: 0,
        seed: 0x5eed,
      };
      const sendAll = async (p: SendPlan): Promise<SendReport> => {
        const r = await execIn(x, [process.execPath, "--import", "tsx", SENDER, JSON.stringify(p)], 30_000);
        assert.equal(r.code, 0, r.stderr);
        return JSON.parse(r.stdout) as SendReport;
      };

      // --- crafted kinds: exact counts
      const m0 = await scrape(d1);
      const m0b = await scrape(d2);
      const crafted = await sendAll(plan);
      const kinds = Object.keys(KINDS) as Kind[];
      for (const k of kinds) assert.equal(crafted.sent[k], plan.perKind * plan.destinations.length, k);
      const expected = (instance: "VI_3" | "VI_2", perDestination: number) => {
        const e = new Map<string, number>();
        for (const k of kinds) {
          const { reason, scope } = KINDS[k];
          if (scope === "all" || (scope === "v2" && instance === "VI_2"))
            e.set(reason, (e.get(reason) ?? 0) + perDestination);
        }
        return e;
      };
      const check = (before: Metrics, after: Metrics, instance: "VI_3" | "VI_2", perKind: number) => {
        for (const [reason, n] of expected(instance, perKind)) {
          const got = dropped(after, instance, reason) - dropped(before, instance, reason);
          if (got !== n) return `${instance} ${reason}: ${got} counted, ${n} expected`;
        }
        const total =
          after.sum("lvs_vrrp_packets_dropped_total", { instance }) -
          before.sum("lvs_vrrp_packets_dropped_total", { instance });
        const want = [...expected(instance, perKind).values()].reduce((s, n) => s + n, 0);
        return total === want ? "" : `${instance}: ${total} drops in all, ${want} expected`;
      };
      // The master hears multicast and unicast copies; the backup only the multicast ones.
      let lastProblem = "";
      await waitFor(
        async () => {
          const [m1, m1b] = await Promise.all([scrape(d1), scrape(d2)]);
          lastProblem = [
            check(m0, m1, "VI_3", plan.perKind * 2),
            check(m0, m1, "VI_2", plan.perKind * 2),
            check(m0b, m1b, "VI_3", plan.perKind),
            check(m0b, m1b, "VI_2", plan.perKind),
          ]
            .filter(Boolean)
            .join("; ");
          return lastProblem === "";
        },
        5000,
        "drop counters to match what was sent",
      ).catch((err: Error) => assert.fail(`${err.message}\n${lastProblem}`));

      // --- random payloads: everything is dropped, nothing breaks
      const m2 = await scrape(d1);
      const random = await sendAll({ ...plan, perKind: 0, random: 200, seed: 0xbad5eed });
      assert.equal(random.random, 400);
      assert.equal(random.randomAccepted, 0, "the seed produced a valid advert; pick another");
      await waitFor(
        async () => {
          const m3 = await scrape(d1);
          for (const instance of ["VI_3", "VI_2"]) {
            const d =
              m3.sum("lvs_vrrp_packets_dropped_total", { instance }) -
              m2.sum("lvs_vrrp_packets_dropped_total", { instance });
            if (d !== random.random)
              return (
                (lastProblem = `${instance}: ${d} random packets counted as dropped, ${random.random} sent`) === ""
              );
          }
          return true;
        },
        5000,
        "random drops counted",
      ).catch((err: Error) => assert.fail(`${err.message}\n${lastProblem}`));

      // --- the master kept its role throughout, and keeps advertising
      assert.equal(a.child.exitCode, null, "master agent exited");
      assert.equal(b.child.exitCode, null, "backup agent exited");
      for (const n of ["VI_3", "VI_2"]) {
        assert.deepEqual(transitions(a, n, settled), [], `master ${n} changed state under the flood`);
        assert.deepEqual(transitions(b, n, settledB), [], `backup ${n} changed state under the flood`);
      }
      assert.ok(d1.hasAddr(V3.vip) && d1.hasAddr(V2.vip));
      const s1 = await scrape(d1);
      await new Promise((r) => setTimeout(r, 1100));
      const s2 = await scrape(d1);
      assert.ok(
        (s2.get("lvs_vrrp_adverts_sent_total", { instance: "VI_3" }) ?? 0) >
          (s1.get("lvs_vrrp_adverts_sent_total", { instance: "VI_3" }) ?? 0),
      );
      assert.equal(s2.get("lvs_vrrp_state", { instance: "VI_3", state: "MASTER" }), 1);
      assert.equal(s2.get("lvs_vrrp_state", { instance: "VI_2", state: "MASTER" }), 1);
      // A parse-level drop is logged at debug with its reason: the drop path really ran.
      assert.ok(
        records(a).some((r) => r.msg === "advert dropped" && r.reason === "auth"),
        "no auth drop logged at debug level",
      );

      // --- secrets: a rejected reload of a too-long password, then every output an operator sees
      const { confDir, socket } = agentPaths(d1);
      const longPassword = "L0ngSecretPass";
      writeFileSync(
        join(confDir, "50-bad.json"),
        JSON.stringify({
          instances: {
            VI_X: {
              ...config(100).instances!.VI_2,
              vrid: 21,
              auth: { type: "PASS", password: longPassword },
              virtualAddresses: [{ address: "10.64.0.121" }],
            },
          },
        }),
      );
      const rejected = await lvsAgent(d1, ["reload", "--socket", socket]);
      assert.equal(rejected.code, 1);
      assert.match(rejected.stderr, /50-bad\.json: instances\.VI_X\.auth\.password: /);
      const validated = await lvsAgent(d1, ["validate", "--config-dir", confDir]);
      assert.equal(validated.code, 1);
      const [table, json] = await Promise.all([
        lvsAgent(d1, ["status", "--socket", socket]),
        lvsAgent(d1, ["status", "--json", "--socket", socket]),
      ]);
      const outputs: Record<string, string> = {
        "agent log (master)": a.lines.map((l) => l.text).join("\n"),
        "agent log (backup)": b.lines.map((l) => l.text).join("\n"),
        status: table.stdout + table.stderr,
        "status --json": json.stdout + json.stderr,
        metrics: (await scrape(d1)).text,
        "rejected reload": rejected.stdout + rejected.stderr,
        validate: validated.stdout + validated.stderr,
      };
      assert.ok(outputs["agent log (master)"]!.split("\n").length > 100, "expected a busy debug log");
      for (const [what, text] of Object.entries(outputs)) {
        for (const secret of [PASSWORD, longPassword, "wrongpw"]) {
          assert.ok(!text.includes(secret), `${what} contains the password ${JSON.stringify(secret)}`);
        }
      }
    } finally {
      lab.destroy();
    }
  },
);
