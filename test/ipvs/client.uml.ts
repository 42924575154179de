// IpvsClient against the real IPVS of user-mode Linux, with ipvsadm as the oracle of what the kernel
// holds. Runs inside UML only (test/ipvs/uml.test.ts boots it); the tests share one kernel and run in
// order, each starting from a flushed table.
import { NO_FLAGS, dest, service } from "./helpers/model.ts";
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { connect, createServer } from "node:net";
import { IpvsClient, IpvsError } from "../../agent/src/ipvs/genl.ts";
import type { IpvsDest, IpvsService, IpvsServiceKey } from "../../agent/src/ipvs/codec.ts";

const ipvsadm = (...args: string[]) => execFileSync("ipvsadm", args, { encoding: "utf8" });

const WEB: IpvsServiceKey = { protocol: "tcp", address: "10.1.0.1", port: 80 };
const DNS: IpvsServiceKey = { protocol: "udp", address: "10.1.0.1", port: 53 };
const SCTP: IpvsServiceKey = { protocol: "sctp", address: "10.1.0.2", port: 5000 };
const IKE: IpvsServiceKey = { protocol: "udp", address: "10.1.0.3", port: 4500 };
const MARK: IpvsServiceKey = { family: "inet", fwmark: 7 };
const V6: IpvsServiceKey = { protocol: "tcp", address: "2001:db8::1", port: 443 };
const LC: IpvsServiceKey = { protocol: "tcp", address: "10.1.0.4", port: 8080 };
const DH: IpvsServiceKey = { protocol: "tcp", address: "10.1.0.5", port: 8081 };

/** One service per scheduler and kind, with persistence and scheduler flags. */
const SERVICES: IpvsService[] = [
  service(WEB, "rr"),
  service(DNS, "wrr", { flags: { ...NO_FLAGS, persistent: true }, timeout: 300, netmask: 24 }),
  service(SCTP, "mh", { flags: { ...NO_FLAGS, schedFlag1: true, schedFlag2: true } }),
  service(IKE, "wlc", { flags: { ...NO_FLAGS, onePacket: true } }),
  service(MARK, "sh", { flags: { ...NO_FLAGS, schedFlag2: true } }),
  service(V6, "rr", { netmask: 128 }),
  service(LC, "lc", { flags: { ...NO_FLAGS, persistent: true }, timeout: 60 }),
  service(DH, "dh"),
];
const DESTS: [IpvsServiceKey, IpvsDest][] = [
  [WEB, dest("192.168.10.11", 8080, "nat", 3, { upperThreshold: 100, lowerThreshold: 10 })],
  [WEB, dest("192.168.10.12", 80, "dr", 1)],
  [WEB, dest("192.168.10.13", 80, "tun", 2, { tunnel: { type: "gue", port: 6080, checksum: "csum" } })],
  [DNS, dest("192.168.10.21", 53, "dr", 5)],
  [MARK, dest("192.168.10.31", 0, "dr", 0)],
  [V6, dest("2001:db8::10", 8443, "nat", 2)],
];

let ipvs: IpvsClient;
before(async () => {
  ipvs = await IpvsClient.open();
});
after(() => ipvs.close());

async function addAll(): Promise<void> {
  await ipvs.flush();
  for (const s of SERVICES) await ipvs.addService(s);
  for (const [key, d] of DESTS) await ipvs.addDest(key, d);
}

test("services of every kind and their real servers are what ipvsadm -Ln shows", async () => {
  await addAll();
  assert.equal(
    ipvsadm("-Ln"),
    `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.1.0.1:80 rr
  -> 192.168.10.11:8080           Masq    3      0          0         
  -> 192.168.10.12:80             Route   1      0          0         
  -> 192.168.10.13:80             Tunnel  2      0          0         
TCP  10.1.0.4:8080 lc persistent 60
TCP  10.1.0.5:8081 dh
UDP  10.1.0.1:53 wrr persistent 300 mask 255.255.255.0
  -> 192.168.10.21:53             Route   5      0          0         
UDP  10.1.0.3:4500 wlc ops
SCTP 10.1.0.2:5000 mh (mh-fallback,mh-port)
TCP  [2001:db8::1]:443 rr
  -> [2001:db8::10]:8443          Masq    2      0          0         
FWM  7 sh (sh-port)
  -> 192.168.10.31:0              Route   0      0          0         
`,
  );
});

test("ipvsadm -S and --thresholds show what -Ln leaves out: thresholds and tunnel settings", async () => {
  await addAll();
  // ipvsadm's save format has no thresholds, whatever the kernel holds
  assert.equal(
    ipvsadm("-S", "-n"),
    `-A -t 10.1.0.1:80 -s rr
-a -t 10.1.0.1:80 -r 192.168.10.11:8080 -m -w 3
-a -t 10.1.0.1:80 -r 192.168.10.12:80 -g -w 1
-a -t 10.1.0.1:80 -r 192.168.10.13:80 -i -w 2 --tun-type gue --tun-port 6080 --tun-csum
-A -t 10.1.0.4:8080 -s lc -p 60
-A -t 10.1.0.5:8081 -s dh
-A -u 10.1.0.1:53 -s wrr -p 300 -M 255.255.255.0
-a -u 10.1.0.1:53 -r 192.168.10.21:53 -g -w 5
-A -u 10.1.0.3:4500 -s wlc -o
-A --sctp-service 10.1.0.2:5000 -s mh -b mh-fallback,mh-port
-A -t [2001:db8::1]:443 -s rr
-a -t [2001:db8::1]:443 -r [2001:db8::10]:8443 -m -w 2
-A -f 7 -s sh -b sh-port
-a -f 7 -r 192.168.10.31:0 -g -w 0
`,
  );
  assert.deepEqual(section(ipvsadm("-Ln", "--thresholds"), "TCP  10.1.0.1:80"), [
    "TCP  10.1.0.1:80 rr",
    "  -> 192.168.10.11:8080           100        10         0          0         ",
    "  -> 192.168.10.12:80             0          0          0          0         ",
    "  -> 192.168.10.13:80             0          0          0          0         ",
  ]);
});

/** The lines of one service in ipvsadm -L output: its own and its real servers'. */
function section(listing: string, service: string): string[] {
  const lines = listing.split("\n");
  const start = lines.findIndex((l) => l.startsWith(`${service} `));
  assert.ok(start >= 0, `${service} not in:\n${listing}`);
  const end = lines.findIndex((l, i) => i > start && !l.startsWith("  ->"));
  return lines.slice(start, end);
}

test("our dump lists back exactly what we added, with zero counters", async () => {
  await addAll();
  const listed = await ipvs.listServices();
  const key = (s: IpvsServiceKey) => JSON.stringify(s);
  const sortByKey = <T extends IpvsServiceKey>(list: T[]) => [...list].sort((a, b) => key(a).localeCompare(key(b)));
  assert.deepEqual(sortByKey(listed.map((l) => l.service)), sortByKey(SERVICES));
  for (const l of listed) assert.equal(l.stats.conns, 0n);
  for (const s of SERVICES) {
    const dests = (await ipvs.listDests(s)).map((d) => d.dest);
    const expected = DESTS.filter(([k]) => key(k) === key(serviceKeyOf(s))).map(([, d]) => d);
    assert.deepEqual([...dests].sort(byAddress), [...expected].sort(byAddress), `dests of ${key(s)}`);
  }
  assert.deepEqual(await ipvs.getService(WEB).then((s) => s?.service), SERVICES[0]);
  assert.equal(await ipvs.getService({ ...WEB, port: 81 }), undefined);
});

function serviceKeyOf(s: IpvsService): IpvsServiceKey {
  return "fwmark" in s
    ? { family: s.family, fwmark: s.fwmark }
    : { protocol: s.protocol, address: s.address, port: s.port };
}
const byAddress = (a: IpvsDest, b: IpvsDest) => a.address.localeCompare(b.address);

test("edits change settings in place; deletes remove one service or real server", async () => {
  await addAll();
  await ipvs.editService(service(WEB, "wlc", { flags: { ...NO_FLAGS, persistent: true }, timeout: 120, netmask: 16 }));
  await ipvs.editDest(WEB, dest("192.168.10.11", 8080, "nat", 7, { upperThreshold: 50 }));
  await ipvs.delDest(WEB, { address: "192.168.10.12", port: 80 });
  await ipvs.delService(DNS);
  assert.deepEqual(section(ipvsadm("-Ln"), "TCP  10.1.0.1:80"), [
    "TCP  10.1.0.1:80 wlc persistent 120 mask 255.255.0.0",
    "  -> 192.168.10.11:8080           Masq    7      0          0         ",
    "  -> 192.168.10.13:80             Tunnel  2      0          0         ",
  ]);
  assert.deepEqual(section(ipvsadm("-Ln", "--thresholds"), "TCP  10.1.0.1:80").slice(1, 2), [
    "  -> 192.168.10.11:8080           50         0          0          0         ",
  ]);
  // columns: Weight PersistConn ActiveConn InActConn
  assert.deepEqual(section(ipvsadm("-Ln", "--persistent-conn"), "TCP  10.1.0.1:80").slice(1), [
    "  -> 192.168.10.11:8080           7         0           0          0         ",
    "  -> 192.168.10.13:80             2         0           0          0         ",
  ]);
  assert.doesNotMatch(ipvsadm("-Ln"), /10\.1\.0\.1:53/);
});

test("flush empties the table", async () => {
  await addAll();
  await ipvs.flush();
  assert.deepEqual(await ipvs.listServices(), []);
  assert.equal(ipvsadm("-S", "-n"), "");
});

test("kernel errors carry the errno name and name the service or real server", async () => {
  await addAll();
  const rejects = (fn: () => Promise<unknown>, errno: string, message: RegExp) =>
    assert.rejects(fn, (err: unknown) => err instanceof IpvsError && err.errno === errno && message.test(err.message));
  await rejects(
    () => ipvs.addService(SERVICES[0]!),
    "EEXIST",
    /^IPVS addService TCP 10\.1\.0\.1:80: EEXIST \(already exists\)$/,
  );
  await rejects(
    () => ipvs.delService({ ...WEB, port: 81 }),
    "ESRCH",
    /delService TCP 10\.1\.0\.1:81: ESRCH \(no such virtual service\)/,
  );
  await rejects(
    () => ipvs.addService(service({ ...WEB, port: 82 }, "nosuch")),
    "ENOENT",
    /addService TCP 10\.1\.0\.1:82: ENOENT \(scheduler/,
  );
  await rejects(
    () => ipvs.delDest(WEB, { address: "192.168.10.99", port: 80 }),
    "ENOENT",
    /delDest TCP 10\.1\.0\.1:80 -> 192\.168\.10\.99:80: ENOENT/,
  );
  await rejects(() => ipvs.addDest(MARK, DESTS[4]![1]), "EEXIST", /addDest FWM 7 -> 192\.168\.10\.31:0: EEXIST/);
});

test("timeouts, version and the sync daemon", async () => {
  assert.deepEqual(await ipvs.getInfo(), { version: "1.2.1", connTableSize: 4096 });
  await ipvs.setTimeouts({ tcp: 900, tcpFin: 120, udp: 300 });
  assert.deepEqual(await ipvs.getTimeouts(), { tcp: 900, tcpFin: 120, udp: 300 });
  await ipvs.setTimeouts({ tcp: 0, tcpFin: 0, udp: 60 }); // 0 = unchanged
  assert.equal(ipvsadm("-L", "--timeout"), "Timeout (tcp tcpfin udp): 900 120 60\n");

  const daemon = {
    state: "backup",
    ifname: "lo",
    syncId: 9,
    syncMaxLen: 1400,
    mcastGroup: "239.1.2.3",
    mcastPort: 8850,
    mcastTtl: 2,
  } as const;
  await ipvs.startDaemon(daemon);
  assert.deepEqual(await ipvs.listDaemons(), [daemon]);
  assert.equal(
    ipvsadm("-L", "--daemon"),
    "backup sync daemon (mcast=lo, syncid=9, maxlen=1400, group=239.1.2.3, port=8850, ttl=2)\n",
  );
  await ipvs.stopDaemon("backup");
  assert.deepEqual(await ipvs.listDaemons(), []);
});

test("counters: a connection through a virtual service shows in the dump (a local real server)", async () => {
  await ipvs.flush();
  execFileSync("ip", ["addr", "replace", "10.1.0.9/32", "dev", "lo"]);
  const vs: IpvsServiceKey = { protocol: "tcp", address: "10.1.0.9", port: 7000 };
  const server = createServer((sock) => sock.end("hello\n"));
  await new Promise<void>((resolve) => server.listen(7001, "10.1.0.9", resolve));
  try {
    await ipvs.addService(service(vs, "rr"));
    await ipvs.addDest(vs, dest("10.1.0.9", 7001, "nat", 1));
    assert.equal(await fetchLine("10.1.0.9", 7000), "hello");
    // the kernel sums its per-CPU counters into what it reports every 2 s (the rate estimator's tick)
    const info = await poll(
      async () => (await ipvs.listServices())[0],
      (i) => i?.stats.conns === 1n,
      5000,
    );
    assert.ok(info && info.stats.inPkts > 0n && info.stats.inBytes > 0n, `counters: ${String(info?.stats.inBytes)}`);
    const [real] = await ipvs.listDests(vs);
    assert.deepEqual(real?.dest, dest("10.1.0.9", 7001, "nat", 1)); // Linux 6.1 keeps "nat" for a local real server
    assert.equal(real?.stats.conns, 1n);
    assert.equal(real.activeConns + real.inactConns, 1);
  } finally {
    server.close();
    execFileSync("ip", ["addr", "del", "10.1.0.9/32", "dev", "lo"]);
  }
});

async function poll<T>(get: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

function fetchLine(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = "";
    const sock = connect(port, host);
    sock.setTimeout(5000, () => sock.destroy(new Error("timed out")));
    sock.on("data", (b) => (data += b.toString("utf8")));
    sock.on("end", () => resolve(data.trim()));
    sock.on("error", reject);
  });
}
