// The pure parts of health.ts: which checks run for which real server, and a server's combined health.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AgentVirtualServer } from "../config/ipvs.ts";
import { combinedUp, monitoredServers } from "./health.ts";

test("combinedUp: one down is down; all up is up; unanswered counts as down only with alpha", () => {
  assert.equal(combinedUp([true, false], false), false);
  assert.equal(combinedUp([true, true], false), true);
  assert.equal(combinedUp([true, undefined], false), true);
  assert.equal(combinedUp([true, undefined], true), false);
  assert.equal(combinedUp([undefined, undefined], false), undefined);
  assert.equal(combinedUp([undefined], true), false);
});

test("monitoredServers: one entry per check, keyed by the server and #2, #3 for the further ones", () => {
  const vs = AgentVirtualServer.parse({
    address: "10.0.0.1",
    port: 80,
    alpha: true,
    healthCheck: { type: "tcp" },
    realServers: [
      { address: "10.0.1.1", moreHealthChecks: [{ type: "http" }, { type: "tcp", port: 25 }] },
      { address: "10.0.1.2", healthCheck: "none" },
    ],
  });
  const m = monitoredServers({ web: vs });
  assert.deepEqual(
    m.map((x) => [x.key, x.id, x.cfg.type, x.alpha]),
    [
      ["web/10.0.1.1:80", "web/10.0.1.1:80", "tcp", true],
      ["web/10.0.1.1:80#2", "web/10.0.1.1:80", "http", true],
      ["web/10.0.1.1:80#3", "web/10.0.1.1:80", "tcp", true],
    ],
  );
});
