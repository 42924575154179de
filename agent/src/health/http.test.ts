import { test } from "node:test";
import assert from "node:assert/strict";
import { serverName, statusMatcher } from "./http.ts";

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
