// Reloads as an operator does them: edit conf.d, then SIGHUP or `lvs-agent reload`. A valid change
// starts only what changed; a broken fragment is rejected, named, and changes nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Lab, waitFor } from "../helpers/netns.ts";
import { startAgent } from "../helpers/agent.ts";
import { Watched } from "../helpers/procs.ts";
import type { AgentConfigInput } from "../../agent/src/config/schema.ts";
import { agentPaths, lvsAgent, nextReload, records, scrape, transitions } from "./fixtures/ops.ts";

const vi = (vrid: number, vip: string) => ({
  interface: "eth0",
  vrid,
  priority: 150,
  advertInterval: 0.1,
  virtualAddresses: [{ address: vip }],
});

test(
  "reload: new instances start, unchanged ones are untouched, broken fragments are rejected",
  { timeout: 60_000 },
  async () => {
    const lab = Lab.create([{ name: "d1", addr: "10.63.0.11/24" }]);
    try {
      const d1 = lab.host("d1");
      const { confDir, socket } = agentPaths(d1);
      const base: AgentConfigInput = { instances: { VI_1: vi(63, "10.63.0.100/24") } };
      const a = startAgent(d1, base);
      await a.waitState("VI_1", "MASTER", 10_000);
      assert.ok(d1.hasAddr("10.63.0.100"));

      // Every address change in the namespace from here on: VI_1's VIP must never be deleted.
      const mon = new Watched(d1.spawn("ip", ["-o", "monitor", "address"]));
      await new Promise((r) => setTimeout(r, 100));
      const vi1Untouched = (from: number, what: string) => {
        assert.deepEqual(transitions(a, "VI_1", from), [], `${what}: VI_1 logged a transition`);
        assert.ok(d1.hasAddr("10.63.0.100"), `${what}: VI_1 lost its VIP`);
        const deleted = mon.lines.filter((l) => l.text.startsWith("Deleted") && l.text.includes("10.63.0.100"));
        assert.deepEqual(deleted, [], `${what}: VI_1's VIP was removed at some point`);
      };

      // --- 1. add a second instance to the same file, SIGHUP
      const full = { ...base, global: { statusSocket: socket, metricsListen: "127.0.0.1:9572" } };
      const withTwo = { ...full, instances: { ...base.instances, VI_2: vi(64, "10.63.0.102/24") } };
      let from = a.lines.length;
      writeFileSync(join(confDir, "00-test.json"), JSON.stringify(withTwo, null, 2));
      a.signal("SIGHUP");
      const r1 = await nextReload(a, from);
      assert.equal(r1.level, "info", JSON.stringify(r1));
      assert.deepEqual(r1.started, ["VI_2"]);
      assert.deepEqual(r1.unchanged, ["VI_1"]);
      assert.deepEqual(r1.stopped, []);
      await a.waitState("VI_2", "MASTER", 5000, from);
      await waitFor(() => d1.hasAddr("10.63.0.102"), 2000, "VI_2's VIP");
      // The monitor works (and has caught up to VI_2's addition) before it is trusted to show no deletion.
      await mon.waitLine(
        (l) => !l.text.startsWith("Deleted") && l.text.includes("10.63.0.102"),
        3000,
        "ip monitor: VI_2's VIP added",
      );
      vi1Untouched(from, "SIGHUP reload");

      // --- 2. a new fragment, `lvs-agent reload`
      from = a.lines.length;
      writeFileSync(join(confDir, "10-vi3.json"), JSON.stringify({ instances: { VI_3: vi(65, "10.63.0.103/24") } }));
      const c2 = await lvsAgent(d1, ["reload", "--socket", socket]);
      assert.equal(c2.code, 0, c2.stderr);
      assert.match(c2.stdout, /reload applied/);
      await a.waitState("VI_3", "MASTER", 5000, from);
      assert.deepEqual(transitions(a, "VI_2", from), [], "VI_2 was restarted by an unrelated reload");
      vi1Untouched(from, "CLI reload");

      const before = await scrape(d1);
      const beforeLines = a.lines.length;
      const unaffected = () => {
        for (const name of ["VI_1", "VI_2", "VI_3"])
          assert.deepEqual(transitions(a, name, beforeLines), [], `${name} transitioned on a rejected reload`);
        for (const vip of ["10.63.0.100", "10.63.0.102", "10.63.0.103"])
          assert.ok(d1.hasAddr(vip), `${vip} lost on a rejected reload`);
      };

      // --- 3. broken fragments: bad JSON, then a field out of range; by CLI and by SIGHUP
      const broken = join(confDir, "20-broken.json");
      const cases: { text: string; expect: RegExp }[] = [
        {
          text: '{ "instances": { "VI_4": { "interface": "eth0", "vrid": 66, }\n}',
          expect: /20-broken\.json:1:\d+: invalid JSON/,
        },
        {
          text: JSON.stringify({ instances: { VI_4: { ...vi(66, "10.63.0.104/24"), vrid: 300 } } }),
          expect: /20-broken\.json: instances\.VI_4\.vrid: must be .*1-255/,
        },
      ];
      for (const c of cases) {
        writeFileSync(broken, c.text);
        from = a.lines.length;
        const r = await lvsAgent(d1, ["reload", "--socket", socket]);
        assert.equal(r.code, 1, `CLI exit code for a rejected reload\n${r.stdout}${r.stderr}`);
        assert.match(r.stderr, /reload rejected, running configuration kept/);
        assert.match(r.stderr, c.expect);
        const logged = await nextReload(a, from);
        assert.equal(logged.level, "error");
        assert.ok(
          (logged.problems as string[]).some((p) => c.expect.test(p)),
          JSON.stringify(logged),
        );

        from = a.lines.length;
        a.signal("SIGHUP");
        const viaHup = await nextReload(a, from);
        assert.equal(viaHup.level, "error");
        assert.ok(
          (viaHup.problems as string[]).some((p) => c.expect.test(p)),
          JSON.stringify(viaHup),
        );
      }
      const status = await lvsAgent(d1, ["status", "--json", "--socket", socket]);
      const st = JSON.parse(status.stdout) as { instances: { name: string; state: string }[] };
      assert.deepEqual(st.instances.map((i) => [i.name, i.state]).sort(), [
        ["VI_1", "MASTER"],
        ["VI_2", "MASTER"],
        ["VI_3", "MASTER"],
      ]);
      unaffected();
      const after = await scrape(d1);
      assert.equal(
        (after.get("lvs_agent_reloads_total", { result: "rejected" }) ?? 0) -
          (before.get("lvs_agent_reloads_total", { result: "rejected" }) ?? 0),
        4,
      );
      assert.equal(after.get("lvs_agent_reloads_total", { result: "ok" }), 2);
      assert.ok(!records(a).some((r) => r.event === "agent.fatal"), "the agent logged a fatal error");

      // --- 4. fixing the fragment and removing an instance: VI_4 starts, VI_3 stops and releases its VIP
      rmSync(join(confDir, "10-vi3.json"));
      writeFileSync(broken, JSON.stringify({ instances: { VI_4: vi(66, "10.63.0.104/24") } }));
      from = a.lines.length;
      const ok = await lvsAgent(d1, ["reload", "--socket", socket]);
      assert.equal(ok.code, 0, ok.stderr);
      await a.waitState("VI_4", "MASTER", 5000, from);
      assert.ok(!d1.hasAddr("10.63.0.103"), "a removed instance keeps its VIP");
      assert.deepEqual(transitions(a, "VI_2", from), []);
      vi1Untouched(beforeLines, "after all reloads");
      assert.equal(a.child.exitCode, null, "agent still running");
    } finally {
      lab.destroy();
    }
  },
);
