// Applying operations against a fake host: order, the step named in errors, and the rollback of what
// this call changed (or the honest note when the rollback itself cannot run).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Connection } from "../host/connection.ts";
import { HostSession, type Remote } from "../host/executor.ts";
import type { Op } from "../host/state.ts";
import { applyOps } from "./prep-apply.ts";
import { prepPaths } from "./prep-commands.ts";

const paths = prepPaths("10.0.0.11");

/** Records what runs; commands matching failOn fail, and after the first failure everything fails when `lost`. */
function fakeHost(failOn: RegExp, lost = false) {
  const log: string[] = [];
  let broken = false;
  const run = async (what: string) => {
    if (broken || failOn.test(what)) {
      broken = lost;
      throw new Error(`${JSON.stringify(what.slice(0, 40))} exited 2 on 10.0.0.11:22: RTNETLINK answers: Operation not permitted`);
    }
    log.push(what);
  };
  const remote: Remote = {
    label: "10.0.0.11:22",
    exec: async (cmd) => (await run(cmd), { code: 0, stdout: "", stderr: "" }),
    check: async (cmd) => (await run(cmd), ""),
    writeFile: async (path) => run(`write ${path}`),
    readFile: async () => undefined,
    close: async () => {},
  };
  const conn = Connection.parse({ host: "10.0.0.11", password: "pw-secret", insecureIgnoreHostKey: true });
  return { host: new HostSession(conn, remote), log };
}

const OPS: Op[] = [
  { kind: "record", content: "{}\n", was: undefined },
  { kind: "sysctl", key: "net.ipv4.conf.all.arp_ignore", value: 1, was: 0 },
  { kind: "addr-add", address: "10.0.0.100/32", device: "lo" },
  { kind: "file-write", path: "/etc/sysctl.d/90-lvs-web.conf", content: "x\n", was: undefined },
];

describe("applyOps", () => {
  it("runs every operation in order and reports each one done", async () => {
    const { host, log } = fakeHost(/^$/);
    const done: string[] = [];
    await applyOps(host, paths, OPS, (op) => void done.push(op.kind));
    assert.deepEqual(done, ["record", "sysctl", "addr-add", "file-write"]);
    assert.deepEqual(log.filter((l) => !l.startsWith("mkdir")), [
      "write /var/lib/lvs-provider/host-prep.json",
      "printf '%s\\n' 1 > /proc/sys/net/ipv4/conf/all/arp_ignore",
      "PATH=$PATH:/usr/sbin:/sbin; ip addr replace 10.0.0.100/32 dev lo",
      "write /etc/sysctl.d/90-lvs-web.conf",
    ]);
  });

  it("a failing step: the changes before it are undone in reverse, and the error names host, step and the rollback", async () => {
    const { host, log } = fakeHost(/ip addr replace/);
    await assert.rejects(applyOps(host, paths, OPS), (err: Error) => {
      assert.equal(err.message, `host 10.0.0.11: step 'add 10.0.0.100/32 on lo': "PATH=$PATH:/usr/sbin:/sbin; ip addr repl" exited 2 on 10.0.0.11:22: RTNETLINK answers: Operation not permitted; the 2 change(s) made before it were rolled back`);
      return true;
    });
    assert.deepEqual(log.slice(-2), ["printf '%s\\n' 0 > /proc/sys/net/ipv4/conf/all/arp_ignore", "rm -f -- /var/lib/lvs-provider/host-prep.json"]);
  });

  it("the first step failing changed nothing, and says so", async () => {
    const { host } = fakeHost(/host-prep/);
    await assert.rejects(applyOps(host, paths, OPS), /step 'write the state record': .*; nothing was changed$/);
  });

  it("when the rollback cannot run either (connection lost), the error says so and that a re-run converges", async () => {
    const { host } = fakeHost(/ip addr replace/, true);
    await assert.rejects(applyOps(host, paths, OPS), /step 'add 10\.0\.0\.100\/32 on lo': .*; rolling back failed \(set net\.ipv4\.conf\.all\.arp_ignore=0 \(was 1\): .*; remove the state record: .*\); run the operation again to converge$/);
  });
});
