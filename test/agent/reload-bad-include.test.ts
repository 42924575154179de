// Bad reloads of a keepalived.conf, as issue 13 found them: SIGHUP after the file gained an include
// whose glob is not a valid pattern, one of /dev/zero, and one of a file of secret lines. The running
// agent must take none of them: it keeps running, keeps its instance MASTER and its VIP, and logs the
// rejection with file:line (never the secret); `lvs-agent validate` says the same and exits 1.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Lab, isRoot } from "../helpers/netns.ts";
import { runAgent, stateDir } from "../helpers/agent.ts";
import { lvsAgent, nextReload, records, transitions } from "./fixtures/ops.ts";

const NET = "10.75.0";
const VIP = `${NET}.100`;
const instance = `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 75
  priority 150
  advert_int 1
  virtual_ipaddress {
    ${VIP}/24
  }
}
`;
const SECRET_LINES = ["-----BEGIN PRIVATE KEY-----", "MIIEvQIBADANBgkqhkiG9w0BAQ", "-----END PRIVATE KEY-----"];

test(
  "a bad include on SIGHUP is rejected with file:line; the agent runs on and keeps its VIP",
  { skip: !isRoot && "needs root", timeout: 90_000 },
  async () => {
    const lab = Lab.create([{ name: "d1", addr: `${NET}.11/24` }]);
    try {
      const d1 = lab.host("d1");
      const dir = stateDir(d1, "agent");
      const conf = join(dir, "keepalived.conf");
      const socket = join(dir, "agent.sock");
      writeFileSync(conf, instance);
      writeFileSync(join(dir, "key.pem"), `${SECRET_LINES.join("\n")}\n`);
      const a = runAgent(d1, [
        "--keepalived-conf",
        conf,
        "--socket",
        socket,
        "--state-dir",
        dir,
        "--metrics-listen",
        "",
      ]);
      await a.waitState("VI_1", "MASTER", 15_000);
      assert.ok(d1.hasAddr(VIP));
      const settled = a.lines.length;

      const cases: { include: string; expect: RegExp }[] = [
        { include: `include ${dir}/[x`, expect: /keepalived\.conf:11: .*\[x.*not a valid pattern/ },
        { include: "include /dev/zero", expect: /keepalived\.conf:11: .*\/dev\/zero.*not a regular file/ },
        { include: `include ${dir}/key.pem`, expect: /key\.pem:1: / },
      ];
      for (const c of cases) {
        writeFileSync(conf, `${instance}\n${c.include}\n`);
        const from = a.lines.length;
        a.signal("SIGHUP");
        const logged = await nextReload(a, from, 20_000);
        const problems = (logged.problems as string[] | undefined) ?? [];
        assert.equal(logged.level, "error", JSON.stringify(logged));
        assert.ok(
          problems.some((p) => c.expect.test(p)),
          `${c.include}: no problem matches ${c.expect}: ${JSON.stringify(logged)}`,
        );
        // The process must outlive the reload: give an unhandled rejection time to end it.
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(a.child.exitCode, null, `${c.include}: the agent exited`);
        assert.equal(a.child.signalCode, null, `${c.include}: the agent was killed`);
        assert.ok(d1.hasAddr(VIP), `${c.include}: the VIP is gone`);
        const v = await lvsAgent(d1, ["validate", "--keepalived-conf", conf]);
        assert.equal(v.code, 1, `validate ${c.include}: ${v.stdout}${v.stderr}`);
        assert.match(v.stderr, c.expect, `validate ${c.include}`);
      }
      assert.deepEqual(transitions(a, "VI_1", settled), [], "VI_1 changed state on a rejected reload");
      assert.ok(!records(a).some((r) => r.event === "agent.fatal"), "the agent logged a fatal error");
      const everything = a.lines.map((l) => l.text).join("\n");
      for (const secret of SECRET_LINES.slice(1, 2))
        assert.ok(!everything.includes(secret), `the log shows a line of the included key: ${secret}`);
      const v = await lvsAgent(d1, ["validate", "--keepalived-conf", conf]);
      for (const secret of SECRET_LINES.slice(1, 2))
        assert.ok(!(v.stdout + v.stderr).includes(secret), `validate shows a line of the included key: ${secret}`);

      // Put right, the same agent reloads it as ever.
      writeFileSync(conf, instance);
      const from = a.lines.length;
      a.signal("SIGHUP");
      const ok = await nextReload(a, from);
      assert.equal(ok.level, "info", JSON.stringify(ok));
      assert.ok(d1.hasAddr(VIP));
      a.signal("SIGTERM");
      assert.equal(await a.exited(10_000), 0);
    } finally {
      lab.destroy();
    }
  },
);
