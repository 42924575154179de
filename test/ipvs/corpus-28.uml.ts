// Corpus file 28 (../shared/keepalived-corpus, read in place) run as it is by the real agent inside
// user-mode Linux: 157 TUN virtual servers with alpha, omega and quorum scripts, one of them IPv6 and
// one on port 0. The agent must program every service over generic netlink (ipvsadm is the oracle),
// keep every real server out (alpha: none of them is reachable from this lab, so no check passes),
// run no quorum script at start, and on SIGTERM remove its services, running quorum_down for the
// omega ones (as nobody, the file names no script_user: `ip addr del` is refused, and logged).
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Lab } from "../helpers/netns.ts";
import { Watched } from "../helpers/procs.ts";
import { agentBundle } from "./helpers/bundle.ts";
import { REPO, ipvsadm, parseRecord, sleep, type LogRecord } from "./helpers/agent.ts";

const FILE = join(REPO, "../shared/keepalived-corpus/28-lvs-tun-ssl-http-quorum-updown.conf");
const DIR = "/run/lvs-corpus-28";
const skip = existsSync(FILE) ? false : `no corpus at ${FILE}`;

describe("corpus file 28 as it is: 157 TUN services, IPv6 and port 0 among them", { skip }, () => {
  let lab: Lab;
  let agent: Watched;
  const records = () => agent.lines.map((l) => parseRecord(l.text)).filter((r): r is LogRecord => !!r);
  const services = () =>
    ipvsadm(lab.host("d1"), "-Ln")
      .split("\n")
      .filter((l) => /^(TCP|UDP) /.test(l));

  before(async () => {
    lab = Lab.create([{ name: "d1", addr: "10.37.0.11/24" }]);
    rmSync(DIR, { recursive: true, force: true });
    mkdirSync(DIR, { recursive: true });
    const bundle = await agentBundle(REPO, DIR);
    const args = ["run", "--keepalived-conf", FILE, "--config-id", "d1", "--socket", join(DIR, "agent.sock")];
    agent = new Watched(
      lab
        .host("d1")
        .spawn(process.execPath, [bundle, ...args, "--state-dir", join(DIR, "state"), "--metrics-listen", ""], {
          cwd: REPO,
        }),
    );
    await agent.waitLine((l) => parseRecord(l.text)?.event === "agent.start", 120_000, "agent.start");
  });

  after(async () => {
    if (agent && agent.child.exitCode === null) {
      agent.signal("SIGKILL");
      await agent.exited(5000).catch(() => undefined);
    }
    lab?.destroy();
    rmSync(DIR, { recursive: true, force: true });
  });

  test("every service is in the kernel, IPv6 and port 0 as ipvsadm lists them, and no real server (alpha)", async () => {
    await sleep(5000); // a round of checks (delay_loop 5 and 10), all failing
    const list = services();
    assert.equal(list.length, 157, list.join("\n"));
    assert.ok(list.includes("TCP  [2001:67c:25d0:a00::18]:443 rr"), list.join("\n"));
    assert.ok(list.includes("TCP  193.232.151.166:0 lc persistent 3600"), list.join("\n"));
    assert.equal(
      ipvsadm(lab.host("d1"), "-Ln")
        .split("\n")
        .filter((l) => l.includes("->")).length,
      1,
      "header only",
    );
    assert.deepEqual(
      records().filter((r) => r.event === "ipvs.quorum"),
      [],
    );
  });

  test("SIGTERM: the services go, quorum_down runs for the omega ones", async () => {
    agent.signal("SIGTERM");
    assert.equal(await agent.exited(120_000), 0);
    assert.equal(services().length, 0);
    // Every virtual server of the file has omega; each quorum_down ran once, and as nobody ip refused it.
    const named = readFileSync(FILE, "utf8").match(/^\s*quorum_down\s/gm)?.length ?? 0;
    const downs = records().filter((r) => String(r.command ?? "").includes("addr del"));
    assert.equal(downs.length, named, JSON.stringify(downs.slice(0, 3)));
    assert.ok(named > 60);
  });
});
