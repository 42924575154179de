import { test } from "node:test";
import assert from "node:assert/strict";
import { sysctlProblems, planSysctls, sysctlPath } from "./sysctl.ts";

test("unknown keys and invalid values are named", () => {
  assert.deepEqual(sysctlProblems({ "net.ipv4.ip_forward": 1, "net.ipv4.vs.conn_reuse_mode": 2 }), []);
  const problems = sysctlProblems({ "net.ipv4.ip_forwrd": 1, "net.ipv4.vs.expire_nodest_conn": 3 });
  assert.equal(problems.length, 2);
  assert.equal(problems[0]!.key, "net.ipv4.ip_forwrd");
  assert.match(problems[0]!.message, /^not a setting the agent manages/);
  assert.equal(problems[1]!.key, "net.ipv4.vs.expire_nodest_conn");
  assert.match(problems[1]!.message, /^must be one of 0, 1/);
});

test("only differing values are written", () => {
  const writes = planSysctls(
    { "net.ipv4.ip_forward": 1, "net.ipv4.vs.sloppy_tcp": 1 },
    { "net.ipv4.ip_forward": "1\n", "net.ipv4.vs.sloppy_tcp": "0" },
  );
  assert.deepEqual(writes, [{ key: "net.ipv4.vs.sloppy_tcp", from: "0", to: "1" }]);
  assert.equal(sysctlPath("net.ipv4.vs.conntrack"), "/proc/sys/net/ipv4/vs/conntrack");
});
