// Reference-counted host preparation: what each change to the holders does to a host, including runs
// interrupted after any operation and run again.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  holdingStatus,
  inverse,
  parseRecord,
  reconcile,
  recordText,
  sha256,
  type Actual,
  type Op,
  type PrepRecord,
  type Want,
} from "./record.ts";

const IGN = "net.ipv4.conf.all.arp_ignore";
const ANN = "net.ipv4.conf.all.arp_announce";
const ETH1 = "net.ipv4.conf.eth1.arp_ignore";
const vip = (a: string) => ({ address: `${a}/32`, device: "lo" });

function want(name: string, vips: string[], extra: Partial<Want["holding"]> = {}): Want {
  const path = `/etc/sysctl.d/90-lvs-${name}.conf`;
  const content = `# ${name}\n`;
  return {
    holding: {
      sysctls: { [IGN]: 1, [ANN]: 2 },
      addresses: vips.map(vip),
      files: { [path]: sha256(content) },
      units: [],
      ...extra,
    },
    contents: { [path]: content },
  };
}

const fresh = (): Actual => ({
  sysctls: { [IGN]: 0, [ANN]: 0, [ETH1]: 0 },
  addresses: [{ address: "127.0.0.1/8", device: "lo" }],
  files: {},
  systemd: false,
  enabled: {},
});

/** A simulated host: applies ops the way the shell does. */
class Host {
  actual = fresh();
  record: string | undefined;
  apply(ops: Op[], stopAfter = Infinity): void {
    ops.slice(0, stopAfter).forEach((op) => this.one(op));
  }
  one(op: Op): void {
    const a = this.actual;
    if (op.kind === "record") this.record = op.content;
    if (op.kind === "sysctl") a.sysctls[op.key] = op.value;
    if (op.kind === "addr-add") a.addresses.push({ address: op.address, device: op.device });
    if (op.kind === "addr-del")
      a.addresses = a.addresses.filter((x) => x.address !== op.address || x.device !== op.device);
    if (op.kind === "file-write") a.files[op.path] = op.content;
    if (op.kind === "file-delete") delete a.files[op.path];
    if (op.kind === "unit-enable") a.enabled[op.unit] = true;
    if (op.kind === "unit-disable") a.enabled[op.unit] = false;
  }
  plan(holder: string, w: Want | undefined) {
    const r = reconcile(parseRecord(this.record, "rec"), this.record, holder, w, structuredClone(this.actual));
    assert.deepEqual(r.problems, []);
    return r;
  }
  run(holder: string, w: Want | undefined): Op[] {
    const { ops } = this.plan(holder, w);
    this.apply(ops);
    return ops;
  }
  vips(): string[] {
    return this.actual.addresses
      .filter((a) => a.device === "lo" && a.address !== "127.0.0.1/8")
      .map((a) => a.address)
      .sort();
  }
}

describe("reconcile", () => {
  it("first holder: record ahead with the previous values, sysctls, then addresses, then files; nothing the second time", () => {
    const h = new Host();
    const ops = h.run("rs/a", want("a", ["10.0.0.100"]));
    assert.deepEqual(
      ops.map((o) => o.kind),
      ["record", "sysctl", "sysctl", "addr-add", "file-write"],
    );
    const rec = parseRecord(h.record, "rec")!;
    assert.deepEqual(rec.previous, { [IGN]: 0, [ANN]: 0 });
    assert.deepEqual(rec.added, [vip("10.0.0.100")]);
    assert.deepEqual(h.plan("rs/a", want("a", ["10.0.0.100"])).ops, []);
  });

  it("two holders share: releasing one keeps what the other needs; releasing the last restores and removes", () => {
    const h = new Host();
    h.run("rs/a", want("a", ["10.0.0.100"]));
    const second = h.run("rs/b", want("b", ["10.0.0.100", "10.0.0.101"]));
    assert.deepEqual(
      second.map((o) => o.kind),
      ["record", "addr-add", "file-write"],
      "sysctls already set: not written again",
    );
    const relA = h.run("rs/a", undefined);
    assert.deepEqual(
      relA.map((o) => o.kind),
      ["record", "file-delete", "record"],
    );
    assert.deepEqual(h.vips(), ["10.0.0.100/32", "10.0.0.101/32"]);
    assert.equal(h.actual.sysctls[IGN], 1);
    const relB = h.run("rs/b", undefined);
    assert.deepEqual(
      relB.map((o) => o.kind),
      ["record", "addr-del", "addr-del", "sysctl", "sysctl", "file-delete", "record"],
    );
    assert.deepEqual(h.vips(), []);
    assert.deepEqual([h.actual.sysctls[IGN], h.actual.sysctls[ANN]], [0, 0]);
    assert.equal(h.record, undefined);
    assert.deepEqual(h.actual.files, {});
  });

  it("an address that was there before any holder is never removed; values that were already right are restored to themselves", () => {
    const h = new Host();
    h.actual.addresses.push(vip("10.0.0.100"));
    h.actual.sysctls[IGN] = 1;
    h.run("rs/a", want("a", ["10.0.0.100"]));
    assert.deepEqual(parseRecord(h.record, "rec")!.added, []);
    const rel = h.run("rs/a", undefined);
    assert.ok(!rel.some((o) => o.kind === "addr-del"));
    assert.deepEqual(h.vips(), ["10.0.0.100/32"]);
    assert.deepEqual([h.actual.sysctls[IGN], h.actual.sysctls[ANN]], [1, 0]);
  });

  it("an update: a VIP dropped is removed, one added is added, an interface changed restores the old key", () => {
    const h = new Host();
    h.run("rs/a", want("a", ["10.0.0.100"], { sysctls: { [IGN]: 1, [ETH1]: 1 } }));
    const ops = h.run("rs/a", want("a", ["10.0.0.101"]));
    assert.deepEqual(
      ops.map((o) => o.kind),
      ["record", "sysctl", "addr-add", "addr-del", "sysctl", "record"],
    );
    assert.deepEqual(h.vips(), ["10.0.0.101/32"]);
    assert.equal(h.actual.sysctls[ETH1], 0);
    assert.deepEqual(parseRecord(h.record, "rec")!.previous, { [IGN]: 0, [ANN]: 0 });
  });

  it("repairs drift: a sysctl set back by hand and a VIP deleted by hand", () => {
    const h = new Host();
    h.run("rs/a", want("a", ["10.0.0.100"]));
    h.actual.sysctls[IGN] = 0;
    h.actual.addresses = h.actual.addresses.filter((a) => a.address !== "10.0.0.100/32");
    const status = holdingStatus(parseRecord(h.record, "rec")!.holders["rs/a"]!, h.actual);
    assert.equal(status.inSync, false);
    assert.deepEqual(status.addresses, []);
    assert.equal(status.sysctls[IGN], 0);
    assert.deepEqual(
      h.run("rs/a", want("a", ["10.0.0.100"])).map((o) => o.kind),
      ["sysctl", "addr-add"],
    );
    assert.equal(holdingStatus(parseRecord(h.record, "rec")!.holders["rs/a"]!, h.actual).inSync, true);
  });

  for (const [label, first, again] of [
    ["create", want("a", ["10.0.0.100"]), want("a", ["10.0.0.100"])],
    ["release", undefined, undefined],
  ] as const) {
    it(`a ${label} interrupted after any operation converges when run again, and the original values come back in the end`, () => {
      const total = (() => {
        const h = new Host();
        if (!first) h.run("rs/a", want("a", ["10.0.0.100"]));
        return h.plan("rs/a", first).ops.length;
      })();
      for (let stop = 1; stop < total; stop++) {
        const h = new Host();
        if (!first) h.run("rs/a", want("a", ["10.0.0.100"]));
        h.apply(h.plan("rs/a", first).ops, stop);
        h.run("rs/a", again);
        assert.deepEqual(h.plan("rs/a", again).ops, [], `stopped after ${stop}: converged`);
        h.run("rs/a", undefined);
        assert.deepEqual(h.actual, fresh(), `stopped after ${stop}: released to the original`);
        assert.equal(h.record, undefined);
      }
    });
  }

  it("a sysctl key missing on the host, or two holders wanting different values: problems, no operations", () => {
    const h = new Host();
    const r = reconcile(
      undefined,
      undefined,
      "rs/a",
      want("a", [], { sysctls: { "net.ipv4.conf.eth9.arp_ignore": 1 } }),
      fresh(),
    );
    assert.deepEqual(r.ops, []);
    assert.match(
      r.problems[0]!,
      /net\.ipv4\.conf\.eth9\.arp_ignore does not exist on the host \(no interface eth9 there\?\)/,
    );
    h.run("rs/a", want("a", []));
    const c = reconcile(
      parseRecord(h.record, "r"),
      h.record,
      "rs/b",
      want("b", [], { sysctls: { [IGN]: 2 } }),
      h.actual,
    );
    assert.deepEqual(c.problems, [`${IGN}: rs/a needs 1 but rs/b needs 2`]);
  });

  it("systemd hosts: units are enabled after their files, reloaded when a unit file changes, disabled before removal", () => {
    const h = new Host();
    h.actual.systemd = true;
    const w = want("a", ["10.0.0.100"], { units: ["lvs-a.service"] });
    w.contents["/etc/systemd/system/lvs-a.service"] = "[Unit]\n";
    w.holding.files["/etc/systemd/system/lvs-a.service"] = sha256("[Unit]\n");
    assert.deepEqual(
      h
        .run("rs/a", w)
        .slice(-3)
        .map((o) => o.kind),
      ["file-write", "daemon-reload", "unit-enable"],
    );
    assert.deepEqual(h.plan("rs/a", w).ops, []);
    assert.deepEqual(
      h
        .run("rs/a", undefined)
        .map((o) => o.kind)
        .filter((k) => k.startsWith("unit") || k.startsWith("file")),
      ["unit-disable", "file-delete", "file-delete"],
    );
  });

  it("inverse undoes each operation", () => {
    const h = new Host();
    const ops = h.plan("rs/a", want("a", ["10.0.0.100"])).ops;
    h.apply(ops);
    [...ops].reverse().forEach((op) => h.one(inverse(op)!));
    assert.deepEqual(h.actual, fresh());
    assert.equal(h.record, undefined);
  });

  it("the record's text is stable; a corrupt record is an error naming its path", () => {
    const r: PrepRecord = {
      version: 1,
      holders: { b: { sysctls: { z: 1, a: 2 }, addresses: [], files: {}, units: [] } },
      previous: {},
      added: [vip("2.2.2.2"), vip("1.1.1.1")],
      stale: { files: [], units: [] },
    };
    assert.equal(recordText(r), recordText(structuredClone(r)));
    assert.match(recordText(r)!, /"a": 2,\n\s+"z": 1/);
    assert.throws(() => parseRecord("{nope", "/var/lib/x.json"), /state record \/var\/lib\/x\.json is not JSON/);
    assert.throws(() => parseRecord('{"version":2}', "/x"), /not a version 1 record/);
  });
});
