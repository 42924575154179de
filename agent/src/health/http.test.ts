import { test } from "node:test";
import assert from "node:assert/strict";
import { bodyMatch, serverName, statusMatcher } from "./http.ts";

test("status matcher: single codes and inclusive ranges", () => {
  const ok = statusMatcher([200, "301-302", "404"]);
  const accepted = [100, 199, 200, 201, 300, 301, 302, 303, 404, 503].filter(ok);
  assert.deepEqual(accepted, [200, 301, 302, 404]);
  const twoxx = statusMatcher(["200-299"]);
  assert.deepEqual([199, 200, 250, 299, 300].map(twoxx), [false, true, true, true, false]);
});

test("status matcher ignores entries the schema would reject", () => {
  assert.deepEqual([200, 650].map(statusMatcher(["600-700", 200])), [true, false]);
});

test("SNI: explicit, else the host name of Host, never an address", () => {
  assert.equal(serverName("www.example.com", undefined), "www.example.com");
  assert.equal(serverName("www.example.com:8443", undefined), "www.example.com");
  assert.equal(serverName("www.example.com", "api.example.com"), "api.example.com");
  assert.equal(serverName("10.0.0.5:443", undefined), "");
  assert.equal(serverName("10.0.0.5", "svc.example"), "svc.example");
  assert.equal(serverName(undefined, undefined), "");
});

test("bodyMatch: the body as bytes (Latin-1) against the regex, with the regex in the failure", () => {
  assert.deepEqual(bodyMatch(/BUILD: rpm-.{3,50} ::/, Buffer.from("x BUILD: rpm-1.2.3 :: DATE")), {
    ok: true,
    detail: "body matches regex",
  });
  assert.deepEqual(bodyMatch(/^ok$/m, Buffer.from("fail\n")), { ok: false, detail: "body does not match regex ^ok$" });
  assert.equal(bodyMatch(/\xe9/, Buffer.from([0x63, 0xe9])).ok, true, "one character per byte");
});
