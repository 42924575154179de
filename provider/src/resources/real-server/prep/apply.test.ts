// Applying operations as batches run by a real /bin/sh (operations rendered as harmless commands that
// log themselves): order, the step named in errors, what one command carries, the rollback of what took
// effect (or the honest note when the rollback itself cannot run).
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Connection } from "../../../host/connection.ts";
import { shQuote } from "../../../host/commands.ts";
import { HostSession, type Remote } from "../../../host/executor.ts";
import type { Op } from "./record.ts";
import { applyOps } from "./apply.ts";
import { describeOp, prepPaths } from "./commands.ts";

const paths = prepPaths("10.0.0.11");
const tmp = mkdtempSync(join(tmpdir(), "lvs-prep-apply-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * A host whose commands run in a local /bin/sh. Operations log their description; those matching
 * failOn fail as `ip` would. With `lost`, every command after the first failing one never returns.
 */
function shellHost(failOn: RegExp, lost = false) {
  const dir = mkdtempSync(join(tmp, "host-"));
  const logFile = join(dir, "log");
  writeFileSync(logFile, "");
  const commands: string[] = [];
  let broken = false;
  const exec = async (cmd: string) => {
    if (broken) throw new Error("connection to 10.0.0.11:22 lost (connection closed)");
    commands.push(cmd);
    const r = spawnSync("/bin/sh", ["-c", cmd], { encoding: "utf8" });
    if (r.status !== 0 && lost) broken = true;
    return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
  };
  const remote: Remote = {
    label: "10.0.0.11:22",
    exec,
    check: async (cmd) => (await exec(cmd)).stdout,
    writeFile: async () => assert.fail("batches write files inline"),
    readFile: async () => assert.fail("batches read nothing"),
    close: async () => {},
  };
  const render = (op: Op) => {
    const what = describeOp(op);
    if (failOn.test(what)) return { cmd: "echo 'RTNETLINK answers: Operation not permitted' >&2; exit 2" };
    return { cmd: `echo ${shQuote(what)} >> ${shQuote(logFile)}` };
  };
  const conn = Connection.parse({ host: "10.0.0.11", password: "pw-secret", insecureIgnoreHostKey: true });
  return {
    host: new HostSession(conn, remote),
    render,
    commands,
    logFile,
    log: () =>
      readFileSync(logFile, "utf8")
        .split("\n")
        .filter((l) => l !== ""),
  };
}

const OPS: Op[] = [
  { kind: "record", content: "{}\n", was: undefined },
  { kind: "sysctl", key: "net.ipv4.conf.all.arp_ignore", value: 1, was: 0 },
  { kind: "addr-add", address: "10.0.0.100/32", device: "lo" },
  { kind: "file-write", path: "/etc/sysctl.d/90-lvs-web.conf", content: "x\n", was: undefined },
];

describe("applyOps", () => {
  it("carries every operation out in order in one command, reports each one done, then runs `then`", async () => {
    const h = shellHost(/^$/);
    const done: string[] = [];
    await applyOps(
      h.host,
      paths,
      OPS,
      { render: h.render, done: (op) => void done.push(op.kind) },
      `echo then-ran >> ${shQuote(h.logFile)}`,
    );
    assert.deepEqual(done, ["record", "sysctl", "addr-add", "file-write"]);
    assert.deepEqual(h.log(), [...OPS.map(describeOp), "then-ran"]);
    assert.equal(h.commands.length, 1);
  });

  it("breakAfter ends a batch after that operation; the rest follow in a second command", async () => {
    const h = shellHost(/^$/);
    await applyOps(h.host, paths, OPS, { render: h.render, breakAfter: (op) => op.kind === "sysctl" });
    assert.equal(h.commands.length, 2);
    assert.deepEqual(h.log(), OPS.map(describeOp));
  });

  it("a failing operation: those before it are undone in reverse, and the error names host, step and the rollback", async () => {
    const h = shellHost(/^add 10\.0\.0\.100/);
    await assert.rejects(applyOps(h.host, paths, OPS, { render: h.render }), (err: Error) => {
      assert.equal(
        err.message,
        `host 10.0.0.11: step 'add 10.0.0.100/32 on lo': "echo 'RTNETLINK answers: Operation not permitted' >&2; exit 2" exited 2 on 10.0.0.11:22: RTNETLINK answers: Operation not permitted; the 2 change(s) made before it were rolled back`,
      );
      return true;
    });
    assert.deepEqual(h.log(), [
      "write the state record",
      "set net.ipv4.conf.all.arp_ignore=1 (was 0)",
      "set net.ipv4.conf.all.arp_ignore=0 (was 1)",
      "remove the state record",
    ]);
  });

  it("the first operation failing changed nothing, and says so", async () => {
    const h = shellHost(/state record/);
    await assert.rejects(
      applyOps(h.host, paths, OPS, { render: h.render }),
      /step 'write the state record': .*; nothing was changed$/,
    );
    assert.deepEqual(h.log(), []);
  });

  it("a rollback goes on past an undo that fails and names it", async () => {
    const h = shellHost(/^(add 10\.0\.0\.100|set net\.ipv4\.conf\.all\.arp_ignore=0)/);
    await assert.rejects(
      applyOps(h.host, paths, OPS, { render: h.render }),
      /step 'add 10\.0\.0\.100\/32 on lo': .*; rolling back failed \(set net\.ipv4\.conf\.all\.arp_ignore=0 \(was 1\): exit 2: RTNETLINK answers: Operation not permitted\); run the operation again to converge$/,
    );
    assert.deepEqual(h.log().slice(-1), ["remove the state record"], "the undo after the failed one still ran");
  });

  it("when the rollback cannot run either (connection lost), the error says so and that a re-run converges", async () => {
    const h = shellHost(/^add 10\.0\.0\.100/, true);
    await assert.rejects(
      applyOps(h.host, paths, OPS, { render: h.render }),
      /step 'add 10\.0\.0\.100\/32 on lo': .*; rolling back failed \(undo 2 change\(s\): connection to 10\.0\.0\.11:22 lost .*\); run the operation again to converge$/,
    );
  });
});
