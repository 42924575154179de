import { test } from "node:test";
import assert from "node:assert/strict";
import { validateClusterSpec } from "../../../sdk/cluster.ts";
import { byRole, labClusterSpec, parseLabOptions, topology } from "./topology.ts";

test("an impossible lab is refused before anything is made, each problem naming its option", () => {
  const r = parseLabOptions({ name: "My Lab", directors: 0, realServers: 9 });
  assert.equal(r.ok, false);
  assert.deepEqual(!r.ok && r.problems, [
    "--name: must be 1-10 lower-case letters and digits, starting with a letter (it names namespaces)",
    "--directors: a lab needs at least 1 director",
    "--real-servers: at most 8 real servers",
  ]);
});

test("--unreachable names real servers of this lab only", () => {
  const bad = parseLabOptions({ unreachable: ["d1", "rs2"] });
  assert.deepEqual(!bad.ok && bad.problems, ["--unreachable: names a real server: rs1, rs2, ..."]);
  const beyond = parseLabOptions({ realServers: 2, unreachable: ["rs2", "rs3"] });
  assert.deepEqual(!beyond.ok && beyond.problems, ["--unreachable: rs3 not in this lab (it has rs1-rs2)"]);
  const ok = parseLabOptions({ unreachable: ["rs2"] });
  assert.deepEqual(ok.ok && ok.options.unreachable, ["rs2"]);
});

test("defaults: 2 directors and 2 real servers on 10.200.0.0/24; a second slot is another /24", () => {
  const r = parseLabOptions({});
  assert.ok(r.ok);
  const t = topology(r.options, 0);
  assert.deepEqual(
    t.hosts.map((h) => `${h.name} ${h.role} ${h.address} ${h.ns}`),
    [
      "control control 10.200.0.2 lvslab-lab-control",
      "client client 10.200.0.3 lvslab-lab-client",
      "d1 director 10.200.0.11 lvslab-lab-sw",
      "d2 director 10.200.0.12 lvslab-lab-sw",
      "rs1 realServer 10.200.0.21 lvslab-lab-rs1",
      "rs2 realServer 10.200.0.22 lvslab-lab-rs2",
    ],
  );
  assert.equal(t.vip, "10.200.0.100");
  assert.equal(topology(r.options, 3).vip, "10.203.0.100");
  assert.throws(() => topology(r.options, 40), /slot 40 out of range/);
});

test("the lab's ClusterSpec is valid: priorities 150 then lower, every real server a DR backend, host keys pinned", () => {
  const r = parseLabOptions({ directors: 3, realServers: 3 });
  assert.ok(r.ok);
  const t = topology(r.options, 1);
  const pin = (name: string) => `SHA256:${Buffer.alloc(32, name).toString("base64").replace(/=+$/, "")}`;
  const hostKeys = Object.fromEntries(t.hosts.map((h) => [h.address, pin(h.name)]));
  const spec = validateClusterSpec(labClusterSpec(t, { privateKey: "k", hostKeys }));
  assert.deepEqual(spec.vips[0]?.priorities, { d1: 150, d2: 99, d3: 98 });
  assert.deepEqual(
    spec.virtualServers[0]?.backends.map((b) => b.server),
    ["rs1", "rs2", "rs3"],
  );
  assert.deepEqual(
    spec.directors.map((d) => d.connection.hostKey),
    byRole(t, "director").map((h) => pin(h.name)),
  );
  assert.throws(() => labClusterSpec(t, { privateKey: "k", hostKeys: {} }), /no host key for d1/);
});
