// Fuzz of AgentConfig validation (pure, deterministic): random JSON and mutated valid configs (wrong
// types, missing and extra fields, hostile strings, edge numbers, huge arrays; test/helpers/fuzz/
// validation.ts, the generators of `npm run bench -- fuzz`) through checkConfig. Nothing throws; every
// problem has a message and the path of its field. Below, the findings of the fuzz: each failed before its fix.
import { test } from "node:test";
import assert from "node:assert/strict";
import { assertFuzz } from "../../../test/helpers/fuzz/check.ts";
import { agentConfigTarget } from "../../../test/helpers/fuzz/validation.ts";
import { validateConfig } from "./validate.ts";

test("fuzz: 3,000 random and mutated AgentConfigs are valid or refused naming each field", () => {
  assertFuzz(agentConfigTarget(), { cases: 3_000, seed: 0xc0ff, kinds: 40 });
});

test("finding: a sysctl named like an Object.prototype member is refused as unknown (was a TypeError)", () => {
  for (const key of ["constructor", "toString", "hasOwnProperty", "__proto__"]) {
    const sysctls = JSON.parse(`{${JSON.stringify(key)}: 1}`) as Record<string, number>;
    const r = validateConfig({ sysctls });
    assert.equal(r.ok, false, key);
    assert.match(r.ok ? "" : r.problems.join("\n"), /^sysctls(\.|\[")\w+("\])?: not a setting the agent manages/m, key);
  }
});

test("finding: a virtual server's port that is an object with a non-function toString is refused at port (was a TypeError)", () => {
  const r = validateConfig({
    virtualServers: {
      web: { address: "10.0.0.100", port: { toString: 256 }, realServers: [{ address: "10.0.0.11" }] },
    },
  });
  assert.equal(r.ok, false);
  assert.deepEqual(r.ok ? [] : r.problems, ["virtualServers.web.port: must be a number"]);
});
