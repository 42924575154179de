// The provider's configuration (pure): every problem named by its `lvs:` key, string values parsed,
// connection defaults filled where the resource leaves them out and never over what it set.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  applyConfigDefaults,
  checkProviderConfig,
  connectionsFrom,
  normalizeConfig,
  withConfigDefaults,
} from "./provider-config.ts";

const PIN = `SHA256:${"A".repeat(43)}`;
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----";

describe("checkProviderConfig", () => {
  it("accepts SSH defaults with pins, as `pulumi config set` strings", () => {
    const r = checkProviderConfig(
      normalizeConfig({
        "lvs:user": "admin",
        "lvs:sudo": "true",
        "lvs:port": "2222",
        "lvs:privateKey": KEY,
        "lvs:hostKeys": JSON.stringify({ "10.0.0.2": PIN }),
        version: "0.1.0",
      }),
    );
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.config, {
      user: "admin",
      sudo: true,
      port: 2222,
      privateKey: KEY,
      hostKeys: { "10.0.0.2": PIN },
    });
  });

  it("names each bad key, and the missing pin, without quoting the key", () => {
    const r = checkProviderConfig(
      normalizeConfig({ "lvs:privateKey": KEY, "lvs:usr": "admin", "lvs:connectTimeout": "-1" }),
    );
    assert.equal(r.config, undefined);
    assert.deepEqual(
      r.problems.map((p) => p.property),
      ["lvs:connectTimeout", "lvs:usr", "lvs:hostKeys"],
    );
    assert.match(r.problems[1]!.reason, /unknown config key: the provider takes user, port, privateKey/);
    assert.match(r.problems[2]!.reason, /pins no host key: set lvs:hostKeys .*or lvs:insecureIgnoreHostKey true/);
    assert.ok(!JSON.stringify(r.problems).includes("AAAA"));
  });

  it("a bad pin is named by its host", () => {
    const r = checkProviderConfig({ hostKeys: { "10.0.0.2": "nope" } });
    assert.deepEqual(
      r.problems.map((p) => p.property),
      ["lvs:hostKeys.10.0.0.2"],
    );
  });
});

describe("connection defaults", () => {
  const config = { user: "admin", privateKey: KEY, hostKeys: { "10.0.0.2": PIN }, sudo: true };

  it("fills what the connection leaves out, the pin by host", () => {
    assert.deepEqual(withConfigDefaults({ host: "10.0.0.2" }, config), {
      host: "10.0.0.2",
      user: "admin",
      privateKey: KEY,
      hostKey: PIN,
      sudo: true,
    });
  });

  it("the resource's own fields win; a password of its own takes no key from the config", () => {
    assert.deepEqual(withConfigDefaults({ host: "10.0.0.2", user: "root", password: "pw", sudo: false }, config), {
      host: "10.0.0.2",
      user: "root",
      password: "pw",
      sudo: false,
      hostKey: PIN,
    });
  });

  it("a host without a pin gets insecureIgnoreHostKey only when the config allows it", () => {
    assert.equal(withConfigDefaults({ host: "10.0.0.9" }, config).insecureIgnoreHostKey, undefined);
    assert.equal(withConfigDefaults({ host: "10.0.0.9" }, { insecureIgnoreHostKey: true }).insecureIgnoreHostKey, true);
    assert.equal(
      withConfigDefaults({ host: "10.0.0.2" }, { ...config, insecureIgnoreHostKey: true }).insecureIgnoreHostKey,
      undefined,
      "a pinned host stays pinned",
    );
  });

  it("reaches every connection of a resource by path; leaves unknowns alone", () => {
    const vip = {
      directors: [{ connection: { host: "10.0.0.2" } }, { connection: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }],
    };
    const out = applyConfigDefaults(vip, ["directors.*.connection"], { user: "admin" }) as {
      directors: Array<{ connection: unknown }>;
    };
    assert.deepEqual(
      out.directors.map((d) => d.connection),
      [{ host: "10.0.0.2", user: "admin" }, "04da6b54-80e4-46f7-96ec-b56ff0331ba9"],
    );
    assert.deepEqual(applyConfigDefaults({ directors: [{ host: "h" }] }, ["directors.*"], { sudo: true }), {
      directors: [{ host: "h", sudo: true }],
    });
    assert.deepEqual(applyConfigDefaults({ name: "x" }, ["connection"], { sudo: true }), { name: "x" });
  });
});

describe("connectionsFrom", () => {
  it("puts back the connections an import id named, keeping what was read beside them", () => {
    const read = {
      name: "web",
      directors: [
        { connection: { host: "h1", privateKey: KEY }, priority: 150 },
        { connection: { host: "h2", privateKey: KEY }, priority: 100 },
      ],
    };
    const named = { name: "web", directors: [{ connection: { host: "h1" } }, { connection: { host: "h2" } }] };
    assert.deepEqual(connectionsFrom(named, read, ["directors.*.connection"]), {
      name: "web",
      directors: [
        { connection: { host: "h1" }, priority: 150 },
        { connection: { host: "h2" }, priority: 100 },
      ],
    });
    assert.deepEqual(
      connectionsFrom({ connection: { host: "h" } }, { connection: { host: "h", user: "admin" }, vips: [] }, [
        "connection",
      ]),
      { connection: { host: "h" }, vips: [] },
    );
  });
});
