// Diff's pure core: leaf paths in the engine's syntax, update vs replace per property, drift as an update.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { diffInputs, formatPropertyPath, leafChanges, withDrift } from "./changes.ts";

const spec = {
  schema: z.object({
    name: z.string(),
    connection: z.object({ host: z.string(), user: z.string() }),
    realServers: z.array(z.object({ weight: z.number() })),
    sysctls: z.record(z.string(), z.number()),
  }),
  replaceOn: ["name", "connection.host"],
};
const base = {
  name: "web",
  connection: { host: "10.0.0.2", user: "root" },
  realServers: [{ weight: 1 }, { weight: 2 }],
  sysctls: { "net.ipv4.vs.conntrack": 0 },
};

describe("diffInputs", () => {
  it("no change: no changes, no detailed diff", () => {
    assert.deepEqual(diffInputs(spec, base, structuredClone(base)), {
      changes: false,
      replaces: [],
      changed: [],
      deleteBeforeReplace: false,
      detailedDiff: {},
    });
  });

  it("names the changed leaf, with its index and quoted keys", () => {
    const d = diffInputs(
      spec,
      { ...base, realServers: [{ weight: 1 }, { weight: 9 }], sysctls: { "net.ipv4.vs.conntrack": 1 } },
      base,
    );
    assert.deepEqual(d.detailedDiff, {
      "realServers[1].weight": { kind: "update", inputDiff: true },
      'sysctls["net.ipv4.vs.conntrack"]': { kind: "update", inputDiff: true },
    });
    assert.deepEqual([d.changes, d.replaces, d.changed], [true, [], ["realServers", "sysctls"]]);
  });

  it("a replacing path is *-replace, and so is a change inside it; the rest update", () => {
    const d = diffInputs(spec, base, { ...base, connection: { host: "10.0.0.3", user: "admin" } });
    assert.deepEqual(d.detailedDiff, {
      "connection.host": { kind: "update-replace", inputDiff: true },
      "connection.user": { kind: "update", inputDiff: true },
    });
    assert.deepEqual([d.replaces, d.deleteBeforeReplace], [["connection"], true]);
  });

  it("array elements added and removed", () => {
    assert.deepEqual(leafChanges([1], [1, 2], ["vips"]), [{ path: ["vips", 1], kind: "add" }]);
    assert.deepEqual(leafChanges(["a", "b"], ["b"], ["vips"]), [
      { path: ["vips", 0], kind: "update" },
      { path: ["vips", 1], kind: "delete" },
    ]);
  });

  it("formats property paths as the engine parses them", () => {
    assert.equal(formatPropertyPath(["directors", 0, "connection", "host"]), "directors[0].connection.host");
    assert.equal(
      formatPropertyPath(["sysctls", "net.ipv4.conf.all.arp_ignore"]),
      'sysctls["net.ipv4.conf.all.arp_ignore"]',
    );
  });
});

describe("withDrift", () => {
  const none = diffInputs(spec, base, base);
  it("drift the inputs cannot show is an update that removes it", () => {
    const d = withDrift(none, { ...base, drift: ["/etc/sysctl.d/90-lvs-web.conf changed"] });
    assert.deepEqual([d.changes, d.detailedDiff.drift], [true, { kind: "delete", inputDiff: false }]);
  });
  it("no drift, no change", () => {
    assert.equal(withDrift(none, { ...base, drift: [] }).changes, false);
  });
});
