// Bad input on reload, against the real agent and real IPVS (inside user-mode Linux): each bad
// fragment makes `lvs-agent reload` exit 1 naming the virtual server, and the kernel table stays
// byte-identical; a good fragment afterwards is applied (so the reload path itself works).
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { AgentConfigInput } from "../../agent/src/config/schema.ts";
import { Lab, type Host } from "../helpers/netns.ts";
import { ipvsadm, startAgent, type UmlAgent } from "./helpers/agent.ts";

const NET = "10.36.0";
const VIP = `${NET}.100`;
const RS1 = `${NET}.21`;

type VirtualServers = NonNullable<AgentConfigInput["virtualServers"]>;

/**
 * Each bad fragment, the virtual server it adds and what the rejection must say about it. `kernel`:
 * found by asking the kernel, which the agent does only for a config that is otherwise valid.
 */
const BAD: { what: string; vss: VirtualServers; says: string[]; kernel?: boolean }[] = [
  {
    what: "a duplicate service",
    vss: { web2: { address: VIP, port: 80, realServers: [{ address: RS1 }] } },
    says: ["virtualServers.web2", `${VIP}:80 is the same service as virtualServers.web`],
  },
  {
    what: "a scheduler the kernel lacks",
    vss: { odd: { address: VIP, port: 8443, scheduler: "nosuch", realServers: [{ address: RS1 }] } },
    says: ["virtualServers.odd.scheduler", '"nosuch"'],
    kernel: true,
  },
  {
    what: "a weight out of range",
    vss: { heavy: { address: VIP, port: 8080, realServers: [{ address: RS1, weight: 70000 }] } },
    says: ["virtualServers.heavy.realServers[0].weight"],
  },
  {
    what: "an IPv6 address",
    vss: { v6: { address: "2001:db8::1", port: 80, realServers: [{ address: RS1 }] } },
    says: ["virtualServers.v6.address", "IPv4"],
  },
];

describe("bad input on reload: rejected, named, and the kernel table untouched", () => {
  let lab: Lab;
  let d1: Host;
  let agent: UmlAgent;
  before(async () => {
    lab = Lab.create([{ name: "d1", addr: `${NET}.11/24` }]);
    d1 = lab.host("d1");
    agent = await startAgent(d1, {
      virtualServers: {
        web: { address: VIP, port: 80, scheduler: "wrr", realServers: [{ address: RS1, weight: 2 }] },
        dns: { address: VIP, port: 53, protocol: "UDP", scheduler: "sh", realServers: [{ address: RS1 }] },
      },
    });
    await agent.ready();
  });
  after(async () => {
    await agent?.stop().catch(() => undefined);
    agent?.cleanup();
    lab?.destroy();
  });

  for (const bad of BAD) {
    test(`${bad.what}: lvs-agent reload exits 1 naming the service; ipvsadm -Ln byte-identical`, async () => {
      const before = ipvsadm(d1, "-Ln");
      const from = agent.lines.length;
      agent.fragment("10-bad.json", { virtualServers: bad.vss });
      try {
        const r = await agent.cli("reload");
        assert.equal(r.code, 1, `reload should fail:\n${r.stdout}${r.stderr}`);
        for (const s of bad.says) assert.ok(r.stderr.includes(s), `"${s}" not in:\n${r.stderr}`);
        assert.equal(ipvsadm(d1, "-Ln"), before);
        await agent.waitEvent("agent.reload", 5000, (e) => Array.isArray(e.problems), from);
        assert.deepEqual(agent.events("ipvs.reconcile", from), []);
      } finally {
        agent.fragment("10-bad.json", undefined);
      }
    });
  }

  test("several at once: every config problem is listed in one answer", async () => {
    const before = ipvsadm(d1, "-Ln");
    agent.fragment("10-bad.json", { virtualServers: Object.assign({}, ...BAD.map((b) => b.vss)) as VirtualServers });
    try {
      const r = await agent.cli("reload");
      assert.equal(r.code, 1);
      for (const s of BAD.filter((b) => !b.kernel).flatMap((b) => b.says)) assert.ok(r.stderr.includes(s), `"${s}" not in:\n${r.stderr}`);
      assert.equal(ipvsadm(d1, "-Ln"), before);
    } finally {
      agent.fragment("10-bad.json", undefined);
    }
  });

  test("after the rejections the agent still runs its config, and a good fragment is applied", async () => {
    const from = agent.lines.length;
    agent.fragment("20-good.json", { virtualServers: { api: { address: VIP, port: 8080, scheduler: "lc", realServers: [{ address: RS1, weight: 5 }] } } });
    const r = await agent.cli("reload");
    assert.equal(r.code, 0, r.stderr);
    assert.match(ipvsadm(d1, "-Ln"), new RegExp(`TCP  ${VIP}:8080 lc\n  -> ${RS1}:8080 +Route +5 `));
    await agent.waitEvent("ipvs.reconcile", 5000, () => true, from);
    assert.deepEqual((await agent.status()).virtualServers?.map((v) => v.name), ["web", "dns", "api"]);
  });
});
