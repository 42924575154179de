// The benchmark's delay relay (bench/delay-relay.mjs) between real sockets in lab namespaces: a client
// and the relay in one host, echo servers in another. Checks that a round trip costs the emulated RTT
// (two on a fresh connection: the handshake) with no Nagle stall of the relay's own, that 1 MiB comes
// back byte-identical through the relay's window, that each route reaches its own target, and that FIN
// and RST cross it both ways.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Lab, isRoot, type Host } from "../helpers/netns.ts";
import { Watched } from "../helpers/procs.ts";
import { randomSubnet } from "../net/fixtures/client.ts";
import { startDelayRelay, type DelayRelay } from "../../bench/delay-relay.ts";

const RTT = 50;
/** generous: the machine has 2 cores and other tests' leftovers may still be running */
const BOUND = 1000;
const ECHO = fileURLToPath(new URL("./fixtures/echo-server.mjs", import.meta.url));
const CLIENT = fileURLToPath(new URL("./fixtures/relay-client.mjs", import.meta.url));
const ROUTE_A = "127.0.1.10";
const ROUTE_B = "127.0.1.11";
const ROUTE_PAIRS = "127.0.1.12";
const ROUTE_NOWHERE = "127.0.1.13";

const net = randomSubnet();
let lab: Lab;
let ctl: Host;
let echo: Watched;
let relay: DelayRelay;

before(async () => {
  if (!isRoot) return;
  lab = Lab.create([
    { name: "ctl", addr: `${net}.2/24` },
    { name: "srv", addr: `${net}.1/24` },
  ]);
  ctl = lab.host("ctl");
  echo = new Watched(lab.host("srv").spawn(process.execPath, [ECHO, "7001", "7002", "pairs:7003"]));
  await echo.waitLine((l) => l.text === "listening", 10_000, "the echo servers");
  relay = await startDelayRelay(ctl, RTT, [
    { listen: { host: ROUTE_A, port: 22 }, target: { host: `${net}.1`, port: 7001 } },
    { listen: { host: ROUTE_B, port: 22 }, target: { host: `${net}.1`, port: 7002 } },
    { listen: { host: ROUTE_PAIRS, port: 22 }, target: { host: `${net}.1`, port: 7003 } },
    { listen: { host: ROUTE_NOWHERE, port: 22 }, target: { host: `${net}.1`, port: 7009 } },
  ]);
});

after(async () => {
  await relay?.stop();
  echo?.signal("SIGKILL");
  lab?.destroy();
});

const skip = !isRoot && "needs root for network namespaces";

/** Runs one fixtures/relay-client.mjs scenario inside ctl, through the relay at `address`:22. */
async function client(scenario: string, address = ROUTE_A): Promise<Record<string, unknown>> {
  const proc = new Watched(ctl.spawn(process.execPath, [CLIENT, address, "22", scenario]));
  try {
    const line = await proc.waitLine((l) => l.text.startsWith("{"), 15_000, `client scenario ${scenario}`);
    return JSON.parse(line.text) as Record<string, unknown>;
  } finally {
    proc.signal("SIGKILL");
  }
}

/** The echo servers' next log line matching pred, from index `from` on. */
const serverSaw = (pred: (t: string) => boolean, from: number, what: string) =>
  echo.waitLine((l) => pred(l.text), 5000, what, from);

test("a round trip takes the RTT, and a fresh connection's first exchange two (the handshake)", { skip }, async () => {
  const from = echo.lines.length;
  const r = (await client("ping")) as { firstMs: number; later: number[]; closedMs: number };
  assert.ok(r.firstMs >= 2 * RTT - 0.5 && r.firstMs < BOUND, `first exchange took ${r.firstMs} ms`);
  assert.equal(r.later.length, 3);
  for (const ms of r.later)
    assert.ok(ms >= RTT - 0.5 && ms < BOUND, `round trip took ${ms} ms: ${JSON.stringify(r.later)}`);
  await serverSaw((t) => t === "conn 7001", from, "the connection on route A's target");
});

test("each route reaches its own target", { skip }, async () => {
  const from = echo.lines.length;
  await client("ping", ROUTE_B);
  await serverSaw((t) => t === "conn 7002", from, "a connection on route B's target");
  assert.ok(!echo.lines.slice(from).some((l) => l.text === "conn 7001"), "route B must not reach route A's target");
});

// SSH's pattern: a small write shortly after another, answered only after the second. A relay socket
// with Nagle's algorithm on holds the second until the first is ACKed, and the receiver delays that
// ACK (~40 ms) since it has nothing to send yet: every such exchange would cost RTT + 40 ms.
for (const dir of ["up", "down"] as const) {
  test(
    `two small writes in a row (${dir === "up" ? "client to server" : "server to client"}) cost the RTT, no Nagle stall`,
    { skip },
    async () => {
      const { times } = (await client(`pairs-${dir}`, ROUTE_PAIRS)) as { times: number[] };
      const sorted = [...times].sort((a, b) => a - b);
      const median = sorted[sorted.length >> 1]!;
      assert.ok(sorted[0]! >= RTT - 0.5, `an exchange took ${sorted[0]} ms`);
      // 2 ms between the writes, timer granularity; a stall adds ~40 ms.
      assert.ok(median < RTT + 20, `median exchange ${median} ms: ${JSON.stringify(times.map(Math.round))}`);
    },
  );
}

test("1 MiB sent at once comes back byte-identical and in order, then the FIN", { skip }, async () => {
  const r = (await client("bulk")) as { sent: number; got: number; identical: boolean; ms: number; closed: boolean };
  assert.equal(r.got, r.sent);
  assert.equal(r.identical, true, "bytes differ or are out of order");
  assert.equal(r.closed, true);
  assert.ok(r.ms >= RTT - 0.5, `1 MiB and its echo took ${r.ms} ms`);
});

test("the client's FIN reaches the server, and the server's end comes back", { skip }, async () => {
  const from = echo.lines.length;
  const r = (await client("client-end")) as { endMs: number; closeMs: number };
  assert.ok(r.endMs >= RTT - 0.5 && r.endMs < BOUND, `FIN there and back took ${r.endMs} ms`);
  assert.ok(r.closeMs >= r.endMs);
  await serverSaw((t) => t === "end 7001", from, "the server seeing the client's FIN");
  await serverSaw((t) => t === "close 7001 error=none", from, "the server's socket closing cleanly");
});

test("the server ending first closes the client", { skip }, async () => {
  const from = echo.lines.length;
  const r = (await client("server-end")) as { endMs: number; closeMs: number };
  // "bye" travels to the server, its FIN back: one round trip at least.
  assert.ok(r.endMs >= RTT - 0.5 && r.endMs < BOUND, `server's FIN arrived after ${r.endMs} ms`);
  await serverSaw((t) => t === "close 7001 error=none", from, "the server's socket closing");
});

test("a client reset resets the server's connection, and the relay carries on", { skip }, async () => {
  const from = echo.lines.length;
  await client("reset");
  await serverSaw((t) => t === "close 7001 error=ECONNRESET", from, "the server seeing a reset");
  const r = (await client("ping")) as { later: number[] };
  assert.equal(r.later.length, 3, "the relay still serves new connections");
  assert.equal(relay.proc.child.exitCode, null);
});

test("a refused upstream connection resets the client, when a network's RST would arrive", { skip }, async () => {
  const r = (await client("refused", ROUTE_NOWHERE)) as { closedMs: number; error: string };
  assert.equal(r.error, "ECONNRESET");
  // SYN there 1.5 RTT after connect() (the emulated handshake), the refusal back half an RTT later.
  assert.ok(r.closedMs >= 2 * RTT - 0.5 && r.closedMs < BOUND, `reset after ${r.closedMs} ms`);
  assert.equal(relay.proc.child.exitCode, null);
});
