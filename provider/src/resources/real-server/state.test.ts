// RealServer between inputs, the host record and outputs: what it holds, what create returns, and what
// read reports when the host drifted.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { holdingStatus, sha256, type Actual, type PrepRecord } from "./prep/record.ts";
import { RealServerInputs } from "./schema.ts";
import { holderOf, idOf, inputsOf, outputsOf, preparesHost, readState, wantOf } from "./state.ts";

const conn = { host: "10.0.0.11", privateKey: "KEY", insecureIgnoreHostKey: true };
const rs = (extra: Record<string, unknown> = {}) =>
  RealServerInputs.parse({
    name: "web",
    address: "10.0.0.11",
    port: 80,
    vips: ["10.0.0.100", "10.0.0.101"],
    connection: conn,
    ...extra,
  });
const ARP = ["all", "lo", "eth0"].flatMap((d) => [`net.ipv4.conf.${d}.arp_ignore`, `net.ipv4.conf.${d}.arp_announce`]);

describe("wantOf", () => {
  it("DR: the planner's sysctls and VIPs, its files (hashed) under the root, its unit", () => {
    const w = wantOf(rs(), "/tmp/h")!;
    assert.deepEqual(Object.keys(w.holding.sysctls).sort(), [...ARP].sort());
    assert.deepEqual(w.holding.addresses, [
      { address: "10.0.0.100/32", device: "lo" },
      { address: "10.0.0.101/32", device: "lo" },
    ]);
    assert.deepEqual(Object.keys(w.contents), [
      "/tmp/h/etc/sysctl.d/90-lvs-web.conf",
      "/tmp/h/etc/systemd/system/lvs-real-server-web.service",
    ]);
    for (const [p, c] of Object.entries(w.contents)) assert.equal(w.holding.files[p], sha256(c));
    assert.deepEqual(w.holding.units, ["lvs-real-server-web.service"]);
  });

  it("nothing to hold: prepare false, NAT, or no connection", () => {
    assert.equal(wantOf(rs({ prepare: false })), undefined);
    assert.equal(wantOf(rs({ forwarding: "NAT" })), undefined);
    assert.equal(preparesHost(rs({ connection: undefined, prepare: false })), false);
  });

  it("ids and holders name the resource and its host", () => {
    assert.equal(idOf(rs()), "web@10.0.0.11");
    assert.equal(idOf(rs({ connection: undefined, prepare: false, address: "10.0.0.12" })), "web@10.0.0.12");
    assert.equal(holderOf(rs()), "real-server/web");
  });
});

describe("outputs", () => {
  it("create: the inputs, the backend, what it holds and the values from before (its own keys only)", () => {
    const w = wantOf(rs())!;
    const record: PrepRecord = {
      version: 1,
      holders: {},
      previous: { ...Object.fromEntries(ARP.map((k) => [k, 0])), "net.ipv4.conf.eth1.arp_ignore": 0 },
      added: [],
      stale: { files: [], units: [] },
    };
    const outs = outputsOf(rs(), w, record, false);
    assert.equal(outs.holder, "real-server/web");
    assert.deepEqual(outs.loopbackVips, ["10.0.0.100/32", "10.0.0.101/32"]);
    assert.deepEqual(Object.keys(outs.previous as object).sort(), [...ARP].sort());
    assert.equal(outs.persistence, "files written");
    assert.equal(outputsOf(rs(), w, record, true).persistence, "enabled");
    assert.deepEqual((outs.backend as { port: number }).port, 80);
    assert.deepEqual(inputsOf(outs), { ...rs() });
  });

  it("nothing prepared: empty host values and no holder (delete will not touch the host)", () => {
    const outs = outputsOf(rs({ prepare: false }), undefined, undefined, false);
    assert.deepEqual([outs.holder, outs.sysctls, outs.loopbackVips], [undefined, {}, []]);
  });
});

describe("readState", () => {
  const w = wantOf(rs())!;
  const record: PrepRecord = {
    version: 1,
    holders: { "real-server/web": w.holding },
    previous: Object.fromEntries(ARP.map((k) => [k, 0])),
    added: [],
    stale: { files: [], units: [] },
  };
  const inSync = (): Actual => ({
    sysctls: { ...w.holding.sysctls },
    addresses: [...w.holding.addresses],
    files: { ...w.contents },
    systemd: false,
    enabled: {},
  });
  const props = { ...outputsOf(rs({ vips: ["10.0.0.101", "10.0.0.100"] }), w, record, false) };

  it("in sync: the state as it was", () => {
    const r = readState(props, props, w.holding, holdingStatus(w.holding, inSync()), record);
    assert.deepEqual([r.inputs.prepare, r.inputs.arpIgnore, r.inputs.arpAnnounce], [true, 1, 2]);
    assert.deepEqual(r.props.vips, ["10.0.0.101", "10.0.0.100"], "in the order the state lists them");
    assert.deepEqual(r.props.sysctls, w.holding.sysctls);
    assert.equal(r.props.persistence, "files written");
    assert.deepEqual(r.props.drift, []);
  });

  it("drifted: what the host holds under the inputs' keys; what no input shows in drift", () => {
    const actual = inSync();
    actual.sysctls["net.ipv4.conf.all.arp_ignore"] = 0;
    actual.addresses = actual.addresses.filter((a) => a.address !== "10.0.0.101/32");
    delete actual.files["/etc/sysctl.d/90-lvs-web.conf"];
    const r = readState(props, props, w.holding, holdingStatus(w.holding, actual), record);
    assert.deepEqual(
      [r.inputs.arpIgnore, r.inputs.arpAnnounce, r.inputs.vips, r.inputs.prepare],
      [0, 2, ["10.0.0.100"], true],
    );
    assert.equal((r.props.sysctls as Record<string, number>)["net.ipv4.conf.all.arp_ignore"], 0);
    assert.deepEqual([r.props.arpIgnore, r.props.vips, r.props.loopbackVips], [0, ["10.0.0.100"], ["10.0.0.100/32"]]);
    assert.equal(r.props.persistence, "files missing or changed");
    assert.deepEqual(r.props.drift, ["/etc/sysctl.d/90-lvs-web.conf missing"]);
    assert.equal(r.inputs.sysctls, undefined, "inputs carry input fields only");
  });

  it("the interface's own arp_announce, changed by hand, is the one found", () => {
    const actual = inSync();
    actual.sysctls["net.ipv4.conf.eth0.arp_announce"] = 1;
    assert.equal(readState(props, props, w.holding, holdingStatus(w.holding, actual), record).inputs.arpAnnounce, 1);
  });

  it("a state read after drift (vips shrunk) still knows the declared VIPs from the record", () => {
    const shrunk = { ...props, vips: ["10.0.0.100"] };
    const r = readState(shrunk, shrunk, w.holding, holdingStatus(w.holding, inSync()), record);
    assert.deepEqual(r.inputs.vips, ["10.0.0.100", "10.0.0.101"]);
  });
});
