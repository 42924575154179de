import { test } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { formatProblem } from "./problem.ts";
import { HealthCheck, parseStatusRange, validateHealthCheck } from "./health-checks.ts";

/** The problems as "path: message" lines, sorted. */
function problems(input: unknown): string[] {
  const r = validateHealthCheck(input);
  assert.equal(r.ok, false, "expected problems");
  return r.ok ? [] : r.problems.map(formatProblem).sort();
}

test("each type gets keepalived's defaults", () => {
  const tcp = validateHealthCheck({ type: "tcp" });
  assert.deepEqual(tcp, {
    ok: true,
    config: {
      type: "tcp",
      interval: 6,
      retries: 1,
      delayBeforeRetry: 1,
      rise: 1,
      fall: 1,
      warmup: 0,
      connectTimeout: 5,
    },
  });
  const https = HealthCheck.parse({ type: "https", host: "www.example.com" });
  assert.equal(https.type, "https");
  if (https.type !== "https") return;
  assert.deepEqual(
    [https.path, https.statusCodes, https.verifyTls, https.method, https.sni],
    ["/", ["200-299"], false, "GET", undefined],
  );
  const script = HealthCheck.parse({ type: "script", script: "/usr/local/bin/chk --fast" });
  assert.ok(
    script.type === "script" &&
      script.user === "nobody" &&
      script.dynamicWeight === false &&
      script.timeout === undefined,
  );
});

test("fractional intervals are allowed", () => {
  assert.ok(validateHealthCheck({ type: "tcp", interval: 0.25, connectTimeout: 0.1 }).ok);
});

test("status codes and ranges parse within 100-599", () => {
  assert.deepEqual(parseStatusRange(200), [200, 200]);
  assert.deepEqual(parseStatusRange("204"), [204, 204]);
  assert.deepEqual(parseStatusRange("200-299"), [200, 299]);
  assert.deepEqual(parseStatusRange(" 300 - 399 "), [300, 399]);
  for (const bad of [99, 600, 200.5, "600-700", "299-200", "2xx", "", "200-", "-200", "1000", null, {}]) {
    assert.equal(parseStatusRange(bad), undefined, JSON.stringify(bad));
  }
});

test("every problem at once, each with its path", () => {
  assert.deepEqual(
    problems({ type: "http", statusCodes: [200, "600-700", 99], digest: "abc", port: 70000, path: "index.html" }),
    [
      "digest: must be an MD5 digest: 32 hex digits (as printed by genhash or md5sum)",
      "path: must start with / and contain no spaces",
      "port: Too big: expected number to be <=65535",
      'statusCodes[1]: "600-700" is not a valid status range',
      "statusCodes[2]: 99 is not a valid status code (100-599)",
    ],
  );
});

test("cross-field rules run even when other fields fail", () => {
  // The overlap is only visible across entries; zod alone would skip it once `interval` failed.
  assert.deepEqual(problems({ type: "http", interval: -1, statusCodes: ["200-299", 204, 404] }), [
    "interval: Too small: expected number to be >0",
    "statusCodes[1]: 204 overlaps statusCodes[0]",
  ]);
});

test("unknown fields are errors, not silently ignored", () => {
  assert.deepEqual(problems({ type: "tcp", delay_loop: 6 }), [
    "unknown field delay_loop (known: type, interval, retries, delayBeforeRetry, rise, fall, warmup, connectTimeout, port, bindTo)",
  ]);
  // Options of other kinds are unknown too: a script check connects to nothing, http has no sni.
  assert.match(problems({ type: "script", script: "/bin/true", port: 80 })[0] ?? "", /^unknown field port /);
  assert.match(problems({ type: "http", sni: "a.example" })[0] ?? "", /^unknown field sni /);
});

test("type must be one of the four", () => {
  assert.deepEqual(problems({ type: "udp" }), ['type: must be "tcp", "http", "https" or "script"']);
  assert.deepEqual(problems({}), ['type: must be "tcp", "http", "https" or "script"']);
  for (const bad of [5, null, [], "tcp"])
    assert.deepEqual(
      problems(bad),
      ['must be an object with type "tcp", "http", "https" or "script"'],
      JSON.stringify(bad),
    );
});

test("https names and scripts", () => {
  assert.deepEqual(problems({ type: "https", sni: "10.0.0.1", host: "bad host" }), [
    "host: must be a host name or address with an optional :port",
    "sni: must be a DNS name: TLS server names cannot be IP addresses (RFC 6066)",
  ]);
  assert.ok(validateHealthCheck({ type: "https", host: "www.example.com:8443", sni: "www.example.com" }).ok);
  assert.deepEqual(problems({ type: "script", script: "check.sh", user: "root", timeout: 0 }), [
    "script: must start with the absolute path of an executable",
    "timeout: Too small: expected number to be >0",
    "user: must not be root: check scripts run unprivileged",
  ]);
  assert.deepEqual(problems({ type: "tcp", bindTo: "10.0.0.300", rise: 0 }), [
    'bindTo: "10.0.0.300" is not an IPv4 address: give one such as 10.0.0.21',
    "rise: Too small: expected number to be >=1",
  ]);
});

test("embedded in a larger schema, problems keep their full path", () => {
  const Outer = z.object({
    realServers: z.array(z.object({ healthCheck: z.union([HealthCheck, z.literal("none")]).optional() })),
  });
  assert.ok(Outer.safeParse({ realServers: [{ healthCheck: "none" }, {}] }).success);
  const r = Outer.safeParse({ realServers: [{ healthCheck: { type: "http", statusCodes: [200, "600-700"] } }] });
  assert.deepEqual(
    r.error?.issues.map((i) => [i.path.join("."), i.message]),
    [["realServers.0.healthCheck.statusCodes.1", '"600-700" is not a valid status range']],
  );
});
