// A real server with two checkers (keepalived: several checkers in one real_server): the agent's
// HealthSet runs both against real TCP listeners on loopback and reports the server up only while
// both answer, down as soon as one stops, up again when it is back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { AgentVirtualServer } from "../../agent/src/config/ipvs.ts";
import { HealthSet } from "../../agent/src/ipvs/health.ts";
import { createLogger } from "../../agent/src/log.ts";
import type { Health } from "../../agent/src/ipvs/desired.ts";

function listen(port = 0): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer((c) => c.destroy());
    s.listen(port, "127.0.0.1", () => resolve(s));
  });
}
const portOf = (s: Server) => (s.address() as { port: number }).port;
const close = (s: Server) => new Promise((r) => s.close(r));

test("two checkers on one real server: up only while both pass", { timeout: 30_000 }, async () => {
  const [a, b] = [await listen(), await listen()];
  const pb = portOf(b);
  const tcp = (port: number) => ({ type: "tcp", port, interval: 0.2, retries: 0, connectTimeout: 0.5 });
  const vs = AgentVirtualServer.parse({
    address: "10.0.0.1",
    port: 80,
    realServers: [{ address: "127.0.0.1", port: 80, healthCheck: tcp(portOf(a)), moreHealthChecks: [tcp(pb)] }],
  });
  const seen: Health[] = [];
  const set = new HealthSet(createLogger(process.stderr, { level: "error" }), (_id, h) => seen.push(h));
  const wait = async (up: boolean) => {
    const t0 = Date.now();
    while (seen.at(-1)?.up !== up) {
      if (Date.now() - t0 > 10_000) assert.fail(`no ${up ? "up" : "down"} report: ${JSON.stringify(seen)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  try {
    assert.deepEqual([...set.update({ web: vs })], ["web/127.0.0.1:80"]);
    await wait(true);
    await close(b);
    await wait(false);
    assert.match(set.states().get("web/127.0.0.1:80")?.detail ?? "", /ECONNREFUSED|refused/);
    const again = await listen(pb);
    await wait(true);
    assert.equal(set.states().get("web/127.0.0.1:80")?.up, true);
    await close(again);
  } finally {
    await set.stop();
    await close(a);
  }
});
