// The manager's orchestration against an in-memory table (the real kernel is tested in user-mode Linux:
// test/ipvs). Here: drift is told apart from config changes, ownership survives restarts, drains end.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentVirtualServer } from "../config/ipvs.ts";
import { createLogger } from "../log.ts";
import type { IpvsDest, IpvsDestInfo, IpvsServiceInfo, IpvsServiceKey } from "./codec.ts";
import { IpvsManager, type IpvsKernel } from "./manager.ts";
import { destId, serviceId, type VirtualService } from "./reconcile.ts";

const ZERO = {
  conns: 0n,
  inPkts: 0n,
  outPkts: 0n,
  inBytes: 0n,
  outBytes: 0n,
  cps: 0n,
  inPps: 0n,
  outPps: 0n,
  inBps: 0n,
  outBps: 0n,
};

class TableKernel implements IpvsKernel {
  table = new Map<string, VirtualService>();
  writes = 0;
  conns = new Map<string, number>();
  async listServices(): Promise<IpvsServiceInfo[]> {
    return [...this.table.values()].map((v) => ({ service: structuredClone(v.service), stats: ZERO }));
  }
  async listDests(key: IpvsServiceKey): Promise<IpvsDestInfo[]> {
    return (this.table.get(serviceId(key))?.dests ?? []).map((d) => ({
      dest: { ...d },
      activeConns: this.conns.get(destId(d)) ?? 0,
      inactConns: 0,
      persistConns: 0,
      stats: ZERO,
    }));
  }
  private svc(key: IpvsServiceKey): VirtualService {
    const v = this.table.get(serviceId(key));
    if (!v) throw new Error("ENOENT");
    return v;
  }
  async addService(s: VirtualService["service"]) {
    this.writes++;
    this.table.set(serviceId(s), { service: s, dests: [] });
  }
  async editService(s: VirtualService["service"]) {
    this.writes++;
    this.svc(s).service = s;
  }
  async delService(k: IpvsServiceKey) {
    this.writes++;
    this.table.delete(serviceId(k));
  }
  async addDest(k: IpvsServiceKey, d: IpvsDest) {
    this.writes++;
    this.svc(k).dests.push(d);
  }
  async editDest(k: IpvsServiceKey, d: IpvsDest) {
    this.writes++;
    const v = this.svc(k);
    v.dests = v.dests.map((x) => (destId(x) === destId(d) ? d : x));
  }
  async delDest(k: IpvsServiceKey, d: { address: string; port: number }) {
    this.writes++;
    const v = this.svc(k);
    v.dests = v.dests.filter((x) => destId(x) !== destId(d));
  }
}

const web = (rs: string[], over: object = {}) =>
  AgentVirtualServer.parse({
    address: "10.0.0.100",
    port: 80,
    scheduler: "rr",
    realServers: rs.map((a) => ({ address: a })),
    ...over,
  });

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "ipvsmgr-"));
  const kernel = new TableKernel();
  const lines: string[] = [];
  const log = createLogger({ write: (s: string) => lines.push(s) });
  const mk = () => new IpvsManager({ kernel, log, stateFile: join(dir, "owned.json"), periodMs: 0 });
  return { dir, kernel, lines, mk, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test("first apply writes the table; a second pass writes nothing", async () => {
  const s = setup();
  try {
    const m = s.mk();
    const r1 = await m.start({ web: web(["10.0.1.1", "10.0.1.2"]) });
    assert.equal(r1.ops.length, 3);
    assert.equal(r1.drift, false);
    // status right after the first apply already shows the real servers just added
    assert.deepEqual(
      m.stats.get("web")?.map((d) => destId(d.dest)),
      ["10.0.1.1:80", "10.0.1.2:80"],
    );
    const before = s.kernel.writes;
    const r2 = await m.reconcile();
    assert.deepEqual(r2.ops, []);
    assert.equal(s.kernel.writes, before);
  } finally {
    s.done();
  }
});

test("a hand edit is repaired and reported as drift", async () => {
  const s = setup();
  try {
    const m = s.mk();
    await m.start({ web: web(["10.0.1.1", "10.0.1.2"]) });
    s.kernel.table.clear(); // ipvsadm -C
    const r = await m.reconcile();
    assert.equal(r.drift, true);
    assert.equal(s.kernel.table.size, 1);
    assert.ok(s.lines.some((l) => l.includes('"event":"ipvs.drift"')));
  } finally {
    s.done();
  }
});

test("a service dropped from the config while the agent was down is removed on the next start", async () => {
  const s = setup();
  try {
    await s.mk().start({ web: web(["10.0.1.1"]), api: web(["10.0.1.1"], { port: 81 }) });
    const flags = { persistent: false, onePacket: false, schedFlag1: false, schedFlag2: false, schedFlag3: false };
    const foreign = {
      protocol: "tcp" as const,
      address: "10.9.9.9",
      port: 1,
      scheduler: "rr",
      flags,
      timeout: 0,
      netmask: 32,
    };
    s.kernel.table.set(serviceId(foreign), { service: foreign, dests: [] });
    const r = await s.mk().start({ web: web(["10.0.1.1"]) });
    assert.deepEqual(
      r.ops.map((o) => o.op),
      ["delService"],
    );
    assert.deepEqual(
      [...s.kernel.table.keys()].sort(),
      ["tcp 10.0.0.100:80", "tcp 10.9.9.9:1"],
      "a foreign service is left alone",
    );
  } finally {
    s.done();
  }
});

test("a removed real server with drain is kept at weight 0 until its connections end", async () => {
  const s = setup();
  try {
    const m = s.mk();
    await m.start({ web: web(["10.0.1.1", "10.0.1.2"], { drain: 60 }) });
    s.kernel.conns.set("10.0.1.2:80", 3);
    await m.setConfig({ web: web(["10.0.1.1"], { drain: 60 }) });
    const dests = () => s.kernel.table.get("tcp 10.0.0.100:80")!.dests.map((d) => `${d.address}/${d.weight}`);
    assert.deepEqual(dests(), ["10.0.1.1/1", "10.0.1.2/0"]);
    s.kernel.conns.set("10.0.1.2:80", 0);
    await m.reconcile(); // sees zero connections in this dump
    await m.reconcile();
    assert.deepEqual(dests(), ["10.0.1.1/1"]);
  } finally {
    s.done();
  }
});

test("the periodic pass follows a new period (a reload that changes ipvsReconcileInterval)", async (t) => {
  t.mock.timers.enable({ apis: ["setInterval"] });
  const s = setup();
  try {
    let listed = 0;
    const list = s.kernel.listServices.bind(s.kernel);
    s.kernel.listServices = () => (listed++, list());
    const m = new IpvsManager({
      kernel: s.kernel,
      log: createLogger({ write: () => undefined }),
      stateFile: join(s.dir, "o.json"),
      periodMs: 1000,
    });
    await m.start({ web: web(["10.0.1.1"]) });
    const passesAfter = async (ms: number) => {
      const from = listed;
      t.mock.timers.tick(ms);
      await new Promise((r) => setTimeout(r, 20)); // a real timer: lets a pass the tick started finish
      return listed - from;
    };
    assert.equal(await passesAfter(1000), 1);
    m.setPeriod(5000);
    assert.equal(await passesAfter(1000), 0, "the old 1 s timer is gone");
    assert.equal(await passesAfter(4000), 1);
    m.setPeriod(5000); // unchanged: the timer keeps its phase
    assert.equal(await passesAfter(5000), 1);
    m.stop();
    assert.equal(await passesAfter(5000), 0);
  } finally {
    s.done();
  }
});

test("with no period a hand edit stays, observe() shows it beside the wanted weight, and a reload repairs it", async () => {
  const s = setup();
  try {
    const m = s.mk();
    await m.start({ web: web(["10.0.1.1", "10.0.1.2"]) });
    const svc = [...s.kernel.table.values()][0]!;
    svc.dests = svc.dests.map((d) => (d.address === "10.0.1.1" ? { ...d, weight: 9 } : d)); // ipvsadm -e -w 9
    const writes = s.kernel.writes;
    await m.observe();
    assert.equal(s.kernel.writes, writes, "observing writes nothing");
    const shown = m.stats.get("web")!.find((d) => d.dest.address === "10.0.1.1")!;
    assert.equal(shown.dest.weight, 9, "status shows the kernel as it is");
    assert.equal(m.wantedWeight("web", shown.dest), 1, "beside the weight the agent sets");
    const r = await m.setConfig({ web: web(["10.0.1.1", "10.0.1.2"]) }); // what `lvs-agent reload` does
    assert.equal(r.drift, true);
    assert.equal([...s.kernel.table.values()][0]!.dests.find((d) => d.address === "10.0.1.1")!.weight, 1);
  } finally {
    s.done();
  }
});

test("quorum crossings are reported once each, an IPv6 service's alpha start without one", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ipvsmgr-"));
  const kernel = new TableKernel();
  const seen: string[] = [];
  const m = new IpvsManager({
    kernel,
    log: createLogger({ write: () => undefined }),
    stateFile: join(dir, "owned.json"),
    periodMs: 0,
    onQuorum: (c, vs) => seen.push(`${c.name} ${c.up ? "up" : "down"} ${c.liveWeight} ${vs.quorumUp ?? ""}`),
  });
  const v6 = {
    ...web(["2001:db8:1::1", "2001:db8:1::2"], {
      address: "2001:db8::100",
      alpha: true,
      healthCheck: { type: "tcp" },
    }),
    quorumUp: "/bin/true up",
    quorumDown: "/bin/true down",
  };
  const rs = (a: string) => `web/${a}:80`;
  try {
    await m.start({ web: v6 });
    assert.deepEqual(seen, [], "alpha: the quorum starts lost, and a start is no crossing");
    assert.equal(m.hasQuorum("web"), false);
    assert.deepEqual([...kernel.table.keys()], ["tcp [2001:db8::100]:80"]);
    m.setHealth(rs("2001:db8:1::1"), { up: true });
    await m.reconcile();
    m.setHealth(rs("2001:db8:1::2"), { up: true });
    await m.reconcile();
    m.setHealth(rs("2001:db8:1::1"), { up: false });
    m.setHealth(rs("2001:db8:1::2"), { up: false });
    await m.reconcile();
    await m.reconcile();
    assert.deepEqual(seen, ["web up 1 /bin/true up", "web down 0 /bin/true up"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
