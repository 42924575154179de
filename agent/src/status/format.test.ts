import { test } from "node:test";
import assert from "node:assert/strict";
import { formatStatusTable, type AgentStatus, type InstanceStatus } from "./format.ts";

const inst = (over: Partial<InstanceStatus>): InstanceStatus => ({
  name: "VI_1",
  interface: "eth0",
  vrid: 51,
  version: 3,
  state: "MASTER",
  priority: 100,
  effectivePriority: 100,
  masterIp: "10.0.0.2",
  advertIntervalCs: 100,
  masterAdvertIntervalCs: 100,
  vips: ["10.0.0.100/24"],
  since: "2024-05-01T10:00:00.000Z",
  lastTransitionReason: "master down timer expired",
  faults: [],
  tracks: [],
  ...over,
});

test("a table like `show vrrp`, with details below", () => {
  const status: AgentStatus = {
    pid: 1234,
    version: "0.1.0",
    configSources: ["/etc/lvs-agent/conf.d/10-web.json"],
    instances: [
      inst({}),
      inst({
        name: "VI_internal",
        interface: "bond0.100",
        vrid: 7,
        version: 2,
        state: "FAULT",
        priority: 150,
        effectivePriority: 130,
        masterIp: undefined,
        advertIntervalCs: 50,
        masterAdvertIntervalCs: 100,
        vips: ["192.168.1.10", "192.168.1.11"],
        lastTransitionReason: "",
        faults: ["track interface eth1 down"],
        tracks: [
          { kind: "interface", name: "eth1", up: false },
          { kind: "script", name: "chk_nginx", up: true, weight: -20 },
        ],
      }),
    ],
  };
  assert.equal(
    formatStatusTable(status),
    [
      "lvs-agent 0.1.0 (pid 1234); config: /etc/lvs-agent/conf.d/10-web.json",
      "",
      "Instance     Interface  VRID  Ver  State   Priority  Master    Advert            VIPs",
      "VI_1         eth0       51    v3   MASTER  100/100   10.0.0.2  1s                10.0.0.100/24",
      "VI_internal  bond0.100  7     v2   FAULT   130/150   -         0.5s (master 1s)  192.168.1.10,192.168.1.11",
      "",
      "VI_1: MASTER since 2024-05-01T10:00:00.000Z (master down timer expired)",
      "VI_internal: FAULT since 2024-05-01T10:00:00.000Z",
      "  fault: track interface eth1 down",
      "  track interface eth1: DOWN, no weight: down means FAULT",
      "  track script chk_nginx: up, weight -20",
      "",
    ].join("\n"),
  );
});

test("no instances", () => {
  assert.equal(
    formatStatusTable({ pid: 1, version: "0.1.0", configSources: [], instances: [] }),
    "lvs-agent 0.1.0 (pid 1); config: none\n\nno VRRP instances configured\n",
  );
});

test("no line has trailing blanks", () => {
  const text = formatStatusTable({
    pid: 1,
    version: "x",
    configSources: [],
    instances: [inst({ vips: [] }), inst({ name: "a-much-longer-name" })],
  });
  for (const line of text.split("\n")) assert.equal(line, line.trimEnd());
});

test("an IPv6 real server is written [address]:port, as ipvsadm writes it", () => {
  const dest = {
    address: "2001:db8:1::21",
    port: 80,
    forwarding: "nat",
    weight: 1,
    health: "up" as const,
    activeConns: 0,
    inactiveConns: 0,
    conns: 0,
    inBytes: 0,
    outBytes: 0,
  };
  const text = formatStatusTable({
    pid: 1,
    version: "0.1.0",
    configSources: [],
    instances: [],
    virtualServers: [{ name: "web6", service: "TCP [2001:db8::100]:80", scheduler: "rr", dests: [dest] }],
  });
  assert.match(text, /\n {2}-> \[2001:db8:1::21\]:80 +nat +1 +up/);
});

test("a sync group member waiting for its group says why it wants MASTER", () => {
  const text = formatStatusTable({
    pid: 1,
    version: "0.1.0",
    configSources: [],
    instances: [inst({ state: "BACKUP", wantsMaster: "no advertisement for Master_Down_Interval (3609 ms)" })],
  });
  assert.ok(
    text.includes(
      "VI_1: BACKUP since 2024-05-01T10:00:00.000Z (master down timer expired)\n" +
        "  wants MASTER (no advertisement for Master_Down_Interval (3609 ms)): waits for its sync group\n",
    ),
    text,
  );
});
