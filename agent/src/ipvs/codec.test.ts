import { test } from "node:test";
import { NO_FLAGS, dest, service } from "../../../test/ipvs/helpers/model.ts";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  canonicalAddress,
  decodeDaemon,
  decodeDest,
  decodeInfo,
  decodeService,
  decodeTimeouts,
  describeService,
  genlHeader,
  IPVS_CMD,
  IpvsCodecError,
  NlaError,
  ipvsRequest,
  parseAttrs,
  type IpvsDest,
  type IpvsRequest,
  type IpvsService,
  type IpvsServiceFlags,
  type IpvsServiceKey,
} from "./codec.ts";

// ---------------------------------------------------------------- the ipvsadm capture (see its header)

interface Captured {
  dir: "send" | "recv";
  flags: number;
  bytes: Buffer;
}

function loadCapture(): Map<string, Captured[]> {
  const text = readFileSync(new URL("./fixtures/ipvsadm-1.31-linux-6.1.txt", import.meta.url), "utf8");
  const byCommand = new Map<string, Captured[]>();
  let current: Captured[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("> ")) byCommand.set(line.slice(2), (current = []));
    const m = /^(send|recv) ([0-9a-f]+) ([0-9a-f]+)$/.exec(line);
    if (m) current.push({ dir: m[1] as Captured["dir"], flags: parseInt(m[2]!, 16), bytes: Buffer.from(m[3]!, "hex") });
  }
  return byCommand;
}
const CAPTURE = loadCapture();

/** The messages ipvsadm sent for a command line, without the IPVS_CMD_GET_INFO every call starts with. */
function sent(args: string): Captured[] {
  const msgs = CAPTURE.get(args);
  assert.ok(msgs, `no capture for ipvsadm ${args}`);
  return msgs.filter((m) => m.dir === "send" && m.bytes[0] !== IPVS_CMD.GET_INFO);
}
function onlySent(args: string): Captured {
  const [msg, ...rest] = sent(args);
  assert.ok(msg && rest.length === 0, `expected one request for ipvsadm ${args}`);
  return msg;
}
function received(args: string, cmd: number): Buffer[] {
  return CAPTURE.get(args)!
    .filter((m) => m.dir === "recv" && m.bytes[0] === cmd)
    .map((m) => m.bytes.subarray(4));
}

const NLM_F_DUMP = 0x300;
const wire = (r: IpvsRequest) => Buffer.concat([genlHeader(r.cmd), r.attrs]);

/** Top-level attributes as raw TLVs (header included), to compare parts of a message byte for byte. */
function tlvs(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < buf.length; off += (buf.readUInt16LE(off) + 3) & ~3)
    out.push(buf.subarray(off, off + buf.readUInt16LE(off)));
  return out;
}
const attrsOf = (msg: Buffer) => tlvs(msg.subarray(4));
const children = (nested: Buffer) => tlvs(nested.subarray(4));

function assertSameRequest(ours: IpvsRequest, theirs: Captured): void {
  assert.equal(wire(ours).toString("hex"), theirs.bytes.toString("hex"));
  assert.equal(ours.dump, (theirs.flags & NLM_F_DUMP) !== 0);
}

// ---------------------------------------------------------------- models matching the captured commands

const flags = (on: Partial<IpvsServiceFlags>): IpvsServiceFlags => ({ ...NO_FLAGS, ...on });
const svc = service;

const TCP80: IpvsServiceKey = { protocol: "tcp", address: "10.0.0.1", port: 80 };
const UDP53: IpvsServiceKey = { protocol: "udp", address: "10.0.0.1", port: 53 };
const FWM7: IpvsServiceKey = { family: "inet", fwmark: 7 };
const SCTP5000: IpvsServiceKey = { protocol: "sctp", address: "10.0.0.2", port: 5000 };
const UDP4500: IpvsServiceKey = { protocol: "udp", address: "10.0.0.3", port: 4500 };
const SIP: IpvsServiceKey = { protocol: "udp", address: "10.0.0.4", port: 5060 };
const V6: IpvsServiceKey = { protocol: "tcp", address: "2001:db8::1", port: 443 };
const FWM9V6: IpvsServiceKey = { family: "inet6", fwmark: 9 };

const ADDED: [args: string, service: IpvsService][] = [
  ["-A -t 10.0.0.1:80 -s rr", svc(TCP80, "rr")],
  [
    "-A -u 10.0.0.1:53 -s wrr -p 300 -M 255.255.255.0",
    svc(UDP53, "wrr", { flags: flags({ persistent: true }), timeout: 300, netmask: 24 }),
  ],
  ["-A -f 7 -s sh -b sh-fallback,sh-port", svc(FWM7, "sh", { flags: flags({ schedFlag1: true, schedFlag2: true }) })],
  ["-A --sctp-service 10.0.0.2:5000 -s mh -b mh-port", svc(SCTP5000, "mh", { flags: flags({ schedFlag2: true }) })],
  ["-A -u 10.0.0.3:4500 -s lc -o", svc(UDP4500, "lc", { flags: flags({ onePacket: true }) })],
  [
    "-A -u 10.0.0.4:5060 -s rr -p 60 --pe sip",
    svc(SIP, "rr", { flags: flags({ persistent: true }), timeout: 60, pe: "sip" }),
  ],
  ["-A -t [2001:db8::1]:443 -s dh", svc(V6, "dh", { netmask: 128 })],
  [
    "-A -f 9 -6 -s rr -p 120 -M 64",
    svc(FWM9V6, "rr", { flags: flags({ persistent: true }), timeout: 120, netmask: 64 }),
  ],
];
const EDITED_TCP80 = svc(TCP80, "wlc", { flags: flags({ persistent: true }), timeout: 60 });

const DESTS: [args: string, key: IpvsServiceKey, dest: IpvsDest][] = [
  [
    "-a -t 10.0.0.1:80 -r 192.168.1.10:8080 -m -w 3 -x 100 -y 10",
    TCP80,
    dest("192.168.1.10", 8080, "nat", 3, { upperThreshold: 100, lowerThreshold: 10 }),
  ],
  ["-a -t 10.0.0.1:80 -r 192.168.1.11:80 -g", TCP80, dest("192.168.1.11", 80, "dr", 1)],
  [
    "-a -t 10.0.0.1:80 -r 192.168.1.12:80 -i --tun-type gue --tun-port 6080 --tun-csum",
    TCP80,
    dest("192.168.1.12", 80, "tun", 1, { tunnel: { type: "gue", port: 6080, checksum: "csum" } }),
  ],
  ["-a -f 7 -r 192.168.1.13 -g -w 0", FWM7, dest("192.168.1.13", 0, "dr", 0)],
  ["-a -t [2001:db8::1]:443 -r [2001:db8::10]:8443 -m -w 2", V6, dest("2001:db8::10", 8443, "nat", 2)],
];
// ipvsadm -e sends the whole dest, so the thresholds it was not given fall back to 0
const EDITED_DEST = dest("192.168.1.10", 8080, "nat", 5);

/** ipvsadm's GET_DEST dump request per service: the service named by its key attributes alone. */
function keyRequestOf(key: IpvsServiceKey): Captured {
  const wanted = wire(ipvsRequest.getDests(key)).toString("hex");
  const found = sent("-Ln").find((m) => m.bytes.toString("hex") === wanted);
  assert.ok(found, `ipvsadm sent no GET_DEST for ${describeService(key)}`);
  return found;
}

// ---------------------------------------------------------------- requests, byte for byte

test("NEW_SERVICE requests are byte-identical to ipvsadm's for every kind of service", () => {
  for (const [args, service] of ADDED) assertSameRequest(ipvsRequest.newService(service), onlySent(args));
});

test("SET_SERVICE (ipvsadm -E) is byte-identical", () => {
  assertSameRequest(ipvsRequest.setService(EDITED_TCP80), onlySent("-E -t 10.0.0.1:80 -s wlc -p 60"));
});

test("GET_DEST dumps name the service by key exactly as ipvsadm does, for every service", () => {
  for (const [, service] of ADDED) assertSameRequest(ipvsRequest.getDests(service), keyRequestOf(service));
  assertSameRequest(ipvsRequest.getServices(), sent("-Ln")[0]!);
});

test("NEW_DEST and SET_DEST: the dest attribute is byte-identical, the service is its key", () => {
  const cases: [IpvsRequest, string, IpvsServiceKey][] = [
    ...DESTS.map(([args, key, d]): [IpvsRequest, string, IpvsServiceKey] => [ipvsRequest.newDest(key, d), args, key]),
    [ipvsRequest.setDest(TCP80, EDITED_DEST), "-e -t 10.0.0.1:80 -r 192.168.1.10:8080 -m -w 5", TCP80],
  ];
  for (const [ours, args, key] of cases) {
    const theirs = onlySent(args).bytes;
    assert.equal(ours.cmd, theirs[0], args);
    const [ourService, ourDest, ...extra] = attrsOf(wire(ours));
    assert.equal(extra.length, 0);
    assert.equal(ourDest!.toString("hex"), attrsOf(theirs)[1]!.toString("hex"), `dest attribute of ${args}`);
    assert.equal(
      ourService!.toString("hex"),
      attrsOf(keyRequestOf(key).bytes)[0]!.toString("hex"),
      `service of ${args}`,
    );
  }
});

test("DEL_SERVICE and DEL_DEST carry the keys ipvsadm sends (it adds unused attributes after them)", () => {
  const delSvc = onlySent("-D -u 10.0.0.3:4500").bytes;
  const ours = attrsOf(wire(ipvsRequest.delService(UDP4500)));
  assert.equal(delSvc[0], IPVS_CMD.DEL_SERVICE);
  assert.deepEqual(children(ours[0]!), children(attrsOf(delSvc)[0]!).slice(0, 4));

  const delDest = onlySent("-d -t 10.0.0.1:80 -r 192.168.1.11:80").bytes;
  const [, ourDest] = attrsOf(wire(ipvsRequest.delDest(TCP80, { address: "192.168.1.11", port: 80 })));
  assert.equal(delDest[0], IPVS_CMD.DEL_DEST);
  assert.deepEqual(children(ourDest!), children(attrsOf(delDest)[1]!).slice(0, 3));
});

test("config, daemon, zero and flush requests are byte-identical", () => {
  assertSameRequest(ipvsRequest.setConfig({ tcp: 900, tcpFin: 120, udp: 300 }), onlySent("--set 900 120 300"));
  assertSameRequest(ipvsRequest.getConfig(), onlySent("-L --timeout"));
  assertSameRequest(
    ipvsRequest.newDaemon({ state: "master", ifname: "lo", syncId: 5 }),
    onlySent("--start-daemon master --mcast-interface lo --syncid 5"),
  );
  assertSameRequest(ipvsRequest.getDaemons(), onlySent("-L --daemon"));
  assertSameRequest(ipvsRequest.zero(), onlySent("-Z"));
  assertSameRequest(ipvsRequest.flush(), onlySent("-C"));
  assertSameRequest(
    ipvsRequest.getInfo(),
    CAPTURE.get("-C")!.find((m) => m.dir === "send")!,
  );
  // ipvsadm also sends an empty interface and syncid 0; the kernel reads only the state
  const stop = onlySent("--stop-daemon master").bytes;
  assert.deepEqual(
    children(attrsOf(wire(ipvsRequest.delDaemon("master")))[0]!),
    children(attrsOf(stop)[0]!).slice(0, 1),
  );
});

// ---------------------------------------------------------------- kernel dumps, decoded

test("the kernel's service dump decodes to what was added (and edited), HASHED left out", () => {
  const expected = [
    ...ADDED.map(([, s]) => s).filter((s) => describeService(s) !== describeService(TCP80)),
    EDITED_TCP80,
  ];
  const decoded = received("-Ln", IPVS_CMD.NEW_SERVICE).map((m) => decodeService(m));
  const byName = (list: IpvsService[]) =>
    [...list].sort((a, b) => describeService(a).localeCompare(describeService(b)));
  assert.deepEqual(byName(decoded.map((d) => d.service)), byName(expected));
  for (const d of decoded) assert.equal(d.stats.conns, 0n);
});

test("the kernel's dest dumps decode to what was added, tunnel settings included", () => {
  const expected = [EDITED_DEST, ...DESTS.map(([, , d]) => d).filter((d) => d.address !== "192.168.1.10")];
  const decoded = received("-Ln", IPVS_CMD.NEW_DEST).map((m) => decodeDest(m));
  const byAddr = (list: IpvsDest[]) => [...list].sort((a, b) => a.address.localeCompare(b.address));
  assert.deepEqual(byAddr(decoded.map((d) => d.dest)), byAddr(expected));
  for (const d of decoded)
    assert.deepEqual([d.activeConns, d.inactConns, d.persistConns, d.stats.inBytes], [0, 0, 0, 0n]);
});

test("timeouts, info and sync daemon replies decode", () => {
  assert.deepEqual(decodeTimeouts(received("-L --timeout", IPVS_CMD.SET_CONFIG)[0]!), {
    tcp: 900,
    tcpFin: 120,
    udp: 300,
  });
  assert.deepEqual(decodeInfo(received("-Ln", IPVS_CMD.SET_INFO)[0]!), { version: "1.2.1", connTableSize: 4096 });
  assert.deepEqual(decodeDaemon(received("-L --daemon", IPVS_CMD.NEW_DAEMON)[0]!), {
    state: "master",
    ifname: "lo",
    syncId: 5,
    syncMaxLen: 1472,
    mcastGroup: "224.0.0.81",
    mcastPort: 8848,
    mcastTtl: 1,
  });
});

test("64-bit counters come from IPVS_SVC_ATTR_STATS64, beyond 2^53 exactly", () => {
  const big = 2n ** 60n + 7n;
  const u64 = (type: number, v: bigint) => {
    const b = Buffer.alloc(12);
    b.writeUInt16LE(12, 0);
    b.writeUInt16LE(type, 2);
    b.writeBigUInt64LE(v, 4);
    return b;
  };
  const stats64 = Buffer.concat([
    Buffer.from([8 + 4 + 12, 0, 12, 0]),
    Buffer.from([8, 0, 1, 0, 3, 0, 0, 0]),
    u64(4, big),
  ]);
  const service = attrsOf(wire(ipvsRequest.newService(svc(TCP80, "rr"))))[0]!;
  const withStats = Buffer.concat([service, stats64]);
  withStats.writeUInt16LE(service.length + stats64.length, 0);
  const { stats } = decodeService(withStats);
  assert.equal(stats.conns, 3n);
  assert.equal(stats.inBytes, big);
});

// ---------------------------------------------------------------- round trips and refusals

test("our own requests decode back to the same service and dest", () => {
  for (const [, s] of ADDED) assert.deepEqual(decodeService(ipvsRequest.newService(s).attrs).service, s);
  for (const [, key, d] of DESTS) {
    const [, destTlv] = tlvs(ipvsRequest.newDest(key, d).attrs);
    assert.deepEqual(decodeDest(destTlv!).dest, d);
  }
});

test("sync daemon options round-trip, the IPv6 group in its own attribute", () => {
  const daemons = [
    {
      state: "backup",
      ifname: "eth1",
      syncId: 200,
      syncMaxLen: 1400,
      mcastGroup: "239.1.2.3",
      mcastPort: 8850,
      mcastTtl: 2,
    },
    { state: "master", ifname: "eth0", syncId: 1, mcastGroup: "ff02::1:3" },
  ] as const;
  for (const d of daemons) assert.deepEqual(decodeDaemon(ipvsRequest.newDaemon(d).attrs), d);
  const nested = children(attrsOf(wire(ipvsRequest.newDaemon(daemons[1])))[0]!);
  assert.equal(nested.at(-1)!.readUInt16LE(2), 6); // IPVS_DAEMON_ATTR_MCAST_GROUP6
});

test("addresses: IPv6 in RFC 5952 form, IPv4 in the first four bytes of nf_inet_addr", () => {
  assert.equal(canonicalAddress("2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
  assert.equal(canonicalAddress("2001:db8:0:1:0:0:0:1"), "2001:db8:0:1::1");
  assert.equal(canonicalAddress("::"), "::");
  assert.equal(canonicalAddress("fe80:0:0:1:0:0:0:0"), "fe80:0:0:1::"); // the longer zero run
  assert.equal(canonicalAddress("fe80:0:0:0:1:0:0:0"), "fe80::1:0:0:0"); // equal runs: the first
  assert.equal(canonicalAddress("::ffff:10.0.0.1"), "::ffff:a00:1");
  assert.equal(canonicalAddress("10.0.0.1"), "10.0.0.1");
  const addr = parseAttrs(attrsOf(wire(ipvsRequest.delService(TCP80)))[0]!.subarray(4)).get(3); // IPVS_SVC_ATTR_ADDR
  assert.equal(addr?.toString("hex"), "0a000001" + "00".repeat(12));
});

test("encoding refuses values the kernel would reject or misread", () => {
  const bad: [string, () => unknown][] = [
    ["port 70000", () => ipvsRequest.delService({ ...TCP80, port: 70000 })],
    ["fwmark 0", () => ipvsRequest.delService({ family: "inet", fwmark: 0 })],
    ["netmask /33", () => ipvsRequest.newService(svc(TCP80, "rr", { netmask: 33 }))],
    ["IPv6 netmask /0", () => ipvsRequest.newService(svc(V6, "rr", { netmask: 0 }))],
    ["scheduler name", () => ipvsRequest.newService(svc(TCP80, "a-very-long-scheduler"))],
    ["weight -1", () => ipvsRequest.newDest(TCP80, dest("192.168.1.10", 80, "dr", -1))],
    ["address", () => ipvsRequest.newDest(TCP80, dest("192.168.1", 80, "dr", 1))],
    ["interface", () => ipvsRequest.newDaemon({ state: "backup", ifname: "", syncId: 1 })],
  ];
  for (const [what, fn] of bad) assert.throws(fn, IpvsCodecError, what);
});

test("decoding reports malformed or unknown input instead of guessing", () => {
  const service = attrsOf(wire(ipvsRequest.newService(svc(UDP53, "wrr", { netmask: 24 }))))[0]!;
  const nonContiguous = Buffer.from(service);
  nonContiguous.write("ff00ff00", nonContiguous.length - 4, "hex");
  assert.throws(() => decodeService(nonContiguous), /non-contiguous netmask 255.0.255.0/);
  const badProto = Buffer.from(service);
  badProto.writeUInt16LE(99, 4 + 8 + 4); // IPVS_SVC_ATTR_PROTOCOL's value
  assert.throws(() => decodeService(badProto), /unknown service protocol 99/);
  const truncated = service.subarray(0, service.length - 2);
  assert.throws(() => decodeService(truncated), NlaError);
  assert.throws(() => decodeDest(Buffer.alloc(0)), /IPVS_CMD_ATTR_DEST missing/);
});

test("describeService names services as ipvsadm does", () => {
  assert.equal(describeService(TCP80), "TCP 10.0.0.1:80");
  assert.equal(describeService(V6), "TCP [2001:db8::1]:443");
  assert.equal(describeService(FWM7), "FWM 7");
  assert.equal(describeService(SCTP5000), "SCTP 10.0.0.2:5000");
});
