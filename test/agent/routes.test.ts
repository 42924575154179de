// keepalived's static_ipaddress, virtual_routes and vrrp_strict run by `lvs-agent run --keepalived-conf`
// in a namespace: the static address is there from the start, the routes come with MASTER (the only
// router, master after Master_Down_Interval; not priority 255, which is the address owner's) and
// everything is gone after SIGTERM.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Lab, isRoot, waitFor, type Host } from "../helpers/netns.ts";
import { REPO, AGENT_TSX, stateDir } from "../helpers/agent.ts";
import { Watched } from "../helpers/procs.ts";

const NET = "10.74.0";
const CONF = `global_defs {
  vrrp_version 3
  vrrp_strict
}
static_ipaddress {
  10.74.9.1/24 dev eth0 scope global
}
vrrp_instance V {
  interface eth0
  virtual_router_id 14
  priority 254
  virtual_ipaddress {
    ${NET}.100/24
  }
  virtual_routes {
    10.74.50.0/24 via ${NET}.1 dev eth0 metric 7
    blackhole 192.0.2.0/24
  }
}
`;

const routes = (h: Host) => h.exec("ip", ["-4", "route", "show"]);

test(
  "static_ipaddress always, virtual_routes with MASTER, all removed on stop",
  { skip: !isRoot && "needs root", timeout: 60_000 },
  async () => {
    const lab = Lab.create([{ name: "d1", addr: `${NET}.11/24` }]);
    try {
      const d1 = lab.host("d1");
      const file = join(stateDir(d1, "agent"), "keepalived.conf");
      writeFileSync(file, CONF);
      const cmd = `mount -t tmpfs lvs-run /run && exec "$0" "$@"`;
      const agent = new Watched(
        d1.spawn("sh", ["-c", cmd, process.execPath, ...AGENT_TSX, "run", "--keepalived-conf", file], { cwd: REPO }),
      );
      await agent.waitLine((l) => l.text.includes('"to":"MASTER"'), 15_000, "agent -> MASTER");
      await waitFor(() => d1.hasAddr(`${NET}.100`), 3000, "the VIP");
      assert.ok(d1.hasAddr("10.74.9.1"), "the static address");
      await waitFor(() => /blackhole 192\.0\.2\.0\/24/.test(routes(d1)), 3000, "the blackhole route");
      assert.match(
        routes(d1),
        new RegExp(`10\\.74\\.50\\.0/24 via ${NET.replaceAll(".", "\\.")}\\.1 dev eth0 metric 7`),
      );
      agent.signal("SIGTERM");
      await agent.exited(10_000);
      assert.ok(!/10\.74\.50\.0|192\.0\.2\.0/.test(routes(d1)), `routes left:\n${routes(d1)}`);
      assert.ok(!d1.hasAddr(`${NET}.100`) && !d1.hasAddr("10.74.9.1"), "VIP and static address removed");
    } finally {
      lab.destroy();
    }
  },
);
