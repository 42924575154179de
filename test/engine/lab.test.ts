// The lab end to end through the real Pulumi CLI (built by scripts/install-pulumi.sh): `lvsctl lab up`
// deploys a cluster on user-mode Linux directors and namespace real servers with `pulumi up`; the
// client's requests are balanced over both real servers; the master fails over; hand edits show in
// `pulumi preview --refresh --diff` and `pulumi up --refresh` repairs them; `pulumi destroy` puts the
// hosts back; `lab down` leaves nothing. Each step runs lvsctl as a user would, with --json.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { DriftReport, FailoverReport } from "../../lvsctl/src/lab/commands.ts";
import type { LabView } from "../../lvsctl/src/lab/observe.ts";
import { assertDownLeftNothing, labSkip as skip, lvsctl as run, lvsctlJson } from "./lab-cli.ts";

const NAME = `e${process.pid % 1_000_000}`;
/** Master_Down_Interval for the backup (priority 99, advert 0.2 s): 3 x 0.2 + (256 - 99) / 256 x 0.2 s. */
const MASTER_DOWN_MS = 3 * 200 + ((256 - 99) / 256) * 200;
/** What the client may lose beyond it: a probe's 200 ms timeout, GARP, the engine's loaded machine. */
const MARGIN_MS = 3000;

const lvsctl = (...args: string[]) => run(NAME, ...args);
const json = <T>(...args: string[]) => lvsctlJson<T>(NAME, ...args);

const status = () => json<LabView>("status");

test("the lab through the real Pulumi CLI: up, failover, drift, repair, destroy, down", { skip, timeout: 1_500_000 }, async (t) => {
  try {
    // 1. up: both real servers answer through the VIP
    const up = json<{ phases: [string, number][]; balance: Record<string, number>; master?: string }>("up");
    t.diagnostic(`lab up phases (ms): ${JSON.stringify(up.phases)}`);
    assert.equal(up.master, "d1", "the director at priority 150 holds the VIP");
    assert.ok((up.balance.rs1 ?? 0) > 0 && (up.balance.rs2 ?? 0) > 0, `rr over both real servers: ${JSON.stringify(up.balance)}`);
    const s1 = status();
    assert.deepEqual(s1.directors.map((d) => d.state), ["MASTER", "BACKUP"]);
    for (const r of s1.realServers) {
      assert.equal(r.arpIgnore, "1", `${r.name} arp_ignore set by the provider`);
      assert.deepEqual(r.loopback, [`${s1.vip}/32`], `${r.name} VIP on lo`);
    }

    // 2. failover: the backup serves within Master_Down_Interval plus a margin
    const f = json<FailoverReport>("failover", "--crash");
    t.diagnostic(`crash failover: longest gap ${f.timeline.longestGapMs} ms, ${f.timeline.failed} failed requests`);
    assert.equal(f.takenOverBy, "d2");
    assert.ok(f.timeline.longestGapMs <= MASTER_DOWN_MS + MARGIN_MS, `gap ${f.timeline.longestGapMs} ms`);
    assert.ok(f.timeline.runs.at(-1)?.ok, "the client is answered at the end");

    // 3. drift: the real `pulumi preview --refresh --diff` shows each hand edit, as it does today
    const d = json<DriftReport>("drift");
    const p = d.preview;
    assert.match(p, /lvs:index:RealServer: \(refresh\)[\s\S]*~ net\.ipv4\.conf\.all\.arp_ignore\s*: 1 => 0/, "arp_ignore on rs1");
    assert.match(p, /~ loopbackVips\s*: \[\s*- \[0\]: "10\.\d+\.0\.100\/32"/, "the loopback VIP deleted on rs1");
    assert.match(p, /lvs:index:Director: \(refresh\)[\s\S]*~ running\s*: true => false/, "the stopped agent on d2");
    // Today the update the preview plans comes from the provider's stand-in inputs (prepare, agentVersion):
    assert.match(p, /~ lvs:index:RealServer: \(update\)/);
    assert.match(p, /~ lvs:index:Director: \(update\)/);
    assert.ok((d.changes.update ?? 0) >= 2, JSON.stringify(d.changes));

    // 4. pulumi up --refresh repairs every edit
    const repair = lvsctl("repair");
    assert.equal(repair.code, 0, repair.err);
    const s2 = status();
    assert.deepEqual(s2.directors.map((x) => x.state).sort(), ["BACKUP", "MASTER"]);
    assert.equal(s2.realServers[0]!.arpIgnore, "1");
    assert.deepEqual(s2.realServers[0]!.loopback, [`${s2.vip}/32`]);

    // 5. pulumi destroy puts the hosts' sysctls and addresses back, removes the agents
    const destroy = lvsctl("destroy");
    assert.equal(destroy.code, 0, `${destroy.err}\n${destroy.out.slice(-4000)}`);
    const s3 = status();
    for (const x of s3.directors) assert.equal(x.state, "no agent", `${x.name} agent removed`);
    for (const r of s3.realServers) {
      assert.equal(r.arpIgnore, "0", `${r.name} arp_ignore restored`);
      assert.equal(r.arpAnnounce, "0", `${r.name} arp_announce restored`);
      assert.deepEqual(r.loopback, [], `${r.name} VIP off lo`);
    }
  } finally {
    // 6. lab down leaves nothing: namespaces, guests, processes, files
    assertDownLeftNothing(NAME);
  }
});
