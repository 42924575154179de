// HTTP_GET and SSL_GET against real node servers in lab namespaces: status ranges, MD5 digests
// (cross-checked with keepalived's own genhash), the Host header and SNI the server saw, self-signed
// certificates accepted unless verifyTls, retries seen on the server's side.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Lab, isRoot, run, type Host } from "../helpers/netns.ts";
import { randomSubnet } from "../net/fixtures/client.ts";
import { checkOnce, startServer, type Fixture } from "./fixtures/harness.ts";

const net = randomSubnet();
const BODY = "<html>lvs real server 7</html>\n";
let lab: Lab;
let srv: Host, chk: Host;
let dir: string;
const servers: Fixture[] = [];
const target = (port: number) => ({ address: `${net}.1`, port });

before(async () => {
  if (!isRoot) return;
  lab = Lab.create([
    { name: "srv", addr: `${net}.1/24` },
    { name: "chk", addr: `${net}.2/24` },
  ]);
  [srv, chk] = [lab.host("srv"), lab.host("chk")];
  dir = mkdtempSync(join(tmpdir(), "lvs-check-tls-"));
  run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=www.example.test",
    "-addext",
    "subjectAltName=DNS:www.example.test",
    "-keyout",
    join(dir, "key.pem"),
    "-out",
    join(dir, "cert.pem"),
  ]);
  servers.push(await startServer(srv, { kind: "http", port: 8080, body: BODY }));
  servers.push(
    await startServer(srv, {
      kind: "https",
      port: 8443,
      body: BODY,
      key: join(dir, "key.pem"),
      cert: join(dir, "cert.pem"),
    }),
  );
});

after(() => {
  lab?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const skip = !isRoot && "needs root for network namespaces";
const http = (over: Record<string, unknown> = {}) => ({ type: "http", retries: 0, connectTimeout: 2, ...over });

test("status codes and ranges decide, one response after another", { skip }, async () => {
  const flappy = await startServer(srv, { kind: "http", port: 8081, statuses: [503, 503, 200, 302, 404] });
  const rs = await checkOnce(chk, [
    { cfg: http(), target: target(8081) }, // 503: not in 200-299
    { cfg: http({ statusCodes: [200, "500-599"] }), target: target(8081) }, // 503: accepted
    { cfg: http(), target: target(8081) }, // 200
    { cfg: http({ statusCodes: ["200-299"] }), target: target(8081) }, // 302
    { cfg: http({ statusCodes: ["300-399", 404] }), target: target(8081) }, // 404
  ]);
  assert.deepEqual(
    rs.map((r) => [r.ok, r.detail]),
    [
      [false, "HTTP 503, accepted 200-299"],
      [true, "ok"],
      [true, "ok"],
      [false, "HTTP 302, accepted 200-299"],
      [true, "ok"],
    ],
  );
  assert.deepEqual(
    flappy.events("request").map((e) => e.status),
    [503, 503, 200, 302, 404],
  );
  flappy.kill();
});

test("retries: a 503 then a 200 within one check counts as up; the server saw both requests", { skip }, async () => {
  const s = await startServer(srv, { kind: "http", port: 8082, statuses: [503, 200] });
  const [r] = await checkOnce(chk, [{ cfg: http({ retries: 2, delayBeforeRetry: 0.25 }), target: target(8082) }]);
  assert.equal(r!.ok, true);
  const reqs = s.events("request");
  assert.deepEqual(
    reqs.map((e) => e.status),
    [503, 200],
  );
  const gap = reqs[1]!.t - reqs[0]!.t;
  assert.ok(gap >= 245 && gap < 600, `second attempt ${gap} ms after the first`);
  s.kill();
});

test("digest: the body's MD5 as keepalived's genhash prints it matches; another does not", { skip }, async () => {
  const md5 = createHash("md5").update(BODY).digest("hex");
  const genhash = chk.exec("genhash", ["-s", `${net}.1`, "-p", "8080", "-u", "/index.html"]);
  assert.match(genhash, new RegExp(md5, "i"), "genhash and node agree on the digest");
  const wrong = "0123456789abcdef0123456789abcdef";
  const rs = await checkOnce(chk, [
    { cfg: http({ path: "/index.html", digest: md5.toUpperCase() }), target: target(8080) },
    { cfg: http({ digest: wrong }), target: target(8080) },
    { cfg: { type: "https", digest: md5, retries: 0 }, target: target(8443) },
  ]);
  assert.deepEqual(
    rs.map((r) => [r.ok, r.detail]),
    [
      [true, "ok"],
      [false, `body MD5 ${md5}, expected ${wrong}`],
      [true, "ok"],
    ],
  );
});

test("keepalived's url regex and connect_ip: the body must match; the check goes to connect_ip", { skip }, async () => {
  const rs = await checkOnce(chk, [
    { cfg: http({ regex: "lvs real server [0-9]" }), target: target(8080) },
    { cfg: http({ regex: "server 8<" }), target: target(8080) },
    { cfg: { type: "https", regex: "^<html>.{3,50}</html>", retries: 0 }, target: target(8443) },
    // The real server named is one nobody answers at; connect_ip sends the check to srv.
    { cfg: http({ address: `${net}.1`, regex: "server 7" }), target: { address: `${net}.99`, port: 8080 } },
    { cfg: { type: "tcp", address: `${net}.1`, retries: 0 }, target: { address: `${net}.99`, port: 8080 } },
  ]);
  assert.deepEqual(
    rs.map((r) => [r.ok, r.detail]),
    [
      [true, "body matches regex"],
      [false, "body does not match regex server 8<"],
      [true, "body matches regex"],
      [true, "body matches regex"],
      [true, rs[4]!.detail],
    ],
  );
});

test("the server sees the configured Host header and path, or address:port by default", { skip }, async () => {
  const s = servers[0]!;
  const before = s.events("request").length;
  await checkOnce(chk, [
    { cfg: http({ host: "www.example.test", path: "/health?deep=1" }), target: target(8080) },
    { cfg: http(), target: target(8080) },
  ]);
  const seen = s.events("request").slice(before);
  assert.deepEqual(
    seen.map((e) => [e.host, e.path]),
    [
      ["www.example.test", "/health?deep=1"],
      [`${net}.1:8080`, "/"],
    ],
  );
});

test(
  "https: self-signed accepted by default, refused with verifyTls; SNI from host or sni, none for an address",
  { skip },
  async () => {
    const s = servers[1]!;
    const before = s.events("request").length;
    const https = (over: Record<string, unknown>) => ({ type: "https", retries: 0, connectTimeout: 2, ...over });
    const rs = await checkOnce(chk, [
      { cfg: https({ host: "www.example.test" }), target: target(8443) },
      { cfg: https({ host: "www.example.test", sni: "api.example.test" }), target: target(8443) },
      { cfg: https({}), target: target(8443) },
      { cfg: https({ host: "www.example.test", verifyTls: true }), target: target(8443) },
    ]);
    assert.deepEqual(
      rs.map((r) => r.ok),
      [true, true, true, false],
    );
    assert.equal(rs[3]!.detail, "DEPTH_ZERO_SELF_SIGNED_CERT");
    const seen = s.events("request").slice(before);
    assert.deepEqual(
      seen.map((e) => [e.host, e.sni]),
      [
        ["www.example.test", "www.example.test"],
        ["www.example.test", "api.example.test"],
        [`${net}.1:8443`, false],
      ],
    );
  },
);

test("a server that accepts but never answers is down at the timeout", { skip }, async () => {
  const silent = await startServer(srv, { kind: "silent", port: 8083 });
  const [r] = await checkOnce(chk, [{ cfg: http({ connectTimeout: 0.5 }), target: target(8083) }]);
  assert.deepEqual([r!.ok, r!.detail], [false, "no complete response within 500 ms"]);
  assert.ok(Number(r!.ms) >= 495 && Number(r!.ms) < 5000, `took ${r!.ms} ms`);
  silent.kill();
});

test("a server that speaks no HTTP, or no TLS, fails with a reason at once", { skip }, async () => {
  const tcp = await startServer(srv, { kind: "tcp", port: 8084 });
  const rs = await checkOnce(chk, [
    { cfg: http({ connectTimeout: 2 }), target: target(8084) },
    { cfg: { type: "https", retries: 0, connectTimeout: 2 }, target: target(8080) },
  ]);
  assert.deepEqual(
    rs.map((r) => r.ok),
    [false, false],
  );
  assert.ok(
    rs.every((r) => Number(r.ms) < 1000 && String(r.detail).length > 0),
    JSON.stringify(rs),
  );
  tcp.kill();
});
