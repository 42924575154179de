// The lab end to end through the real Pulumi CLI (built by scripts/install-pulumi.sh): `lvsctl lab up`
// deploys a cluster on user-mode Linux directors and namespace real servers with `pulumi up`; the
// client's requests are balanced over both real servers; the master fails over; hand edits show in
// `pulumi preview --refresh --diff` and `pulumi up --refresh` repairs them; `pulumi destroy` puts the
// hosts back; `lab down` leaves nothing. Each step runs lvsctl as a user would, with --json.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AGENT_VERSION } from "../../agent/src/version.ts";
import { HAND_VERSION, type DriftReport, type FailoverReport, type PreviewReport } from "../../lvsctl/src/lab/commands.ts";
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

/**
 * The steps a `pulumi preview --diff` plans, by resource type (one of each in the lab changes at a
 * time): the text of each "~ lvs:index:<Type>: (update)" block, after the refresh part.
 */
function planned(preview: string): Record<string, string> {
  const plan = preview.slice(preview.lastIndexOf("pulumi:pulumi:Stack: (same)"));
  const blocks = plan.split(/\n(?=\s*[~+-]\s+lvs:index:\w+: \()/).slice(1);
  return Object.fromEntries(blocks.map((b) => [/lvs:index:(\w+): \(/.exec(b)![1]!, b.replace(/\nResources:[\s\S]*$/, "")]));
}

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

    // 3. drift: the real `pulumi preview --refresh --diff` names each hand edit by resource and
    // property, with the host's value and the program's
    const d = json<DriftReport>("drift");
    t.diagnostic(`hand edits:\n${d.edits.join("\n")}`);
    const plan = planned(d.preview);
    assert.match(plan.RealServer ?? "", /~ arpIgnore: 0 => 1/, "arp_ignore set to 0 on rs1");
    assert.match(plan.RealServer ?? "", /~ vips\s*: \[\s*\+ \[0\]: "10\.\d+\.0\.100"/, "the loopback VIP deleted on rs1");
    assert.match(plan.Vip ?? "", /~ directors: \[\s*~ \[\d\]: \{\s*~ priority: 201 => (150|99)/, "the VIP's fragment edited on the master");
    assert.match(plan.Director ?? "", new RegExp(`~ agentVersion: "${HAND_VERSION}" => "${AGENT_VERSION}"`), "another agent version on the backup");
    assert.match(plan.Director ?? "", /- drift\s*: \[\s*-\s+\[0\]: "lib\/lvs-agent\.mjs: sha256 /, "the install's modified file, which no input shows");
    assert.equal(plan.VirtualServer, undefined, "the IPVS weight edited by ipvsadm -e: the agent put it back itself");
    assert.equal(d.changes.update, 3, JSON.stringify(d.changes));

    // 4. pulumi up --refresh repairs every edit; then a preview plans nothing
    const repair = lvsctl("repair");
    assert.equal(repair.code, 0, repair.err);
    const s2 = status();
    assert.deepEqual(s2.directors.map((x) => x.state).sort(), ["BACKUP", "MASTER"]);
    assert.equal(s2.realServers[0]!.arpIgnore, "1");
    assert.deepEqual(s2.realServers[0]!.loopback, [`${s2.vip}/32`]);
    const after = json<PreviewReport>("preview");
    assert.deepEqual(planned(after.preview), {}, after.preview);
    assert.equal(after.changes.update ?? 0, 0, JSON.stringify(after.changes));

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
