import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Connection } from "../../inputs/common.ts";
import {
  type FragmentResource,
  type Placement,
  agentCommandLine,
  agentFailure,
  changesFor,
  configLock,
  failureMessage,
  parseStatus,
  readAnswer,
  sameFragment,
} from "./plan.ts";

const conn = (host: string, extra: Record<string, unknown> = {}) =>
  Connection.parse({ host, password: "pw", insecureIgnoreHostKey: true, ...extra });
const agent = {
  configDir: "/etc/lvs-agent/conf.d",
  agentCommand: "/opt/lvs-agent/current/bin/lvs-agent",
  statusSocket: "/run/lvs-agent/agent.sock",
};
const at = (host: string, path: string, text = "{}\n", extra: Record<string, unknown> = {}): Placement => ({
  conn: conn(host, extra),
  agent,
  path,
  text,
});

describe("changesFor", () => {
  it("writes every new placement; a create removes nothing", () => {
    const c = changesFor([], [at("d1", "/c/vip-web.json"), at("d2", "/c/vip-web.json")]);
    assert.deepEqual(
      c.map((h) => [h.conn.host, h.files]),
      [
        ["d1", [{ path: "/c/vip-web.json", text: "{}\n" }]],
        ["d2", [{ path: "/c/vip-web.json", text: "{}\n" }]],
      ],
    );
  });

  it("removes the fragment of a director that left, and the old file of one whose configDir moved", () => {
    const c = changesFor([at("d1", "/a/vip-web.json"), at("d2", "/c/vip-web.json")], [at("d1", "/b/vip-web.json")]);
    assert.deepEqual(
      c.map((h) => [h.conn.host, h.files]),
      [
        [
          "d1",
          [
            { path: "/b/vip-web.json", text: "{}\n" },
            { path: "/a/vip-web.json", text: undefined },
          ],
        ],
        ["d2", [{ path: "/c/vip-web.json", text: undefined }]],
      ],
    );
  });

  it("one host is one host however it is logged in to (the new login wins), so a file is never both written and removed", () => {
    const c = changesFor(
      [at("d1", "/c/vip-web.json", "{}", { user: "old" })],
      [at("d1", "/c/vip-web.json", "{}", { user: "new" })],
    );
    assert.equal(c.length, 1);
    assert.equal(c[0]!.conn.user, "new");
    assert.deepEqual(c[0]!.files, [{ path: "/c/vip-web.json", text: "{}" }]);
  });

  it("a delete removes everything", () => {
    const c = changesFor([at("d1", "/c/vs-http.json")], []);
    assert.deepEqual(c[0]!.files, [{ path: "/c/vs-http.json", text: undefined }]);
  });
});

describe("configLock", () => {
  it("sits beside the config directory, never in it (the agent reads every file there)", () => {
    assert.equal(configLock({ configDir: "/etc/lvs-agent/conf.d" }), "/etc/lvs-agent/.conf.d.lvs-provider.lock");
    assert.equal(configLock({ configDir: "/srv/lvs/" }), "/srv/.lvs.lvs-provider.lock");
  });
});

describe("sameFragment", () => {
  it("compares the JSON, not its layout or key order", () => {
    assert.equal(sameFragment('{"a":1,"b":[1,2]}', '{\n  "b": [1, 2],\n  "a": 1\n}\n'), true);
    assert.equal(sameFragment('{"a":1}', '{"a":2}'), false);
  });

  it("a file that is not JSON never holds what is wanted; two absent files are the same", () => {
    assert.equal(sameFragment("{oops", "{}"), false);
    assert.equal(sameFragment(undefined, "{}"), false);
    assert.equal(sameFragment("{}", undefined), false);
    assert.equal(sameFragment(undefined, undefined), true);
  });
});

describe("the agent's CLI", () => {
  it("takes the command's words as they are and quotes the socket", () => {
    const a = { ...agent, agentCommand: "/usr/bin/node /opt/x/lvs-agent.mjs", statusSocket: "/tmp/a b/agent.sock" };
    assert.equal(
      agentCommandLine(a, "reload"),
      "/usr/bin/node /opt/x/lvs-agent.mjs reload --socket '/tmp/a b/agent.sock'",
    );
    assert.equal(
      agentCommandLine(a, "status"),
      "/usr/bin/node /opt/x/lvs-agent.mjs status --json --socket '/tmp/a b/agent.sock'",
    );
  });

  it("a rejected reload reads in the agent's own words", () => {
    const stderr =
      "reload rejected, running configuration kept:\n  vip-web.json: instances.web.vrid: vrid 51 is already used on eth0 by instance other\n";
    const two = `${stderr}  vs-http.json: virtualServers: IPVS is not available\n`;
    assert.equal(
      agentFailure({ code: 1, stdout: "", stderr }),
      "reload rejected, running configuration kept: vip-web.json: instances.web.vrid: vrid 51 is already used on eth0 by instance other (exit 1)",
    );
    assert.match(
      agentFailure({ code: 1, stdout: "", stderr: two }),
      /by instance other; vs-http\.json: virtualServers: IPVS is not available \(exit 1\)$/,
    );
    assert.equal(agentFailure({ code: 127, stdout: "", stderr: "" }), "no output (exit 127)");
  });

  it("status output that is not the agent's status is named as such", () => {
    assert.deepEqual(parseStatus('{"instances":[],"configSources":[],"pid":1,"version":"0.1.0"}'), {
      instances: [],
      configSources: [],
      pid: 1,
      version: "0.1.0",
    });
    assert.match(parseStatus("hello") as string, /printed no status: "hello"/);
  });
});

describe("failureMessage", () => {
  it("names each failure, then the hosts put back", () => {
    const m = failureMessage(
      ["host d2: step 'lvs-agent reload': rejected"],
      [{ host: "d1", restore: "" }, { host: "d2", restore: "" }, { host: "d3" }],
    );
    assert.equal(m, "host d2: step 'lvs-agent reload': rejected\nthe previous fragments were restored on d1, d2");
  });

  it("says when nothing changed, and when putting back failed", () => {
    assert.equal(failureMessage(["x"], [{ host: "d1" }]), "x\nnothing was changed");
    assert.match(
      failureMessage(["x"], [{ host: "d1", restore: "connection lost" }]),
      /could not restore d1: connection lost \(run the operation again to converge\)/,
    );
  });
});

describe("readAnswer", () => {
  const r: FragmentResource<Record<string, unknown>> = {
    kind: "test",
    parse: (x) => x,
    id: () => "t",
    placements: () => [],
    locations: () => [at("d1", "/c/t.json")],
    inputKeys: ["name", "value"],
    outputs: (x) => ({ doubled: Number(x.value) * 2 }),
    asFound: (declared, configs) => ({ ...declared, value: configs[0]?.value }),
    live: (name) => ({ live: name }),
  };

  it("is gone when no director has the fragment", () => {
    assert.equal(readAnswer(r, { name: "t", value: 1 }, [{ text: undefined, status: "down" }]), undefined);
  });

  it("inputs: as found; props: those, their outputs and the live part", () => {
    const got = readAnswer(r, { name: "t", value: 1, doubled: 2, stale: true }, [
      { text: '{"value":5}', status: "down" },
    ]);
    assert.deepEqual(got, { inputs: { name: "t", value: 5 }, props: { name: "t", value: 5, doubled: 10, live: "t" } });
  });
});
