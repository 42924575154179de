// The provider as the engine sees it: the plugin spawned from bin/, called over gRPC with the SDK's stubs.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Plugin, isSecret, secret } from "./helpers/plugin.ts";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const conn = (host: string) => ({
  host,
  privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----",
  insecureIgnoreHostKey: true,
});
const vip = () => ({
  interface: "eth0",
  vrid: 51,
  addresses: ["10.0.0.100/24"],
  directors: [
    { connection: conn("10.0.0.2"), priority: 150, sourceIp: "10.0.0.2" },
    { connection: conn("10.0.0.3"), priority: 100, sourceIp: "10.0.0.3" },
  ],
});

let plugin: Plugin;
before(async () => {
  plugin = await Plugin.start();
});
after(async () => {
  await plugin?.stop();
});

describe("plugin start-up", () => {
  it("prints only its gRPC port as the first stdout line, and answers on it", async () => {
    assert.match(plugin.firstLine, /^\d+$/);
    assert.ok(plugin.port > 0 && plugin.port < 65536);
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    assert.equal(await plugin.pluginInfo(), pkg.version);
    assert.equal((await plugin.configure()).acceptSecrets, true);
  });

  it("GetSchema returns provider/schema.json with the four resources", async () => {
    const schema = JSON.parse(await plugin.getSchema()) as {
      name: string;
      resources: Record<string, unknown>;
      types: Record<string, { properties: Record<string, { secret?: boolean }> }>;
    };
    assert.deepEqual(schema, JSON.parse(readFileSync(new URL("../../provider/schema.json", import.meta.url), "utf8")));
    assert.equal(schema.name, "lvs");
    assert.deepEqual(Object.keys(schema.resources).sort(), [
      "lvs:index:Director",
      "lvs:index:RealServer",
      "lvs:index:Vip",
      "lvs:index:VirtualServer",
    ]);
    assert.equal(schema.types["lvs:index:Connection"]?.properties.privateKey?.secret, true);
  });
});

describe("Check", () => {
  it("reports every problem of a Vip at once, each naming its field", async () => {
    const bad = {
      ...vip(),
      vrid: 256,
      addresses: ["10.0.0.300/24", "10.9.0.5", "10.0.0.101/33"],
      subnet: "10.0.0.0/24",
      auth: { type: "PASS", password: "pw" },
      prio: 5,
      directors: [
        { connection: conn("10.0.0.2"), priority: 0 },
        { connection: conn("10.0.0.3"), priority: 255, sourceIp: "10.0.0.3" },
      ],
    };
    const { failures } = await plugin.check("Vip", "web", bad);
    const props = failures.map((f) => f.property).sort();
    assert.deepEqual(props, [
      "addresses[0]",
      "addresses[1]",
      "addresses[2]",
      "auth",
      "directors[0].priority",
      "directors[1].priority",
      "prio",
      "vrid",
    ]);
    const reason = (p: string) => failures.find((f) => f.property === p)!.reason;
    assert.match(reason("addresses[1]"), /outside the interface's subnet 10\.0\.0\.0\/24/);
    assert.match(reason("auth"), /VRRPv2 only/);
    assert.match(reason("directors[1].priority"), /address owner/);
    assert.match(reason("prio"), /unknown field/);
  });

  it("reports VirtualServer port and scheduler problems, listing the schedulers", async () => {
    const { failures } = await plugin.check("VirtualServer", "web", {
      directors: [conn("10.0.0.2")],
      address: "10.0.0.100",
      port: 70000,
      scheduler: "roundrobin",
    });
    assert.deepEqual(failures.map((f) => f.property).sort(), ["port", "scheduler"]);
    assert.match(
      failures.find((f) => f.property === "scheduler")!.reason,
      /rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos/,
    );
  });

  it("the agent's own rules apply to the planned fragment (a service needs address and port, or a fwmark)", async () => {
    const { failures } = await plugin.check("VirtualServer", "web", {
      directors: [conn("10.0.0.2")],
      address: "10.0.0.100",
    });
    assert.equal(failures.length, 1);
    assert.match(failures[0]!.reason, /needs address and port/);
  });

  it("a Vip's track script the agent would refuse is named by its trackScripts field, once for all directors", async () => {
    const member = (host: string) => ({ connection: conn(host), sourceIp: host });
    const inputs = {
      interface: "eth0",
      vrid: 51,
      addresses: ["10.0.0.100/24"],
      directors: [member("10.0.0.2"), member("10.0.0.3")],
      trackScripts: { chk_nginx: { script: "pidof nginx" } },
    };
    const { failures } = await plugin.check("Vip", "web", inputs);
    assert.deepEqual(
      failures.map((f) => f.property),
      ["trackScripts.chk_nginx.script"],
    );
    assert.match(failures[0]!.reason, /absolute path/);
  });

  it("a DR RealServer to prepare needs a connection", async () => {
    const { failures } = await plugin.check("RealServer", "web1", { address: "10.0.0.11", vips: ["10.0.0.100"] });
    assert.deepEqual(
      failures.map((f) => f.property),
      ["connection"],
    );
    const ok = await plugin.check("RealServer", "web1", { address: "10.0.0.11", vips: ["10.0.0.100"], prepare: false });
    assert.deepEqual(ok.failures, []);
  });

  it("a Director reports connection and sysctl problems together", async () => {
    const { failures } = await plugin.check("Director", "d1", {
      connection: { host: "10.0.0.2", password: "hunter22" },
      sysctls: { "net.ipv4.bogus": 1 },
    });
    assert.deepEqual(failures.map((f) => f.property).sort(), ["connection.hostKey", 'sysctls["net.ipv4.bogus"]']);
  });

  it("echoes valid inputs normalized: defaults filled, name from the resource", async () => {
    const { inputs, failures } = await plugin.check("Vip", "web", vip());
    assert.deepEqual(failures, []);
    assert.equal(inputs.name, "web");
    assert.equal(inputs.version, 3);
    assert.equal(inputs.unicast, false);
    assert.deepEqual(inputs.garp, { count: 5, intervalMs: 0, repeatDelay: 5, refresh: 0 });
    const d0 = (inputs.directors as Array<{ connection: Record<string, unknown> }>)[0]!.connection;
    assert.equal(d0.port, 22);
    assert.equal(d0.user, "root");
  });

  it("accepts values not known yet (preview) and checks the rest", async () => {
    const withUnknown = await plugin.check("Vip", "web", { ...vip(), vrid: UNKNOWN });
    assert.deepEqual(withUnknown.failures, []);
    const stillBad = await plugin.check("Vip", "web", { ...vip(), vrid: UNKNOWN, interface: "has space" });
    assert.deepEqual(
      stillBad.failures.map((f) => f.property),
      ["interface"],
    );
  });
});

describe("secrets", () => {
  it("an input sent secret comes back secret; credentials are secret even when sent plain", async () => {
    const v = vip();
    const news = {
      ...v,
      interface: secret("eth1"),
      directors: [
        { ...v.directors[0]!, connection: { ...conn("10.0.0.2"), privateKey: secret("KEY-TEXT") } },
        v.directors[1]!,
      ],
    };
    const { inputs, failures } = await plugin.check("Vip", "web", news);
    assert.deepEqual(failures, []);
    assert.ok(isSecret(inputs.interface));
    assert.equal((inputs.interface as { value: unknown }).value, "eth1");
    const [c0, c1] = (inputs.directors as Array<{ connection: Record<string, unknown> }>).map((d) => d.connection);
    assert.deepEqual(c0!.privateKey, secret("KEY-TEXT"));
    assert.ok(isSecret(c1!.privateKey), "a privateKey sent in the clear is returned secret");
    assert.equal(c0!.host, "10.0.0.2");
  });

  it("a secret value never appears in a failure message", async () => {
    const leaky = { ...vip(), subnet: "10.0.0.0/24", addresses: [secret("10.9.0.5")] };
    const { failures } = await plugin.check("Vip", "web", leaky);
    assert.equal(failures.length, 1);
    assert.equal(failures[0]!.property, "addresses[0]");
    assert.doesNotMatch(failures[0]!.reason, /10\.9\.0\.5/);
    assert.match(failures[0]!.reason, /\[secret\] is outside/);
  });

  it("no part of a secret value appears either: an address/prefix quoted as its address, a number (issue 13)", async () => {
    const leaky = {
      ...vip(),
      subnet: "10.0.0.0/24",
      addresses: [secret("10.9.0.5/24")],
      directors: [{ ...vip().directors[0]!, sourceIp: secret("10.0.0.77") }],
      unicast: true,
      unicastPeers: [secret("10.0.0.77")],
    };
    const { failures } = await plugin.check("Vip", "web", leaky);
    assert.ok(failures.length > 0);
    for (const f of failures) {
      assert.doesNotMatch(f.reason, /10\.9\.0\.5|9\.0\.5|10\.0\.0\.77/, `${f.property}: ${f.reason}`);
    }
    assert.ok(failures.some((f) => f.property === "addresses[0]"));
  });
});

describe("Diff", () => {
  const checked = async (type: string, news: Record<string, unknown>) => {
    const { inputs, failures } = await plugin.check(type, "x", news);
    assert.deepEqual(failures, []);
    return inputs;
  };

  it("Vip: vrid or interface replace (delete first); priorities and addresses update", async () => {
    const base = await checked("Vip", vip());
    const none = await plugin.diff("Vip", "x", base, base);
    assert.equal(none.changes, "none");
    const vrid = await plugin.diff("Vip", "x", base, await checked("Vip", { ...vip(), vrid: 52 }));
    assert.deepEqual([vrid.changes, vrid.replaces, vrid.deleteBeforeReplace], ["some", ["vrid"], true]);
    const iface = await plugin.diff("Vip", "x", base, await checked("Vip", { ...vip(), interface: "eth1" }));
    assert.deepEqual(iface.replaces, ["interface"]);
    const v = vip();
    const prio = await plugin.diff(
      "Vip",
      "x",
      base,
      await checked("Vip", { ...v, directors: [{ ...v.directors[0]!, priority: 120 }, v.directors[1]!] }),
    );
    assert.deepEqual([prio.changes, prio.replaces, prio.deleteBeforeReplace], ["some", [], false]);
    const addr = await plugin.diff(
      "Vip",
      "x",
      base,
      await checked("Vip", { ...vip(), addresses: ["10.0.0.100/24", "10.0.0.101/24"] }),
    );
    assert.deepEqual([addr.changes, addr.replaces], ["some", []]);
  });

  it("Director: connection.host replaces, a new key updates; secrets compare by value", async () => {
    const base = await checked("Director", { connection: conn("10.0.0.2") });
    const moved = await plugin.diff("Director", "x", base, await checked("Director", { connection: conn("10.0.0.9") }));
    assert.deepEqual([moved.changes, moved.replaces], ["some", ["connection"]]);
    const rekeyed = await plugin.diff(
      "Director",
      "x",
      base,
      await checked("Director", { connection: { ...conn("10.0.0.2"), privateKey: secret("NEW") } }),
    );
    assert.deepEqual([rekeyed.changes, rekeyed.replaces], ["some", []]);
    // The state holds the key wrapped as a secret; the same key sent in the clear is no change.
    const again = await checked("Director", { connection: conn("10.0.0.2") });
    assert.ok(isSecret((base.connection as Record<string, unknown>).privateKey));
    assert.equal(
      (
        await plugin.diff("Director", "x", base, {
          ...again,
          connection: { ...(again.connection as object), privateKey: conn("").privateKey },
        })
      ).changes,
      "none",
    );
  });

  it("VirtualServer: the service address replaces, the scheduler updates", async () => {
    const vs = { directors: [conn("10.0.0.2")], address: "10.0.0.100", port: 80 };
    const base = await checked("VirtualServer", vs);
    assert.deepEqual(
      (await plugin.diff("VirtualServer", "x", base, await checked("VirtualServer", { ...vs, port: 443 }))).replaces,
      ["port"],
    );
    const sched = await plugin.diff(
      "VirtualServer",
      "x",
      base,
      await checked("VirtualServer", { ...vs, scheduler: "mh" }),
    );
    assert.deepEqual([sched.changes, sched.replaces], ["some", []]);
  });

  it("ignores computed outputs in the old state", async () => {
    const base = await checked("Vip", vip());
    const state = { ...base, fragmentPath: "/etc/lvs-agent/conf.d/vip-x.json", hosts: ["10.0.0.2", "10.0.0.3"] };
    assert.equal((await plugin.diff("Vip", "x", state, base)).changes, "none");
  });
});

describe("resource types", () => {
  it("an unknown resource type is an error naming the known ones", async () => {
    await assert.rejects(plugin.check("Bogus", "b", {}), /unknown resource type "lvs:index:Bogus".*lvs:index:Vip/);
  });
});
