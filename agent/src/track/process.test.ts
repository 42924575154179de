import { test } from "node:test";
import assert from "node:assert/strict";
import { matches, parseCmdline, processUp, type ProcEntry } from "./process.ts";
import { TrackProcess } from "../config/schema.ts";

const procs: ProcEntry[] = [
  { comm: "haproxy", argv: ["/usr/sbin/haproxy", "-f", "/etc/haproxy/haproxy.cfg"] },
  { comm: "haproxy", argv: ["/usr/sbin/haproxy", "-f", "/etc/haproxy/other.cfg"] },
  { comm: "nginx", argv: ["nginx: master process /usr/sbin/nginx"] },
];
const cfg = (c: Record<string, unknown>) => TrackProcess.parse(c);

test("by name (comm), by path (argv[0]), with arguments whole or as a prefix", () => {
  assert.equal(procs.filter((p) => matches(p, cfg({ process: "haproxy" }))).length, 2);
  assert.equal(procs.filter((p) => matches(p, cfg({ process: "/usr/sbin/haproxy" }))).length, 2);
  assert.equal(
    procs.filter((p) => matches(p, cfg({ process: "haproxy", args: "-f /etc/haproxy/haproxy.cfg" }))).length,
    1,
  );
  assert.equal(procs.filter((p) => matches(p, cfg({ process: "haproxy", args: "-f" }))).length, 0);
  assert.equal(procs.filter((p) => matches(p, cfg({ process: "haproxy", args: "-f", argsPrefix: true }))).length, 2);
});

test("quorum and quorum_max", () => {
  assert.equal(processUp(procs, cfg({ process: "haproxy" })), true);
  assert.equal(processUp(procs, cfg({ process: "haproxy", quorum: 3 })), false);
  assert.equal(processUp(procs, cfg({ process: "haproxy", quorumMax: 1 })), false);
  assert.equal(processUp(procs, cfg({ process: "sshd" })), false);
  assert.equal(processUp([], cfg({ process: "sshd", quorum: 0, quorumMax: 0 })), true, "up while none runs");
});

test("cmdline: NUL-separated, the last NUL ends it", () => {
  assert.deepEqual(parseCmdline("/usr/sbin/haproxy\0-f\0x.cfg\0"), ["/usr/sbin/haproxy", "-f", "x.cfg"]);
  assert.deepEqual(parseCmdline("a\0\0b\0"), ["a", "", "b"]);
});
