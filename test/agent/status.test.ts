// `lvs-agent status` and /metrics on a running pair, as an operator reads them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { Lab, waitFor } from "../helpers/netns.ts";
import { startAgent } from "../helpers/agent.ts";
import type { AgentStatus } from "../../agent/src/status/format.ts";
import { agentPaths, lvsAgent, scrape, sleep, transitions } from "./fixtures/ops.ts";

const VIPS = ["10.62.0.100/24", "10.62.0.101"];
const inst = (priority: number) => ({
  instances: {
    VI_1: {
      interface: "eth0",
      vrid: 62,
      priority,
      advertInterval: 0.2,
      virtualAddresses: VIPS.map((address) => ({ address })),
    },
  },
});

test(
  "status table and JSON, socket mode, metrics on master and backup, then failover",
  { timeout: 60_000 },
  async () => {
    const lab = Lab.create([
      { name: "d1", addr: "10.62.0.11/24" },
      { name: "d2", addr: "10.62.0.12/24" },
    ]);
    try {
      const d1 = lab.host("d1");
      const d2 = lab.host("d2");
      // One after the other: started together, a loaded machine can start d2's agent long enough before
      // d1's that d2 is master first (correctly), and then it has sent adverts (seen in CI as 1, then 2).
      const a = startAgent(d1, inst(200));
      await a.waitState("VI_1", "MASTER", 10_000);
      const b = startAgent(d2, inst(100));
      await b.waitState("VI_1", "BACKUP", 10_000);
      // The backup learns the master's address from its first advert after entering BACKUP.
      await sleep(300);

      // --- status: table
      const [ta, tb] = await Promise.all([
        lvsAgent(d1, ["status", "--socket", agentPaths(d1).socket]),
        lvsAgent(d2, ["status", "--socket", agentPaths(d2).socket]),
      ]);
      assert.equal(ta.code, 0, ta.stderr);
      assert.equal(tb.code, 0, tb.stderr);
      const rowOf = (text: string) => {
        const lines = text.split("\n");
        const header = lines.findIndex((l) => l.startsWith("Instance"));
        assert.ok(header >= 0, `no table header in:\n${text}`);
        assert.deepEqual(lines[header]!.split(/\s+/), [
          "Instance",
          "Interface",
          "VRID",
          "Ver",
          "State",
          "Priority",
          "Master",
          "Advert",
          "VIPs",
        ]);
        return lines[header + 1]!.split(/\s+/);
      };
      assert.deepEqual(rowOf(ta.stdout), [
        "VI_1",
        "eth0",
        "62",
        "v3",
        "MASTER",
        "200/200",
        "10.62.0.11",
        "0.2s",
        VIPS.join(","),
      ]);
      assert.deepEqual(rowOf(tb.stdout), [
        "VI_1",
        "eth0",
        "62",
        "v3",
        "BACKUP",
        "100/100",
        "10.62.0.11",
        "0.2s",
        VIPS.join(","),
      ]);
      assert.match(ta.stdout, new RegExp(`^lvs-agent \\S+ \\(pid ${a.pid}\\); config: .*00-test\\.json`));

      // --- status: JSON
      const ja = await lvsAgent(d1, ["status", "--json", "--socket", agentPaths(d1).socket]);
      assert.equal(ja.code, 0, ja.stderr);
      const s = JSON.parse(ja.stdout) as AgentStatus;
      assert.equal(s.pid, a.pid);
      assert.equal(s.instances.length, 1);
      const i = s.instances[0]!;
      assert.equal(i.name, "VI_1");
      assert.equal(i.state, "MASTER");
      assert.equal(i.priority, 200);
      assert.equal(i.effectivePriority, 200);
      assert.equal(i.masterIp, "10.62.0.11");
      assert.equal(i.vrid, 62);
      assert.deepEqual(i.vips, VIPS);
      assert.deepEqual(i.faults, []);
      assert.ok(
        i.tracks.some((t) => t.kind === "interface" && t.name === "eth0" && t.up),
        JSON.stringify(i.tracks),
      );

      // --- the control socket is root-only
      const st = statSync(agentPaths(d1).socket);
      assert.ok(st.isSocket());
      assert.equal(st.mode & 0o777, 0o600);

      // --- metrics
      const [m1a, m2a] = await Promise.all([scrape(d1), scrape(d2)]);
      await sleep(1000);
      const [m1b, m2b] = await Promise.all([scrape(d1), scrape(d2)]);
      const state = (m: typeof m1a, st: string) => m.get("lvs_vrrp_state", { instance: "VI_1", state: st });
      assert.equal(state(m1b, "MASTER"), 1);
      assert.equal(state(m1b, "BACKUP"), 0);
      assert.equal(state(m2b, "BACKUP"), 1);
      assert.equal(state(m2b, "MASTER"), 0);
      const sent = (m: typeof m1a) => m.get("lvs_vrrp_adverts_sent_total", { instance: "VI_1" }) ?? 0;
      const recv = (m: typeof m1a) => m.get("lvs_vrrp_adverts_received_total", { instance: "VI_1" }) ?? 0;
      // 1 s at 0.2 s adverts: about 5 more; allow for scheduling.
      assert.ok(sent(m1b) - sent(m1a) >= 3, `master sent ${sent(m1a)} -> ${sent(m1b)}`);
      assert.ok(recv(m2b) - recv(m2a) >= 3, `backup received ${recv(m2a)} -> ${recv(m2b)}`);
      assert.equal(sent(m2b), 0, "a backup sends no adverts");
      assert.equal(m1b.get("lvs_vrrp_transitions_total", { instance: "VI_1", to: "MASTER" }), 1);
      assert.equal(m1b.get("lvs_vrrp_transitions_total", { instance: "VI_1", to: "BACKUP" }), 1);
      assert.equal(m2b.get("lvs_vrrp_transitions_total", { instance: "VI_1", to: "MASTER" }), undefined);
      assert.equal(m1b.sum("lvs_vrrp_packets_dropped_total"), 0, "nothing dropped between two agents");

      // --- failover: a graceful stop of the master hands over; the survivor's status and metrics follow
      const from = b.lines.length;
      a.signal("SIGTERM");
      assert.equal(await a.exited(5000), 0);
      await b.waitState("VI_1", "MASTER", 5000, from);
      await waitFor(() => VIPS.every((v) => d2.hasAddr(v)), 3000, "VIPs on d2");
      assert.ok(!VIPS.some((v) => d1.hasAddr(v)), "a stopped agent leaves no VIP behind");
      const t2 = await lvsAgent(d2, ["status", "--socket", agentPaths(d2).socket]);
      assert.deepEqual(rowOf(t2.stdout).slice(4, 7), ["MASTER", "100/100", "10.62.0.12"]);
      const m2c = await scrape(d2);
      assert.equal(state(m2c, "MASTER"), 1);
      assert.equal(m2c.get("lvs_vrrp_transitions_total", { instance: "VI_1", to: "MASTER" }), 1);
      assert.deepEqual(
        transitions(b, "VI_1").map((r) => r.to),
        ["BACKUP", "MASTER"],
      );
      // No socket file is left behind by a clean stop.
      assert.throws(() => statSync(agentPaths(d1).socket), /ENOENT/);
    } finally {
      lab.destroy();
    }
  },
);
