// Seed 001's pair for real: `lvs-agent run --keepalived-conf` with the master's keepalived.conf against
// Debian's keepalived 2.2.7 with the slave's, on one lab segment. The configs are the fixtures with the
// addresses moved into the lab subnet (the interface is already eth0) and, for the master, without its
// virtual_server (the host kernel has no IPVS). Both track nginx, so a process named nginx runs.
// The agent (priority 200) must become MASTER with the VIP and keepalived (100) BACKUP, over unicast
// VRRPv2 with PASS auth; when the agent stops, keepalived takes over the VIP.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Lab, isRoot, waitFor, type Host } from "../helpers/netns.ts";
import { REPO, AGENT_TSX, startKeepalived, stateDir } from "../helpers/agent.ts";
import { Watched } from "../helpers/procs.ts";

const NET = "10.72.0";
const VIP = `${NET}.100`;
const FIXTURES = join(REPO, "agent/src/keepalived/fixtures");

/** A seed fixture with seed 001's addresses moved into the lab subnet. */
function labConf(name: string): string {
  return readFileSync(join(FIXTURES, name), "utf8")
    .replaceAll("172.20.128.2", `${NET}.11`)
    .replaceAll("172.20.128.3", `${NET}.12`)
    .replaceAll("172.20.128.4", VIP);
}

/** lvs-agent reading a keepalived.conf, with a private /run (its default status socket and state dir). */
function startAgentWithKeepalivedConf(host: Host, text: string): Watched {
  const file = join(stateDir(host, "agent"), "keepalived.conf");
  writeFileSync(file, text);
  const cmd = `mount -t tmpfs lvs-run /run && exec "$0" "$@"`;
  return new Watched(
    host.spawn("sh", ["-c", cmd, process.execPath, ...AGENT_TSX, "run", "--keepalived-conf", file], { cwd: REPO }),
  );
}

function agentEntered(w: Watched, state: string, timeoutMs: number, from = 0) {
  return w.waitLine(
    (l) =>
      l.text.includes('"event":"vrrp.transition"') &&
      l.text.includes('"instance":"VI_1"') &&
      l.text.includes(`"to":"${state}"`),
    timeoutMs,
    `agent VI_1 -> ${state}`,
    from,
  );
}

const hasKeepalived = !spawnSync("keepalived", ["--version"]).error;

test(
  "seed 001: lvs-agent --keepalived-conf (master) and keepalived (slave) elect and fail over",
  { skip: !isRoot ? "needs root" : !hasKeepalived ? "keepalived not installed" : false, timeout: 60_000 },
  async () => {
    const lab = Lab.create([
      { name: "d1", addr: `${NET}.11/24` },
      { name: "d2", addr: `${NET}.12/24` },
    ]);
    try {
      const [d1, d2] = [lab.host("d1"), lab.host("d2")];
      const nginx = join(stateDir(d1, "nginx"), "nginx");
      copyFileSync("/usr/bin/sleep", nginx);
      d1.spawn(nginx, ["120"]);

      const master = labConf("keepalived-master.conf");
      const agent = startAgentWithKeepalivedConf(d1, master.slice(0, master.indexOf("# 配置keepalive")));
      await agentEntered(agent, "MASTER", 15_000);
      // keepalived resolves a script's symlinks and runs Debian's pidof (-> killall5) as killall5, which
      // always fails (acassen/keepalived#1367): the slave checks with pgrep instead. lvs-agent runs the
      // seed's `pidof nginx` as written.
      const slave = labConf("keepalived-slave.conf").replace(
        'script "pidof nginx"',
        'script "/usr/bin/pgrep -x nginx"',
      );
      const keepalived = startKeepalived(d2, slave);
      await keepalived.waitState("VI_1", "BACKUP", 15_000);
      // Past keepalived's Master_Down_Interval (3 x 1 s + skew): it hears the agent's adverts.
      await new Promise((r) => setTimeout(r, 4000));
      assert.ok(
        !keepalived.lines.some((l) => l.text.includes("Entering MASTER STATE")),
        "keepalived became MASTER beside the agent",
      );
      assert.ok(d1.hasAddr(VIP) && !d2.hasAddr(VIP), "the VIP is on the agent's host only");

      const from = keepalived.lines.length;
      agent.signal("SIGTERM");
      await keepalived.waitState("VI_1", "MASTER", 5000, from);
      await waitFor(() => d2.hasAddr(VIP) && !d1.hasAddr(VIP), 3000, "the VIP moves to keepalived's host");
    } finally {
      lab.destroy();
    }
  },
);
