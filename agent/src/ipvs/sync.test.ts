import { test } from "node:test";
import assert from "node:assert/strict";
import { planSync } from "./sync.ts";

const cfg = { interface: "eth0", syncId: 7, followInstance: "VI_1" };

test("master state runs the master daemon only", () => {
  assert.deepEqual(planSync(cfg, "MASTER", []), { stop: [], start: { state: "master", ifname: "eth0", syncId: 7 } });
  assert.deepEqual(planSync(cfg, "MASTER", [{ state: "backup", ifname: "eth0", syncId: 7 }]), {
    stop: ["backup"],
    start: { state: "master", ifname: "eth0", syncId: 7 },
  });
});

test("any other state runs the backup daemon; a running match is left alone", () => {
  assert.deepEqual(planSync(cfg, "BACKUP", [{ state: "backup", ifname: "eth0", syncId: 7, mcastPort: 8848 }]), {
    stop: [],
  });
  assert.deepEqual(planSync(cfg, "FAULT", [{ state: "backup", ifname: "eth1", syncId: 7 }]).start?.ifname, "eth0");
});

test("no sync config stops whatever runs", () => {
  assert.deepEqual(planSync(undefined, "MASTER", [{ state: "master", ifname: "eth0", syncId: 1 }]), {
    stop: ["master"],
  });
});
