// The examples as users run them, through the real Pulumi CLI on lab hosts (`lvsctl lab up --hosts-only`):
// each example's index.ts in a project of its own outside the repository, with the packaged SDK and
// plugin, SSH from the provider's `lvs:` config and the hosts from the stack's config.
// - examples/dr-cluster: `pulumi up`, then VRRP has one master, both real servers are up and the client
//   is answered through the VIP; a second preview shows no change; `pulumi destroy`.
// - examples/nat-cluster: `pulumi preview` only (the lab is one flat subnet: NAT needs the real servers
//   to route back through the director).
// (examples/multi-site runs in test/engine/rollout.test.ts.)
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { assertDownLeftNothing, labSkip as skip, lvsctl as lab } from "./lab-cli.ts";
import { UserProject } from "./user-project.ts";
import { ssh } from "../../lvsctl/src/lab/access.ts";
import { labDir, readRecord } from "../../lvsctl/src/lab/record.ts";
import { byRole, topology } from "../../lvsctl/src/lab/topology.ts";
import { AGENT } from "../../lvsctl/src/lab/observe.ts";
import { waitFor } from "../helpers/netns.ts";

const NAME = `x${process.pid % 1_000_000}`;
const example = (name: string) => readFileSync(new URL(`../../examples/${name}/index.ts`, import.meta.url), "utf8");

interface Status {
  instances: { name: string; state: string }[];
  virtualServers?: { name: string; dests: { address: string; health: string }[] }[];
}

test("the examples deploy on lab hosts from a project of their own", { skip, timeout: 1_800_000 }, async () => {
  const made = lab(NAME, "up", "--hosts-only");
  try {
    assert.equal(made.code, 0, made.err);
    const rec = readRecord(NAME)!;
    const t = topology(rec.options, rec.slot);
    const directors = byRole(t, "director");
    const realServers = byRole(t, "realServer");
    const user = UserProject.create(NAME);
    try {
      const setList = (key: string, values: string[]) =>
        values.forEach((v, i) => user.must("config", "set", "--path", `${key}[${i}]`, v));
      setList(
        "directors",
        directors.map((h) => h.address),
      );
      setList(
        "realServers",
        realServers.map((h) => h.address),
      );
      user.must("config", "set", "vip", t.vip);

      // dr-cluster: up, then what the hosts do
      writeFileSync(join(user.dir, "index.ts"), example("dr-cluster"));
      assert.equal(user.typecheck("index.ts").code, 0, user.typecheck("index.ts").out);
      const up = user.must("up", "--yes", "--skip-preview");
      assert.match(up, /lvs:index:VirtualServer +dr-http +created/);
      assert.match(up, /\+ 8 created/);
      const status = (h: (typeof directors)[number]) =>
        JSON.parse(ssh(t, labDir(NAME), h, `${AGENT} status --json`).stdout || "{}") as Status;
      await waitFor(
        () => {
          const all = directors.map(status);
          const masters = all.filter((s) => s.instances?.[0]?.state === "MASTER").length;
          const dests = all.flatMap((s) => s.virtualServers?.[0]?.dests ?? []).filter((d) => d.health === "up");
          return masters === 1 && dests.length >= 2;
        },
        60_000,
        "one master and both real servers up",
      );
      const client = byRole(t, "client")[0]!;
      const answer = fetchIn(client.ns, `http://${t.vip}/`);
      assert.match(answer, /rs\d/, "the client is answered by a real server through the VIP");
      assert.equal(user.pulumi("preview", "--expect-no-changes").code, 0, "no change after up");
      user.must("destroy", "--yes", "--skip-preview");

      // nat-cluster: preview only
      user.must("config", "set", "gateway", `${t.net}.250/24`);
      user.must("config", "set", "sorryServer", `${t.net}.99`);
      user.must("config", "set", "insideInterface", "eth0");
      writeFileSync(join(user.dir, "index.ts"), example("nat-cluster"));
      assert.equal(user.typecheck("index.ts").code, 0);
      const preview = user.must("preview");
      assert.match(preview, /\+ +lvs:index:VirtualServer +nat-http +create/);
      assert.match(preview, /\+ +lvs:index:Vip +nat-gateway +create/);
      assert.match(preview, /\+ 9 to create/);
    } finally {
      user.remove();
    }
  } finally {
    assertDownLeftNothing(NAME);
  }
});

/** An HTTP GET from inside a namespace (node's fetch), its body. */
function fetchIn(ns: string, url: string): string {
  const script = `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(5000) }).then((r) => r.text()).then(console.log)`;
  return spawnSync("ip", ["netns", "exec", ns, process.execPath, "-e", script], { encoding: "utf8" }).stdout;
}
