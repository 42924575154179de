import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { AgentConfigInput } from "../../../../agent/src/config/schema.ts";
import type { AgentStatus, InstanceStatus } from "../../../../agent/src/status/format.ts";
import { VipInputs } from "./schema.ts";
import { parseFragment } from "../fragment/plan.ts";
import { vipAsFound, vipLive, vipLocations, vipPlacements } from "./state.ts";

const conn = (host: string) => ({ host, password: "pw", insecureIgnoreHostKey: true });
const vip = (extra: Record<string, unknown> = {}) =>
  VipInputs.parse({
    name: "web",
    interface: "eth0",
    vrid: 51,
    version: 2,
    auth: { type: "PASS", password: "s3cret" },
    addresses: ["10.0.0.100/24"],
    unicast: true,
    directors: [
      { connection: conn("d1"), priority: 150, sourceIp: "10.0.0.2", configDir: "/tmp/d1/conf.d" },
      {
        connection: conn("d2"),
        sourceIp: "10.0.0.3",
        configDir: "/tmp/d2/conf.d",
        agentCommand: "/usr/bin/node /x/lvs-agent.mjs",
        statusSocket: "/tmp/d2/agent.sock",
      },
    ],
    ...extra,
  });

/** The files as the provider would write them, parsed, with an edit applied to director i. */
type Instance = NonNullable<AgentConfigInput["instances"]>[string];
const web = (c: AgentConfigInput): Instance => c.instances!.web!;
const files = (v: VipInputs, edit?: { i: number; fn: (config: AgentConfigInput) => void }) =>
  vipPlacements(v).map((p, i) => {
    const config = parseFragment(p.text) as AgentConfigInput;
    if (edit?.i === i) edit.fn(config);
    return config;
  });

describe("where a Vip's fragments go", () => {
  it("each director's own configDir, agent command and socket", () => {
    const places = vipPlacements(vip());
    assert.deepEqual(
      places.map((p) => p.path),
      ["/tmp/d1/conf.d/vip-web.json", "/tmp/d2/conf.d/vip-web.json"],
    );
    assert.deepEqual(
      places.map((p) => p.agent.agentCommand),
      ["/opt/lvs-agent/current/bin/lvs-agent", "/usr/bin/node /x/lvs-agent.mjs"],
    );
    assert.deepEqual(
      places.map((p) => p.agent.statusSocket),
      ["/run/lvs-agent/agent.sock", "/tmp/d2/agent.sock"],
    );
    assert.equal(JSON.parse(places[0]!.text).instances.web.priority, 150);
  });

  it("a state says where, even when Read found values the schema would refuse", () => {
    const state = { ...vip(), vrid: 999, directors: [{ ...vip().directors[0], priority: 0 }] };
    assert.deepEqual(
      vipLocations(state).map((l) => [l.conn.host, l.path]),
      [["d1", "/tmp/d1/conf.d/vip-web.json"]],
    );
  });
});

describe("a Vip as its fragments say", () => {
  it("untouched fragments give back exactly the declared inputs", () => {
    const v = vip();
    assert.deepEqual(vipAsFound(v, files(v)), v);
  });

  it("an import (only the name and where) gets every field back, its tracked scripts and unicast too", () => {
    const v = vip({ trackScripts: { chk: { script: "/usr/bin/true", interval: 2, weight: -20 } } });
    const named = {
      name: "web",
      directors: v.directors.map((d) => ({
        connection: d.connection,
        configDir: d.configDir,
        agentCommand: d.agentCommand,
        statusSocket: d.statusSocket,
      })),
    };
    const found = vipAsFound(named, files(v));
    assert.deepEqual(VipInputs.parse(found), v);
  });

  it("a director's own priority edited by hand shows as that director's priority", () => {
    const found = vipAsFound(vip(), files(vip(), { i: 1, fn: (c) => (web(c).priority = 200) }));
    assert.deepEqual(
      (found.directors as Array<{ priority: number }>).map((d) => d.priority),
      [150, 200],
    );
  });

  it("a shared field edited on one director only: that director is left out (the update writes it back)", () => {
    const found = vipAsFound(vip(), files(vip(), { i: 1, fn: (c) => (web(c).vrid = 52) }));
    assert.equal(found.vrid, 51);
    assert.deepEqual(
      (found.directors as Array<{ connection: { host: string } }>).map((d) => d.connection.host),
      ["d1"],
    );
  });

  it("edited on the first director: the Vip takes its values, and the other is left out", () => {
    const found = vipAsFound(vip(), files(vip(), { i: 0, fn: (c) => (web(c).advertInterval = 3) }));
    assert.equal(found.advertInterval, 3);
    assert.deepEqual(
      (found.directors as Array<{ connection: { host: string } }>).map((d) => d.connection.host),
      ["d1"],
    );
  });

  it("a removed password, an added address and a removed sync daemon all show", () => {
    const v = vip({ syncDaemon: { interface: "eth0" } });
    const edit = (c: AgentConfigInput) => {
      delete web(c).auth;
      web(c).virtualAddresses!.push({ address: "10.0.0.101" });
      delete c.syncDaemon;
    };
    const found = vipAsFound(
      v,
      files(v).map((c) => (edit(c), c)),
    );
    assert.equal(found.auth, undefined);
    assert.deepEqual(found.addresses, ["10.0.0.100/24", "10.0.0.101"]);
    assert.equal(found.syncDaemon, undefined);
    assert.equal((found.directors as unknown[]).length, 2);
  });

  it("unreadable or foreign content on a director leaves it out; none anywhere leaves no director", () => {
    const v = vip();
    const [a] = files(v) as Array<Record<string, unknown>>;
    assert.deepEqual((vipAsFound(v, [a, undefined]).directors as unknown[]).length, 1);
    assert.deepEqual((vipAsFound(v, [a, { instances: { other: {} } }]).directors as unknown[]).length, 1);
    assert.deepEqual(vipAsFound(v, [undefined, undefined]).directors, []);
  });
});

describe("a Vip's live state", () => {
  const inst = (state: InstanceStatus["state"]) =>
    ({
      name: "web",
      state,
      effectivePriority: 150,
      masterIp: "10.0.0.2",
      vips: state === "MASTER" ? ["10.0.0.100/24"] : [],
    }) as InstanceStatus;
  const status = (...i: InstanceStatus[]): AgentStatus => ({
    instances: i,
    configSources: [],
    pid: 1,
    version: "0.1.0",
  });
  const where = vipLocations(vip());

  it("each director's state, and the master by host", () => {
    const live = vipLive("web", where, [status(inst("MASTER")), status(inst("BACKUP"))]);
    assert.equal(live.master, "d1");
    assert.deepEqual(live.directorStatus[0], {
      host: "d1",
      fragmentPath: "/tmp/d1/conf.d/vip-web.json",
      state: "MASTER",
      effectivePriority: 150,
      masterIp: "10.0.0.2",
      vips: ["10.0.0.100/24"],
    });
    assert.equal(live.directorStatus[1]!.state, "BACKUP");
  });

  it("no master when none or two are MASTER; an agent that did not answer, or runs no such instance, says why", () => {
    assert.equal(vipLive("web", where, [status(inst("MASTER")), status(inst("MASTER"))]).master, undefined);
    const live = vipLive("web", where, [status(), "lvs-agent status exited 1: connect ENOENT"]);
    assert.equal(live.master, undefined);
    assert.deepEqual(
      live.directorStatus.map((d) => d.error),
      ["the agent runs no instance web", "lvs-agent status exited 1: connect ENOENT"],
    );
  });
});
