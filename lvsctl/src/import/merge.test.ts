// mergeDirectors on keepalived.conf files read as lvs-agent reads them (the seeds' fixtures, and the
// same files with another priority): one VIP with a priority per director, one virtual server, real
// servers by address; what a ClusterSpec cannot say refused with file:line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ClusterSpec } from "../../../provider/src/cluster/spec.ts";
import { planCluster } from "../../../provider/src/cluster/plan.ts";
import { loadDirector } from "./load.ts";
import { differs, mergeDirectors, resourceNameOf, type DirectorImport } from "./merge.ts";

const FIX = new URL("../../../agent/src/keepalived/fixtures/", import.meta.url).pathname;

function director(file: string, name: string, address?: string): DirectorImport {
  const r = loadDirector(file, name, address, name);
  if (!r.ok) assert.fail(r.problems.join("\n"));
  return r.director;
}

/** A director whose config is another's with one change (a second director's file). */
function variant(d: DirectorImport, name: string, address: string, edit: (c: DirectorImport["config"]) => void) {
  const config = structuredClone(d.config);
  edit(config);
  return { ...d, name, address, config };
}

test("two directors of seed 003's config: one VIP with both priorities, one virtual server, real servers by address", () => {
  const lb1 = director(`${FIX}lvs-dr-ens33.conf`, "lb1", "192.168.1.11");
  const lb2 = variant(lb1, "lb2", "192.168.1.12", (c) => (c.instances.VI_1!.priority = 100));
  const m = mergeDirectors([lb1, lb2]);
  assert.deepEqual(m.problems, []);
  // Credentials come from the cluster file's ssh section (render.ts); here, stand-ins.
  const creds = { privateKey: "key", hostKey: "SHA256:uSIUsUk+FqQMyRSTC4opsphVjaRQ7aHQTo1lYyy6BBg" };
  const spec = ClusterSpec.parse({
    ...m.spec,
    directors: m.spec.directors.map((d) => ({ ...d, connection: { ...d.connection, ...creds } })),
  });
  assert.deepEqual(
    spec.vips.map((v) => [v.name, v.vrid, v.addresses, v.priorities]),
    [["VI_1", 51, ["192.168.1.100"], { lb1: 150, lb2: 100 }]],
  );
  assert.deepEqual(
    spec.realServers.map((r) => r.address),
    ["192.168.1.20", "192.168.1.21"],
  );
  assert.deepEqual(
    spec.virtualServers.map((v) => [v.vip, v.port, v.backends.map((b) => b.server)]),
    [["VI_1", 80, ["rs-192.168.1.20", "rs-192.168.1.21"]]],
  );
  assert.ok(planCluster(spec).ok, "the cluster plans");
});

test("seed 001's pair: unicast_src_ip names each director; its virtual server on the master's own address is refused at its line", () => {
  const m = mergeDirectors([
    director(`${FIX}keepalived-master.conf`, "master"),
    director(`${FIX}keepalived-slave.conf`, "slave"),
  ]);
  assert.deepEqual(
    m.spec.directors.map((d) => [d.name, d.address]),
    [
      ["master", "172.20.128.2"],
      ["slave", "172.20.128.3"],
    ],
  );
  assert.deepEqual(m.spec.vips?.[0]?.priorities, { master: 200, slave: 100 });
  assert.equal(m.problems.length, 1);
  assert.match(
    m.problems[0]!,
    /keepalived-master\.conf:40: virtual_server 172\.20\.128\.2:80: its address is not a virtual_ipaddress/,
  );
});

test("refused with file:line: instances that differ, a VS on one director of two, notify hooks; no address named", () => {
  const lb1 = director(`${FIX}lvs-dr-ens33.conf`, "lb1", "192.168.1.11");
  const lb2 = variant(lb1, "lb2", "192.168.1.12", (c) => {
    c.instances.VI_1!.advertInterval = 2;
    c.instances.VI_1!.notify = { master: "/bin/true" };
  });
  const lb3 = variant(lb1, "lb3", "192.168.1.13", (c) => (c.virtualServers = {}));
  const m = mergeDirectors([lb1, lb2, lb3]);
  assert.deepEqual(
    m.problems.map((p) => p.replace(FIX, "")),
    [
      "lvs-dr-ens33.conf:1: notify hooks has no place in a ClusterSpec VIP: run them from the agent's metrics or status instead, or remove them",
      "virtual server 192.168.1.100-80 is on lb1, lb2 but not on lb3, which hold its VIP VI_1: a ClusterSpec virtual server runs on every director of its VIP; add it to the others' files, or remove it",
    ],
  );
  const noAddr = mergeDirectors([director(`${FIX}lvs-dr-ens33.conf`, "lb1")]);
  assert.match(noAddr.problems[0]!, /director lb1 has no unicast_src_ip: give its address with --director lb1=ADDRESS/);
  const differ = variant(lb1, "lb2", "192.168.1.12", (c) => (c.instances.VI_1!.advertInterval = 2));
  assert.match(mergeDirectors([lb1, differ]).problems[0]!, /differs from .*lvs-dr-ens33\.conf:1 in advertInterval/);
  assert.ok(readFileSync(`${FIX}lvs-dr-ens33.conf`, "utf8").startsWith("vrrp_instance VI_1"));
});

test("refused with file:line: use_vmac, quorum_up/quorum_down, hysteresis, port 0", () => {
  const lb1 = director(`${FIX}lvs-dr-ens33.conf`, "lb1", "192.168.1.11");
  const vmac = variant(lb1, "lb1", "192.168.1.11", (c) => (c.instances.VI_1!.vmac = { name: "vrrp.51" }));
  const problems = (d: DirectorImport) =>
    mergeDirectors([d]).problems.map((p) => p.replace(FIX, "").replace(/^[^:]+:\d+: /, ""));
  assert.deepEqual(
    problems(vmac)[0],
    "use_vmac has no place in a ClusterSpec VIP: remove use_vmac and vmac_xmit_base, or run this file with lvs-agent --keepalived-conf",
  );
  const odd = variant(lb1, "lb1", "192.168.1.11", (c) => {
    const vs = c.virtualServers["192.168.1.100:80"]!;
    Object.assign(vs, { quorumUp: "/bin/true", hysteresis: 1 });
    vs.realServers[0]!.port = 0;
  });
  assert.deepEqual(problems(odd), [
    "quorum_up/quorum_down has no place in a ClusterSpec virtual server: remove them, or run this file with lvs-agent --keepalived-conf",
    "hysteresis has no place in a ClusterSpec virtual server: remove it (a ClusterSpec quorum has none)",
    "a real server on port 0 has no place in a ClusterSpec virtual server: give its port",
  ]);
});

test("names and comparisons", () => {
  assert.equal(resourceNameOf("193.150.124.9"), "193.150.124.9");
  assert.equal(resourceNameOf("VI_1 x/y"), "VI_1-x-y");
  assert.equal(differs({ a: 1, b: [1] }, { a: 1, b: [2] }, []), "b");
  assert.equal(differs({ a: 1, p: 2 }, { a: 1, p: 3 }, ["p"]), undefined);
});
