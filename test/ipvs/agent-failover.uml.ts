// Two directors running the real agent (VRRP + IPVS, DR) in front of two real servers, inside
// user-mode Linux: the backup already holds the same table and, through the IPVS sync daemon that
// follows VRRP, the master's connections; when the master's box dies (link down, agent SIGKILLed) the
// backup takes the VIP and the client's requests keep succeeding.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { AgentConfigInput } from "../../agent/src/config/schema.ts";
import { Lab, waitFor, type Host } from "../helpers/netns.ts";
import type { Watched } from "../helpers/procs.ts";
import { ipvsadm, startAgent, type UmlAgent } from "./helpers/agent.ts";
import { createDrLab, drWebService } from "./helpers/dr-lab.ts";
import { hold, requests } from "./helpers/web.ts";

const NET = "10.34.0";
const VIP = `${NET}.100`;
const RS = [`${NET}.21`, `${NET}.22`];
const ADVERT = 0.5;

function config(priority: number): AgentConfigInput {
  return {
    instances: {
      VI_1: {
        interface: "eth0",
        vrid: 34,
        priority,
        advertInterval: ADVERT,
        virtualAddresses: [{ address: `${VIP}/24` }],
      },
    },
    virtualServers: { web: drWebService(VIP, RS) },
    syncDaemon: { interface: "eth0", syncId: 34, followInstance: "VI_1" },
  };
}

/** The client ports of connections to the VIP in a director's connection table. */
function clientPorts(director: Host): Set<string> {
  const lines = ipvsadm(director, "-Lnc").split("\n");
  return new Set(
    lines.filter((l) => l.includes(` ${VIP}:80 `)).map((l) => /(\d+\.\d+\.\d+\.\d+:\d+)\s+\S+:80\s/.exec(l)?.[1] ?? l),
  );
}

describe("two directors: VRRP and IPVS with the connection sync daemon", () => {
  let lab: Lab;
  let d1: Host;
  let d2: Host;
  let client: Host;
  let master: UmlAgent;
  let backup: UmlAgent;
  let held: Watched | undefined;
  before(async () => {
    ({ lab, client, d1, d2 } = await createDrLab(NET, VIP));
    master = await startAgent(d1, config(200));
    await master.ready();
    await master.waitEvent("vrrp.transition", 20_000, (r) => r.to === "MASTER");
    backup = await startAgent(d2, config(100));
    await backup.ready();
    await backup.waitEvent("vrrp.transition", 20_000, (r) => r.to === "BACKUP");
  });
  after(async () => {
    held?.signal("SIGKILL");
    for (const a of [master, backup]) {
      await a?.stop().catch(() => undefined);
      a?.cleanup();
    }
    lab?.destroy();
  });

  test("the backup holds the same services; each director runs the sync daemon its VRRP state calls for", async () => {
    assert.equal(ipvsadm(d2, "-Sn"), ipvsadm(d1, "-Sn"));
    assert.match(ipvsadm(d1, "-Sn"), new RegExp(`-A -t ${VIP}:80 -s rr`));
    await waitFor(
      () => /master sync daemon \(mcast=eth0, syncid=34\b/.test(ipvsadm(d1, "-L", "--daemon")),
      5000,
      "master sync daemon on d1",
      100,
    );
    await waitFor(
      () => /backup sync daemon \(mcast=eth0, syncid=34\b/.test(ipvsadm(d2, "-L", "--daemon")),
      5000,
      "backup sync daemon on d2",
      100,
    );
    assert.ok(!/master/.test(ipvsadm(d2, "-L", "--daemon")));
  });

  test("long-lived connections through the master show up in the backup's connection table", async () => {
    const h = await hold(client, `http://${VIP}`, 4);
    held = h.w;
    assert.deepEqual([...h.names].sort(), ["rs1", "rs1", "rs2", "rs2"]);
    const onMaster = clientPorts(d1);
    assert.equal(onMaster.size, 4, ipvsadm(d1, "-Lnc"));
    // the master daemon sends its buffer at least every 2 s
    await waitFor(
      () => [...onMaster].every((p) => clientPorts(d2).has(p)),
      8000,
      "the master's connections in the backup's -Lnc",
      200,
    );
    const synced = ipvsadm(d2, "-Lnc")
      .split("\n")
      .filter((l) => l.includes(` ${VIP}:80 `));
    assert.ok(
      synced.every((l) => /ESTABLISHED/.test(l) && RS.some((r) => l.trim().endsWith(`${r}:80`))),
      synced.join("\n"),
    );
  });

  test("the master's box dies (link down, agent SIGKILLed): the backup takes over and requests keep succeeding", async () => {
    const before = await requests(client, `http://${VIP}`, 10);
    assert.deepEqual(before, { counts: { rs1: 5, rs2: 5 }, errors: [] });
    const from = backup.lines.length;
    const t0 = Date.now();
    d1.linkSet("down");
    await master.crash();
    await backup.waitEvent("vrrp.transition", 10_000, (r) => r.to === "MASTER", from);
    const takeoverMs = Date.now() - t0;
    assert.ok(d2.hasAddr(VIP), "the backup holds the VIP");
    const after = await requests(client, `http://${VIP}`, 20);
    assert.deepEqual(after.errors, [], JSON.stringify(after));
    assert.deepEqual(after.counts, { rs1: 10, rs2: 10 });
    assert.equal(clientPorts(d2).size >= 20, true, "the new requests went through the new master");
    await waitFor(
      () => /master sync daemon \(mcast=eth0, syncid=34\b/.test(ipvsadm(d2, "-L", "--daemon")),
      5000,
      "d2 now runs the master sync daemon",
      100,
    );
    process.stdout.write(
      `# failover: backup MASTER ${takeoverMs} ms after the master's link went down (advert ${ADVERT} s)\n`,
    );
  });
});
