// VRRPv2 with auth_type AH (IPsec AH, HMAC-MD5-96) between lvs-agent and Debian's keepalived 2.2.7, the
// same keepalived.conf on both sides but the priority, multicast and unicast. The agent (200) must hold
// MASTER while keepalived (100) stays BACKUP, which it does only if it accepts the agent's ICV and
// sequence numbers; when the agent stops, keepalived takes the VIP; when the agent comes back as the
// lower one (50) it must stay BACKUP, accepting keepalived's AH adverts. A wrong password on the agent
// side makes keepalived's adverts count for nothing there (the agent becomes MASTER too).
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Lab, isRoot, waitFor, type Host } from "../helpers/netns.ts";
import { REPO, AGENT_TSX, startKeepalived, stateDir } from "../helpers/agent.ts";
import { Watched } from "../helpers/procs.ts";

const NET = "10.73.0";
const VIP = `${NET}.100`;

function conf(priority: number, password: string, unicast?: { src: string; peer: string }): string {
  const uni = unicast ? `  unicast_src_ip ${unicast.src}\n  unicast_peer {\n    ${unicast.peer}\n  }\n` : "";
  return `vrrp_instance VI_1 {
  state BACKUP
  interface eth0
${uni}  virtual_router_id 61
  priority ${priority}
  advert_int 1
  authentication {
    auth_type AH
    auth_pass ${password}
  }
  virtual_ipaddress {
    ${VIP}/24
  }
}
`;
}

function startAgent(host: Host, text: string, tag: string): Watched {
  const file = join(stateDir(host, `agent-${tag}`), "keepalived.conf");
  writeFileSync(file, text);
  const cmd = `mount -t tmpfs lvs-run /run && exec "$0" "$@"`;
  return new Watched(
    host.spawn("sh", ["-c", cmd, process.execPath, ...AGENT_TSX, "run", "--keepalived-conf", file], { cwd: REPO }),
  );
}

function entered(w: Watched, state: string, timeoutMs: number) {
  return w.waitLine(
    (l) => l.text.includes('"event":"vrrp.transition"') && l.text.includes(`"to":"${state}"`),
    timeoutMs,
    `agent -> ${state}`,
  );
}

const hasKeepalived = !spawnSync("keepalived", ["--version"]).error;
const skip = !isRoot ? "needs root" : !hasKeepalived ? "keepalived not installed" : false;

for (const mode of ["multicast", "unicast"] as const) {
  test(
    `auth_type AH, ${mode}: lvs-agent and keepalived accept each other's AH adverts`,
    { skip, timeout: 90_000 },
    async () => {
      const lab = Lab.create([
        { name: "d1", addr: `${NET}.11/24` },
        { name: "d2", addr: `${NET}.12/24` },
      ]);
      const uni = (src: string, peer: string) => (mode === "unicast" ? { src, peer } : undefined);
      try {
        const [d1, d2] = [lab.host("d1"), lab.host("d2")];
        const agent = startAgent(d1, conf(200, "s3cret!x", uni(`${NET}.11`, `${NET}.12`)), "a");
        await entered(agent, "MASTER", 15_000);
        const keepalived = startKeepalived(d2, conf(100, "s3cret!x", uni(`${NET}.12`, `${NET}.11`)));
        await keepalived.waitState("VI_1", "BACKUP", 15_000);
        await new Promise((r) => setTimeout(r, 4500)); // past keepalived's Master_Down_Interval
        const kaText = keepalived.lines.map((l) => l.text).join("\n");
        assert.ok(!kaText.includes("Entering MASTER STATE"), "keepalived took over beside the agent");
        assert.ok(!/IPSEC-AH|invalid/i.test(kaText), `keepalived complained:\n${kaText}`);
        assert.ok(d1.hasAddr(VIP) && !d2.hasAddr(VIP), "the VIP is on the agent's host only");

        const from = keepalived.lines.length;
        agent.signal("SIGTERM");
        await keepalived.waitState("VI_1", "MASTER", 6000, from);
        await waitFor(() => d2.hasAddr(VIP) && !d1.hasAddr(VIP), 3000, "the VIP moves to keepalived's host");
        await agent.exited();

        // Back as the lower priority: keepalived's adverts keep it BACKUP.
        const again = startAgent(d1, conf(50, "s3cret!x", uni(`${NET}.11`, `${NET}.12`)), "b");
        await entered(again, "BACKUP", 15_000);
        await new Promise((r) => setTimeout(r, 4500));
        assert.ok(
          !again.lines.some((l) => l.text.includes('"to":"MASTER"')),
          "the agent did not accept keepalived's AH adverts",
        );
        again.signal("SIGTERM");
        await again.exited();

        // A wrong password: the ICV fails, the agent hears no master.
        const wrong = startAgent(d1, conf(50, "wrong-pw", uni(`${NET}.11`, `${NET}.12`)), "c");
        await entered(wrong, "MASTER", 15_000);
        wrong.signal("SIGTERM");
        await wrong.exited();
      } finally {
        lab.destroy();
      }
    },
  );
}
