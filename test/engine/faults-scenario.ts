// Provider and engine faults through the real Pulumi CLI, on lab hosts running the dr-cluster example
// (examples.test.ts made the lab, the user project and its config, and left the hosts clean):
// - `pulumi up` killed (SIGKILL, as a stopped CI runner) while a director's bundle uploads: the plugin,
//   left without its engine, stops the install and exits; no upload stage is left; the stack's lock
//   left behind is named by the next `pulumi up`, and `pulumi cancel` removes it;
// - the next `pulumi up` with a director's link cut mid-upload (a host vanishing mid-apply): it fails
//   naming that host and the step, once SSH keepalives go unanswered;
// - the next `pulumi up`, link restored, converges: one master, both real servers up, the client answered
//   through the VIP, no stage left anywhere;
// - `pulumi destroy --continue-on-error` with a real server gone: everything else is destroyed, the error
//   names the host and step, and the state keeps only what could not be removed.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert/strict";
import { ssh } from "../../lvsctl/src/lab/access.ts";
import { execIn } from "../../lvsctl/src/lab/netns.ts";
import { labDir, readRecord } from "../../lvsctl/src/lab/record.ts";
import { byRole, type LabHost, type Topology } from "../../lvsctl/src/lab/topology.ts";
import { waitFor } from "../helpers/netns.ts";
import { childrenOf } from "../helpers/sshd.ts";
import type { UserProject } from "./user-project.ts";

const STAGES = "ls -d /opt/lvs-agent/versions/.incoming-* 2>/dev/null || true";
const escaped = (s: string) => s.replaceAll(".", "\\.");

/** PIDs of the lvs plugin processes whose parent is pid. */
const pluginsOf = (pid: number): number[] =>
  childrenOf(pid).filter((c) => {
    try {
      return readFileSync(`/proc/${c}/cmdline`, "utf8").includes("pulumi-resource-lvs");
    } catch {
      return false;
    }
  });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

/** A program of one real server on config host, for config vip (its files on the host named by config name). */
const REAL_SERVER_ONLY = `import * as pulumi from "@pulumi/pulumi";
import * as lvs from "@pulumi/lvs";
const c = new pulumi.Config();
new lvs.RealServer(c.require("name"), { address: c.require("host"), vips: [c.require("vip")], connection: { host: c.require("host") } });
`;

async function twoStacksAtOnce(
  labName: string,
  t: Topology,
  user: UserProject,
  rs1: LabHost,
  onHost: (h: LabHost, script: string) => { code: number; stdout: string },
): Promise<void> {
  const pins = JSON.parse(readFileSync(join(labDir(labName), "host-keys.json"), "utf8")) as Record<string, string>;
  writeFileSync(join(user.dir, "index.ts"), REAL_SERVER_ONLY);
  const vips = { a: `${t.net}.150`, b: `${t.net}.151` };
  for (const [stack, vip] of Object.entries(vips)) {
    user.initStack(stack, pins);
    user.must("config", "set", "host", rs1.address);
    user.must("config", "set", "vip", vip);
    user.must("config", "set", "name", `extra-${stack}`);
  }
  const onLo = () => onHost(rs1, "ip -4 -o addr show dev lo").stdout;
  const both = (op: string) =>
    Promise.all(Object.keys(vips).map((stack) => user.start(op, "--yes", "--skip-preview", "--stack", stack).exited));
  for (const r of await both("up")) assert.equal(r.code, 0, r.out + r.err);
  for (const vip of [t.vip, vips.a, vips.b]) assert.match(onLo(), new RegExp(`inet ${escaped(vip)}/32`));
  for (const r of await both("destroy")) assert.equal(r.code, 0, r.out + r.err);
  assert.doesNotMatch(onLo(), new RegExp(`${escaped(vips.a)}/|${escaped(vips.b)}/`), "both stacks' VIPs are gone");
  assert.match(onLo(), new RegExp(`inet ${escaped(t.vip)}/32`), "the cluster's VIP stays");
  assert.equal(
    onHost(rs1, "cat /proc/sys/net/ipv4/conf/all/arp_ignore").stdout.trim(),
    "1",
    "the cluster's ARP settings stay",
  );
}

export async function faultsScenario(
  labName: string,
  t: Topology,
  user: UserProject,
  ready: () => Promise<void>,
  say: (line: string) => void,
): Promise<void> {
  const directors = byRole(t, "director");
  const [rs1, rs2] = byRole(t, "realServer") as [LabHost, LabHost];
  const onHost = (h: LabHost, script: string) => ssh(t, labDir(labName), h, script);
  const dr = readFileSync(join(user.dir, "index.ts"), "utf8");
  const stagesOn = (h: LabHost) => onHost(h, STAGES).stdout.trim();
  const uploading = () => directors.find((h) => stagesOn(h) !== "");

  // 1. pulumi killed mid-upload: its plugin stops the install (undo: the stage goes) and exits
  const killed = user.start("up", "--yes", "--skip-preview");
  let target: LabHost | undefined;
  await waitFor(() => (target = uploading()) !== undefined, 180_000, "a bundle upload to start", 200);
  const plugins = pluginsOf(killed.pid);
  assert.ok(plugins.length > 0, "the plugin runs as pulumi's child");
  process.kill(killed.pid, "SIGKILL");
  await killed.exited;
  const t0 = Date.now();
  await waitFor(() => !plugins.some(alive), 60_000, "the plugin to exit once pulumi is gone", 100);
  say(`pulumi killed while uploading to ${target!.name}: its plugin exited ${Date.now() - t0} ms later`);
  for (const h of directors) assert.equal(stagesOn(h), "", `no upload stage left on ${h.name}`);

  // The killed run left the file backend's stack lock: pulumi refuses and says how to remove it.
  const refused = user.pulumi("up", "--yes", "--skip-preview");
  assert.notEqual(refused.code, 0, "the stack is still locked");
  assert.match(refused.out + refused.err, /the stack is currently locked by 1 lock\(s\)[^]*pulumi cancel/);
  user.must("cancel", "--yes");

  // 2. a director vanishes mid-upload (its bridge port disabled, as a pulled cable): the update fails
  // naming it and the step, once keepalives go unanswered
  const vanishing = user.start("up", "--yes", "--skip-preview");
  let ended = false;
  void vanishing.exited.then(() => (ended = true));
  await waitFor(() => ended || (target = uploading()) !== undefined, 180_000, "a bundle upload to start again", 200);
  if (ended) assert.fail(`pulumi up ended before uploading:\n${vanishing.output()}`);
  const port = (state: string) => execIn(t.switchNs, "bridge", ["link", "set", "dev", target!.link, "state", state]);
  port("0");
  const cut = Date.now();
  let failed;
  try {
    failed = await vanishing.exited;
  } finally {
    port("3");
  }
  const shown = failed.out + failed.err;
  say(`${target!.name} cut off mid-upload: pulumi up exited ${failed.code} after ${Date.now() - cut} ms`);
  assert.notEqual(failed.code, 0, shown);
  assert.match(
    shown,
    new RegExp(`host ${escaped(target!.address)}: step '[^']+': .*no answer to 3 SSH keepalives`),
    "the error names the host, the step and why",
  );

  // 3. the next up converges, and no stage is left (the vanished one's is removed by the next upload)
  const converged = user.pulumi("up", "--yes", "--skip-preview");
  assert.equal(converged.code, 0, converged.out + converged.err);
  await ready();
  for (const h of directors) assert.equal(stagesOn(h), "", `no upload stage left on ${h.name}`);

  // 4. two `pulumi up` at once against one host (two stacks, each a real server on rs1 for its own VIP,
  // beside the cluster's): serialised by the host's lock, both land and the shared preparation record
  // holds all three; two destroys at once then take exactly their own VIPs away
  await twoStacksAtOnce(labName, t, user, rs1, onHost);
  writeFileSync(join(user.dir, "index.ts"), dr);
  user.must("stack", "select", "user");

  // 5. destroy with a real server gone: the rest is destroyed; the state keeps only what could not be
  const sshd = readRecord(labName)!.processes.find((p) => p.what === `${rs2.name} sshd`)!;
  process.kill(sshd.pid, "SIGKILL");
  const destroyed = user.pulumi("destroy", "--yes", "--skip-preview", "--continue-on-error");
  const out = destroyed.out + destroyed.err;
  say(
    `destroy with ${rs2.name} gone: exit ${destroyed.code}; ${out
      .split("\n")
      .find((l) => l.includes("error: host"))
      ?.trim()}`,
  );
  assert.notEqual(destroyed.code, 0, out);
  assert.match(out, new RegExp(`host ${escaped(rs2.address)}: step 'connect': cannot reach`));
  for (const h of directors) assert.equal(onHost(h, "test -e /opt/lvs-agent").code, 1, `agent removed from ${h.name}`);
  assert.equal(onHost(rs1, "cat /proc/sys/net/ipv4/conf/all/arp_ignore").stdout.trim(), "0", "rs1 restored");
  const left = (
    JSON.parse(user.must("stack", "export")) as {
      deployment: { resources: Array<{ type: string; urn: string; custom?: boolean }> };
    }
  ).deployment.resources
    .filter((r) => r.custom && r.type.startsWith("lvs:index:"))
    .map((r) => r.urn.split("::").pop());
  assert.deepEqual(left, ["dr-http-rs2"], "only the real server that could not be reached stays in the state");
}
