// TCP_CHECK against real listeners in lab namespaces: up, down after `fall` failures when the server
// dies, up again after `rise` successes, connect timeouts to a port that drops SYNs, retry timing,
// source address, warmup spreading.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Lab, isRoot, type Host } from "../helpers/netns.ts";
import { nowMs } from "../helpers/procs.ts";
import { randomSubnet } from "../net/fixtures/client.ts";
import { checkOnce, startServer, watchChecks, type Event } from "./fixtures/harness.ts";

const net = randomSubnet();
let lab: Lab;
let srv: Host, chk: Host;
const target = (port: number) => ({ address: `${net}.1`, port });

before(() => {
  if (!isRoot) return;
  lab = Lab.create([
    { name: "srv", addr: `${net}.1/24` },
    { name: "chk", addr: `${net}.2/24` },
  ]);
  [srv, chk] = [lab.host("srv"), lab.host("chk")];
  // Port 81 on the server silently drops SYNs: the connect can only time out.
  srv.exec("nft", ["-f", "-"], {
    input:
      "table inet lvst {\n chain filter_in {\n  type filter hook input priority 0; policy accept;\n  tcp dport 81 drop\n }\n}\n",
  });
});

after(() => lab?.destroy());

const skip = !isRoot && "needs root for network namespaces";

test("down after `fall` failed checks when the server dies, up after `rise` when it returns", { skip }, async () => {
  let server = await startServer(srv, { kind: "tcp", port: 8001 });
  const cfg = { type: "tcp", interval: 0.2, connectTimeout: 0.5, retries: 0, rise: 2, fall: 3 };
  const w = await watchChecks(chk, { cfg, target: target(8001) });
  await w.wait((e) => e.event === "change" && e.up === true, 5000, "up");
  server.kill();
  await server.proc.exited();
  const killedAt = nowMs();
  const down = await w.wait((e) => e.event === "change" && e.up === false, 5000, "down");
  const failures = w.events("result").filter((e) => e.t > killedAt && e.t <= down.t);
  assert.equal(failures.length, 3, "exactly `fall` failed checks before down");
  assert.ok(
    failures.every((e) => !e.ok && e.detail === "ECONNREFUSED"),
    JSON.stringify(failures),
  );
  server = await startServer(srv, { kind: "tcp", port: 8001 });
  const restartedAt = nowMs();
  const up = await w.wait((e) => e.event === "change" && e.up === true && e.t > restartedAt, 5000, "up again");
  const successes = w.events("result").filter((e) => e.t > restartedAt && e.t <= up.t);
  assert.equal(successes.length, 2, "exactly `rise` successful checks before up");
  assert.ok(successes.every((e) => e.ok));
  assert.equal(w.events("change").length, 3, "up, down, up: nothing else");
  w.kill();
  server.kill();
});

test("a port that drops SYNs fails by connect timeout, and takes that long", { skip }, async () => {
  const [r] = await checkOnce(chk, [{ cfg: { type: "tcp", connectTimeout: 0.3, retries: 0 }, target: target(81) }]);
  assert.equal(r!.ok, false);
  assert.equal(r!.detail, "no connection within 300 ms");
  assert.ok(Number(r!.ms) >= 295 && Number(r!.ms) < 600, `took ${r!.ms} ms`);
});

test("retries: 1 + retries attempts, delayBeforeRetry apart", { skip }, async () => {
  const cfg = { type: "tcp", connectTimeout: 0.2, retries: 2, delayBeforeRetry: 0.3 };
  const [dropped, refused] = await checkOnce(chk, [
    { cfg, target: target(81) },
    { cfg, target: target(8099) },
  ]);
  // three 200 ms timeouts and two 300 ms pauses
  assert.equal(dropped!.detail, "no connection within 200 ms (attempt 3 of 3)");
  assert.ok(Number(dropped!.ms) >= 1195 && Number(dropped!.ms) < 1600, `took ${dropped!.ms} ms`);
  // refused at once: only the pauses
  assert.equal(refused!.detail, "ECONNREFUSED (attempt 3 of 3)");
  assert.ok(Number(refused!.ms) >= 595 && Number(refused!.ms) < 900, `took ${refused!.ms} ms`);
});

test("retries stop at the first success, and the server sees each attempt", { skip }, async () => {
  const server = await startServer(srv, { kind: "tcp", port: 8002 });
  const [r] = await checkOnce(chk, [{ cfg: { type: "tcp", retries: 3, delayBeforeRetry: 0.1 }, target: target(8002) }]);
  assert.equal(r!.ok, true);
  assert.equal(server.events("conn").length, 1);
  server.kill();
});

test("bindTo sets the source address; port overrides the real server's", { skip }, async () => {
  chk.exec("ip", ["addr", "add", `${net}.12/24`, "dev", "eth0"]);
  const server = await startServer(srv, { kind: "tcp", port: 8003 });
  const [r] = await checkOnce(chk, [{ cfg: { type: "tcp", bindTo: `${net}.12`, port: 8003 }, target: target(9999) }]);
  assert.equal(r!.ok, true, String(r!.detail));
  const conns = server.events("conn");
  assert.deepEqual(
    conns.map((c) => c.remote),
    [`${net}.12`],
  );
  server.kill();
});

/** First connection times of `count` checkers started together, relative to the first one. */
async function firstConnections(port: number, warmup: number, count: number): Promise<number[]> {
  const server = await startServer(srv, { kind: "tcp", port });
  const w = await watchChecks(chk, { cfg: { type: "tcp", interval: 30, warmup }, target: target(port), count });
  await server.wait(() => server.events("conn").length >= count, warmup * 1000 + 5000, `${count} connections`);
  w.kill();
  server.kill();
  const ts = server.events("conn").map((e: Event) => e.t);
  return ts.map((t) => t - Math.min(...ts));
}

test("warmup spreads the first checks over the warmup period; without it they fire together", { skip }, async () => {
  const spread = await firstConnections(8004, 1, 50);
  const together = await firstConnections(8005, 0, 50);
  const span = (ts: number[]) => Math.max(...ts);
  assert.ok(span(spread) > 600 && span(spread) < 1100, `spread over ${span(spread)} ms`);
  // 50 uniform draws over 1 s: a 100 ms bucket holding 20 of them is a one-in-billions event.
  const buckets = new Array<number>(11).fill(0);
  for (const t of spread) buckets[Math.floor(t / 100)]! += 1;
  assert.ok(Math.max(...buckets) < 20, `buckets ${buckets.join(",")}`);
  assert.ok(span(together) < 200, `together within ${span(together)} ms`);
});
