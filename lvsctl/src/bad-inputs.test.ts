// Bad inputs and the exact error a user sees (issue 13): one table, one row per case {where, input,
// expected}, over the four ways input comes in, each area's rows and reader in bad-inputs/:
//  - resources.ts   Pulumi's Check of Director, Vip, VirtualServer, RealServer: "property: reason"
//  - cluster.ts     a cluster.yaml as lvsctl reads it: "cluster.yaml:LINE:COL: path: why"
//  - agent.ts       the agent's JSON config: "path: why"
//  - keepalived.ts  keepalived.conf as the agent converts it: "file:LINE: keyword: why"
// Every row also checks that no secret (a private key, a password) is in what the user sees. Pure: no
// host, no file, no network. lvsctl is the lowest package that reaches all four readers.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Area } from "./bad-inputs/row.ts";
import { resources } from "./bad-inputs/resources.ts";
import { cluster } from "./bad-inputs/cluster.ts";
import { agentJson } from "./bad-inputs/agent.ts";
import { keepalived } from "./bad-inputs/keepalived.ts";

/** The test key's text and every password a row gives: never to be shown. */
const SECRETS = ["secretline", "Tr0ub4dor&3x", "s3cr3t!", "characters-1"];

const AREAS: Area<never>[] = [resources, cluster, agentJson, keepalived] as Area<never>[];

test("the table has at least 40 rows, and every area some", () => {
  assert.ok(AREAS.every((a) => a.rows.length >= 5));
  assert.ok(AREAS.flatMap((a) => a.rows).length >= 40);
});

for (const area of AREAS)
  for (const row of area.rows)
    test(`${row.where}: ${JSON.stringify(row.input).slice(0, 100)}`, async () => {
      const seen = await area.says(row);
      assert.deepEqual(seen, row.expected);
      for (const secret of SECRETS) assert.ok(!seen.join("\n").includes(secret), `a secret is shown: ${secret}`);
    });
