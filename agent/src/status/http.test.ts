import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { METRICS_CONTENT_TYPE, parseListen, startMetricsServer } from "./http.ts";
import { Registry } from "./metrics.ts";

test("listen addresses", () => {
  assert.deepEqual(parseListen("127.0.0.1:9572"), { host: "127.0.0.1", port: 9572 });
  assert.deepEqual(parseListen("[::1]:80"), { host: "::1", port: 80 });
  assert.deepEqual(parseListen("localhost:0"), { host: "localhost", port: 0 });
  for (const bad of ["", "9572", "127.0.0.1", "127.0.0.1:70000", "[nope]:1", "::1:80", "a b:1", "h:-1"]) {
    assert.equal(parseListen(bad), undefined, bad);
  }
});

function get(
  port: number,
  path: string,
  method = "GET",
): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method, agent: false }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: res.headers["content-type"], body }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("serves /metrics, 404 elsewhere, 405 for other methods; close frees the port", async () => {
  const r = new Registry();
  r.counter("lvs_test_total", "T.").inc();
  const srv = await startMetricsServer("127.0.0.1:0", r);
  try {
    const ok = await get(srv.port, "/metrics");
    assert.equal(ok.status, 200);
    assert.equal(ok.type, METRICS_CONTENT_TYPE);
    assert.equal(ok.body, "# HELP lvs_test_total T.\n# TYPE lvs_test_total counter\nlvs_test_total 1\n");
    assert.equal((await get(srv.port, "/metrics?x=1")).status, 200);
    assert.equal((await get(srv.port, "/")).status, 404);
    assert.equal((await get(srv.port, "/metrics/x")).status, 404);
    assert.equal((await get(srv.port, "/metrics", "POST")).status, 405);
    assert.equal((await get(srv.port, "/metrics", "HEAD")).body, "");
  } finally {
    await srv();
  }
  await assert.rejects(get(srv.port, "/metrics"), /ECONNREFUSED/);
});

test("a port in use is an error, not a silent failure", async () => {
  const a = await startMetricsServer("127.0.0.1:0", new Registry());
  try {
    await assert.rejects(startMetricsServer(`127.0.0.1:${a.port}`, new Registry()), /EADDRINUSE/);
  } finally {
    await a();
  }
  await assert.rejects(startMetricsServer("nonsense", new Registry()), /not host:port/);
});
