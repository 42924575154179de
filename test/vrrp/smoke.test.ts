import { test } from "node:test";
import assert from "node:assert/strict";
import { Lab } from "../helpers/netns.ts";
import { startAgent } from "../helpers/agent.ts";

test("smoke: two agents elect the higher priority", { timeout: 30_000 }, async () => {
  const lab = Lab.create([
    { name: "d1", addr: "10.61.0.11/24" },
    { name: "d2", addr: "10.61.0.12/24" },
  ]);
  try {
    const inst = (priority: number) => ({
      instances: {
        VI_1: {
          interface: "eth0",
          vrid: 51,
          priority,
          advertInterval: 0.1,
          virtualAddresses: [{ address: "10.61.0.100/24" }],
        },
      },
    });
    const a = startAgent(lab.host("d1"), inst(200));
    const b = startAgent(lab.host("d2"), inst(100));
    await a.waitState("VI_1", "MASTER", 10_000);
    await b.waitState("VI_1", "BACKUP", 10_000);
    assert.ok(lab.host("d1").hasAddr("10.61.0.100"));
    assert.ok(!lab.host("d2").hasAddr("10.61.0.100"));
  } finally {
    lab.destroy();
  }
});
