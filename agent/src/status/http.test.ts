import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { METRICS_CONTENT_TYPE, parseListen, startMetricsServer } from "./http.ts";
import { Registry } from "./metrics.ts";
import { GlobalSettings } from "../config/schema.ts";

test("listen addresses", () => {
  assert.deepEqual(parseListen("127.0.0.1:9572"), { host: "127.0.0.1", port: 9572 });
  assert.deepEqual(parseListen("[::1]:80"), { host: "::1", port: 80 });
  assert.deepEqual(parseListen("localhost:0"), { host: "localhost", port: 0 });
  for (const bad of ["", "9572", "127.0.0.1", "127.0.0.1:70000", "[nope]:1", "::1:80", "a b:1", "h:-1"]) {
    assert.equal(parseListen(bad), undefined, bad);
  }
});

test("unless told otherwise, /metrics listens on the loopback address alone", async () => {
  const { metricsListen } = GlobalSettings.parse({});
  assert.equal(metricsListen, "127.0.0.1:9572");
  const { host } = parseListen(metricsListen)!;
  const close = await startMetricsServer(`${host}:0`, new Registry());
  try {
    assert.equal((await get(close.port, "/metrics")).status, 200);
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((a) => a?.family === "IPv4" && !a.internal)?.address;
    if (outside) assert.equal(await connectError(outside, close.port), "ECONNREFUSED", `from ${outside}`);
  } finally {
    await close();
  }
});

/** The error code of a TCP connect to host:port, or "connected". */
function connectError(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, host, () => {
      s.destroy();
      resolve("connected");
    });
    s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

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
