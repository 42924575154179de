// Our agents' adverts as an independent decoder sees them on the wire. Two agents run two instances
// side by side: v3 multicast (VRID 31, 0.1 s) and v2 PASS unicast (VRID 21, 1 s). tshark captures on
// d1's eth0 while d1 wins, then leaves by SIGTERM (a priority-0 advert per instance), then d2 takes over.
// Every VRRP packet must decode with a Good checksum and the fields we configured.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Lab, isRoot, run, type Host } from "../helpers/netns.ts";
import { startAgent, type Peer, type VrrpInstanceInput } from "../helpers/agent.ts";
import { Watched } from "../helpers/procs.ts";

const NET = "10.63.0";
const PASSWORD = "lvs-pw";

interface Expect {
  vrid: number;
  version: 2 | 3;
  vip: string;
  /** the adver_int field as tshark prints it: seconds (v2) or centiseconds (v3) */
  interval: string;
  /** where d1's packets go (multicast group or d2) */
  dst: (from: Host, to: Host) => string;
  /** d2's Skew_Time at priority 100: how long after d1's priority 0 it takes over (RFC 5798 6.4.2) */
  skewMs: number;
}

const V3: Expect = { vrid: 31, version: 3, vip: `${NET}.31`, interval: "10", dst: () => "224.0.0.18", skewMs: 61 };
const V2: Expect = { vrid: 21, version: 2, vip: `${NET}.21`, interval: "1", dst: (_from, to) => to.ip, skewMs: 609 };

function instances(priority: number, peer: Host): Record<string, VrrpInstanceInput> {
  const base = { interface: "eth0", priority };
  return {
    V3: { ...base, vrid: V3.vrid, version: 3, advertInterval: 0.1, virtualAddresses: [{ address: `${V3.vip}/24` }] },
    V2: {
      ...base,
      vrid: V2.vrid,
      version: 2,
      advertInterval: 1,
      virtualAddresses: [{ address: `${V2.vip}/24` }],
      unicastPeers: [peer.ip],
      auth: { type: "PASS", password: PASSWORD },
    },
  };
}

const FIELDS = [
  "frame.time_relative",
  "ip.src",
  "ip.dst",
  "ip.ttl",
  "vrrp.version",
  "vrrp.type",
  "vrrp.virt_rtr_id",
  "vrrp.prio",
  "vrrp.addr_count",
  "vrrp.ip_addr",
  "vrrp.checksum.status",
  "vrrp.auth_type",
  "vrrp.auth_string",
  "vrrp.adver_int",
  "vrrp.short_adver_int",
  "_ws.malformed",
  "_ws.expert",
] as const;
type Field = (typeof FIELDS)[number];
type Row = Record<Field, string>;

/** Every IP protocol 112 packet in the capture, decoded by tshark. */
function decode(file: string): Row[] {
  const args = [
    "-r",
    file,
    "-o",
    "vrrp.v3_checksum_as_in_v2:FALSE",
    "-Y",
    "ip.proto == 112",
    "-T",
    "fields",
    "-E",
    "occurrence=a",
  ];
  const out = run("tshark", [...args, ...FIELDS.flatMap((f) => ["-e", f])]);
  return out
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const cols = line.split("\t");
      return Object.fromEntries(FIELDS.map((f, i) => [f, cols[i] ?? ""])) as Row;
    });
}

async function startCapture(host: Host, file: string): Promise<Watched> {
  const w = new Watched(host.spawn("tshark", ["-i", "eth0", "-w", file, "-f", "ip proto 112"]));
  await w.waitLine((l) => l.text.includes("Capturing on"), 15_000, "tshark capturing");
  return w;
}

/** What every packet of instance `e` sent by `from` to `to` must look like. */
function checkRow(r: Row, e: Expect, from: Host, to: Host): void {
  const where = `packet at ${r["frame.time_relative"]} s from ${from.name} VRID ${e.vrid}`;
  assert.equal(r["vrrp.checksum.status"], "1", `${where}: checksum status (1 = Good)`);
  assert.equal(r["_ws.malformed"] + r["_ws.expert"], "", `${where}: tshark flags it`);
  assert.equal(r["vrrp.version"], String(e.version), where);
  assert.equal(r["vrrp.type"], "1", `${where}: type Advertisement`);
  assert.equal(r["ip.ttl"], "255", where);
  assert.equal(r["ip.dst"], e.dst(from, to), where);
  assert.equal(r["vrrp.addr_count"], "1", where);
  assert.equal(r["vrrp.ip_addr"], e.vip, where);
  if (e.version === 2) {
    assert.equal(r["vrrp.auth_type"], "1", `${where}: auth type Simple Text`);
    assert.equal(r["vrrp.auth_string"], PASSWORD, where);
    assert.equal(r["vrrp.adver_int"], e.interval, where);
  } else {
    assert.equal(r["vrrp.short_adver_int"], e.interval, where);
    assert.equal(r["vrrp.auth_type"], "", `${where}: v3 has no auth field`);
  }
}

/** d1 (200) advertises, says priority 0 when it leaves, then d2 (100) advertises; nothing else. */
function checkInstance(rows: Row[], e: Expect, d1: Host, d2: Host): string {
  const mine = rows.filter((r) => r["vrrp.virt_rtr_id"] === String(e.vrid));
  const seq = mine.map(
    (r) => `${r["ip.src"] === d1.ip ? "d1" : r["ip.src"] === d2.ip ? "d2" : r["ip.src"]}:${r["vrrp.prio"]}`,
  );
  for (const r of mine) checkRow(r, e, r["ip.src"] === d1.ip ? d1 : d2, r["ip.src"] === d1.ip ? d2 : d1);
  // Collapse repeats: the order of who said what must be d1 at 200, d1 at 0, d2 at 100.
  const phases = seq.filter((s, i) => s !== seq[i - 1]);
  assert.deepEqual(phases, ["d1:200", "d1:0", "d2:100"], `VRID ${e.vrid} sequence: ${seq.join(" ")}`);
  assert.ok(seq.filter((s) => s === "d1:200").length >= 3, `VRID ${e.vrid}: too few adverts from d1`);
  const at = (s: string) => Number(mine[seq.indexOf(s)]!["frame.time_relative"]) * 1000;
  const gap = at("d2:100") - at("d1:0");
  assert.ok(
    gap >= e.skewMs - 5 && gap < e.skewMs + 250,
    `VRID ${e.vrid}: d2 took over ${gap.toFixed(0)} ms after priority 0, Skew_Time is ${e.skewMs} ms`,
  );
  return `VRID ${e.vrid}: ${mine.length} packets, d2's first advert ${gap.toFixed(0)} ms after d1's priority 0`;
}

async function runScenario(lab: Lab, file: string): Promise<void> {
  const [d1, d2] = [lab.host("d1"), lab.host("d2")];
  const cap = await startCapture(d1, file);
  // d1 first, so that d2 never wins a start-up race (and sends before d1 does).
  const a = startAgent(d1, { instances: instances(200, d2) });
  await waitAll([a], (p, name) => p.waitState(name, "MASTER", 10_000));
  const b = startAgent(d2, { instances: instances(100, d1) });
  await waitAll([b], (p, name) => p.waitState(name, "BACKUP", 10_000));
  // d2 hears a few v2 adverts (1 s) before d1 leaves.
  await new Promise((r) => setTimeout(r, 2200));
  const from = b.lines.length;
  a.signal("SIGTERM");
  await a.exited(5000);
  await waitAll([b], (p, name) => p.waitState(name, "MASTER", 3000, from));
  await new Promise((r) => setTimeout(r, 1500));
  cap.signal("SIGINT");
  await cap.exited(10_000);
}

async function waitAll(peers: Peer[], fn: (p: Peer, name: string) => Promise<unknown>): Promise<void> {
  await Promise.all(peers.flatMap((p) => ["V3", "V2"].map((name) => fn(p, name))));
}

test(
  "tshark decodes every advert of our v3 multicast and v2 PASS unicast instances, with Good checksums and priority 0 at SIGTERM",
  {
    skip: !isRoot ? "needs root" : spawnSync("tshark", ["--version"]).error ? "tshark not installed" : false,
    timeout: 60_000,
  },
  async (t) => {
    const lab = Lab.create([
      { name: "d1", addr: `${NET}.11/24` },
      { name: "d2", addr: `${NET}.12/24` },
    ]);
    const dir = mkdtempSync(join(tmpdir(), "lvs-tshark-"));
    let passed = false;
    try {
      const file = join(dir, "vrrp.pcapng");
      await runScenario(lab, file);
      const rows = decode(file);
      t.diagnostic(`${rows.length} VRRP packets captured`);
      const known = rows.filter((r) => r["vrrp.virt_rtr_id"] === "31" || r["vrrp.virt_rtr_id"] === "21");
      assert.equal(known.length, rows.length, "every protocol-112 packet decodes as VRRP of one of our VRIDs");
      for (const e of [V3, V2]) t.diagnostic(checkInstance(rows, e, lab.host("d1"), lab.host("d2")));
      passed = true;
    } finally {
      lab.destroy();
      // A failed run keeps its capture for a look with tshark or wireshark.
      if (passed) rmSync(dir, { recursive: true, force: true });
      else t.diagnostic(`capture kept in ${dir}`);
    }
  },
);
