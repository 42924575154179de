// Two agents on one host (two VRRP domains, a lab): `run --socket`, `--state-dir` and `--metrics-listen`
// place each agent's files and port, over what its config says, so neither collides with the other and
// each answers `status` and `reload` on its own socket. The two share this host's filesystem, as two
// agents on one director would; each runs in a namespace of its own for its VRRP.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Lab } from "../helpers/netns.ts";
import { Watched } from "../helpers/procs.ts";
import { AGENT_MAIN, lvsAgent, scrape } from "./fixtures/ops.ts";
import type { AgentStatus } from "../../agent/src/status/format.ts";

const METRICS = "127.0.0.1:9581";

test(
  "run --socket/--state-dir/--metrics-listen: two agents on one host, each answering on its own socket",
  { timeout: 60_000 },
  async () => {
    const tmp = mkdtempSync("/tmp/lvs-socket-test-");
    const lab = Lab.create([
      { name: "d1", addr: "10.69.0.11/24" },
      { name: "d2", addr: "10.69.0.12/24" },
    ]);
    try {
      // One config file for both, naming no socket, state dir or metrics address of its own.
      const config = join(tmp, "agent.json");
      const instance = (vrid: number, address: string) => ({
        interface: "eth0",
        vrid,
        advertInterval: 0.2,
        virtualAddresses: [{ address }],
      });
      writeFileSync(config, JSON.stringify({ instances: { VI_1: instance(69, "10.69.0.100/24") } }));
      const placed = ["d1", "d2"].map((name) => {
        const host = lab.host(name);
        const socket = join(tmp, name, "agent.sock");
        const state = join(tmp, name, "state");
        mkdirSync(join(tmp, name));
        const args = [
          "--import",
          "tsx",
          AGENT_MAIN,
          "run",
          "--config",
          config,
          "--socket",
          socket,
          "--state-dir",
          state,
          "--metrics-listen",
          METRICS,
        ];
        const agent = new Watched(host.spawn(process.execPath, args));
        return { host, socket, agent };
      });
      await Promise.all(
        placed.map((p) =>
          p.agent.waitLine((l) => l.text.includes('"agent.start"'), 30_000, `${p.host.name} agent start`),
        ),
      );

      for (const p of placed) {
        const r = await lvsAgent(p.host, ["status", "--json", "--socket", p.socket]);
        assert.equal(r.code, 0, `${p.host.name}: ${r.stderr}`);
        const s = JSON.parse(r.stdout) as AgentStatus;
        assert.equal(s.pid, p.agent.pid, `${p.socket} is answered by ${p.host.name}'s own agent`);
        assert.equal(s.instances[0]?.name, "VI_1");
        const reload = await lvsAgent(p.host, ["reload", "--socket", p.socket]);
        assert.equal(reload.code, 0, `${p.host.name} reload: ${reload.stderr}`);
        // Metrics on the address given, not the config's default 127.0.0.1:9572.
        const m = await scrape(p.host, METRICS);
        const states = ["INIT", "BACKUP", "MASTER", "FAULT"].map((state) =>
          m.get("lvs_vrrp_state", { instance: "VI_1", state }),
        );
        assert.equal(
          states.reduce((a, b) => (a ?? 0) + (b ?? 0), 0),
          1,
          `${p.host.name}: one VRRP state is 1 in ${METRICS}/metrics`,
        );
      }
      for (const p of placed) {
        p.agent.signal("SIGTERM");
        assert.equal(await p.agent.exited(15_000), 0);
        assert.ok(!existsSync(p.socket), `${p.host.name} removed its socket on the way out`);
      }
    } finally {
      lab.destroy();
      rmSync(tmp, { recursive: true, force: true });
    }
  },
);
