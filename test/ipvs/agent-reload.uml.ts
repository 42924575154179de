// Bad input on reload, against the real agent and real IPVS (inside user-mode Linux): a bad fragment
// makes `lvs-agent reload` exit 1 naming the virtual server, and the kernel table stays byte-identical;
// a good fragment afterwards is applied (so the reload path itself works). Only the case that needs the
// kernel runs alone here; the others are named one by one on the host (test/agent/bad-virtual-servers)
// and here all at once, which is what touches the table.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Lab, type Host } from "../helpers/netns.ts";
import { ipvsadm, startAgent, type UmlAgent } from "./helpers/agent.ts";
import { BAD, BASE, NET, RS1, VIP, type VirtualServers } from "./helpers/bad-reloads.ts";

describe("bad input on reload: rejected, named, and the kernel table untouched", () => {
  let lab: Lab;
  let d1: Host;
  let agent: UmlAgent;
  before(async () => {
    lab = Lab.create([{ name: "d1", addr: `${NET}.11/24` }]);
    d1 = lab.host("d1");
    agent = await startAgent(d1, { virtualServers: BASE });
    await agent.ready();
  });
  after(async () => {
    await agent?.stop().catch(() => undefined);
    agent?.cleanup();
    lab?.destroy();
  });

  /** A reload with vss added: exit 1, each of says in the answer, the kernel table as it was. */
  async function rejected(vss: VirtualServers, says: string[]): Promise<void> {
    const before = ipvsadm(d1, "-Ln");
    const from = agent.lines.length;
    agent.fragment("10-bad.json", { virtualServers: vss });
    try {
      const r = await agent.cli("reload");
      assert.equal(r.code, 1, `reload should fail:\n${r.stdout}${r.stderr}`);
      for (const s of says) assert.ok(r.stderr.includes(s), `"${s}" not in:\n${r.stderr}`);
      assert.equal(ipvsadm(d1, "-Ln"), before);
      await agent.waitEvent("agent.reload", 5000, (e) => Array.isArray(e.problems), from);
      assert.deepEqual(agent.events("ipvs.reconcile", from), []);
    } finally {
      agent.fragment("10-bad.json", undefined);
    }
  }

  for (const bad of BAD.filter((b) => b.kernel)) {
    test(`${bad.what}: lvs-agent reload exits 1 naming the service; ipvsadm -Ln byte-identical`, async () => {
      await rejected(bad.vss, bad.says);
    });
  }

  test("several at once: every config problem is listed in one answer; ipvsadm -Ln byte-identical", async () => {
    await rejected(
      Object.assign({}, ...BAD.map((b) => b.vss)) as VirtualServers,
      BAD.filter((b) => !b.kernel).flatMap((b) => b.says),
    );
  });

  test("after the rejections the agent still runs its config, and a good fragment is applied", async () => {
    const from = agent.lines.length;
    agent.fragment("20-good.json", {
      virtualServers: {
        api: { address: VIP, port: 8080, scheduler: "lc", realServers: [{ address: RS1, weight: 5 }] },
      },
    });
    const r = await agent.cli("reload");
    assert.equal(r.code, 0, r.stderr);
    assert.match(ipvsadm(d1, "-Ln"), new RegExp(`TCP  ${VIP}:8080 lc\n  -> ${RS1}:8080 +Route +5 `));
    await agent.waitEvent("ipvs.reconcile", 5000, () => true, from);
    assert.deepEqual(
      (await agent.status()).virtualServers?.map((v) => v.name),
      ["web", "dns", "api"],
    );
  });
});
