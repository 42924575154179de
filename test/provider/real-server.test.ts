// lvs.RealServer Create/Read/Update/Delete the way the engine drives them: the real plugin, spawned in
// the lab host `control` (its SSH reaches the lab, test traffic stays inside it), called over gRPC,
// preparing `rs1`/`rs2` which run Debian's sshd. Assertions look at the hosts themselves (their
// namespaces' /proc/sys and `ip addr show lo`). The lab hosts share this machine's filesystem, so the
// plugin writes each host's files under a per-host directory of a temp root (the test hook
// LVS_PROVIDER_TEST_HOST_ROOT) instead of /etc and /var/lib.
import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import pb from "@pulumi/pulumi/proto/provider_pb.js";
import { Lab, isRoot, waitFor, type Host } from "../helpers/netns.ts";
import { startSshd, sudoInstalled, type Sshd } from "../helpers/sshd.ts";
import { randomSubnet } from "../net/fixtures/client.ts";
import { changeLines, Plugin, isSecret, secret } from "./helpers/plugin.ts";

type Obj = Record<string, unknown>;
const net = randomSubnet();
const VIP = (n: number) => `10.77.${n}.100`;
const KEYS = (dev: string) => [`net.ipv4.conf.${dev}.arp_ignore`, `net.ipv4.conf.${dev}.arp_announce`];
const skip = !isRoot && "needs root for network namespaces";

let lab: Lab;
let rs1: Sshd, rs2: Sshd;
let plugin: Plugin;
const root = mkdtempSync("/tmp/lvst-rs-root-");
const env = { LVS_PROVIDER_TEST_HOST_ROOT: `${root}/{host}` };

before(async () => {
  if (!isRoot) return;
  lab = Lab.create([
    { name: "control", addr: `${net}.2/24` },
    { name: "rs1", addr: `${net}.11/24` },
    { name: "rs2", addr: `${net}.12/24` },
  ]);
  [rs1, rs2] = await Promise.all([startSshd(lab.host("rs1"), { users: true }), startSshd(lab.host("rs2"))]);
  plugin = await Plugin.start(120_000, { host: lab.host("control"), env });
});

after(async () => {
  await plugin?.stop();
  await Promise.all([rs1?.stop(), rs2?.stop()]);
  lab?.destroy();
  rmSync(root, { recursive: true, force: true });
});

// ---- the hosts ----
const sysctl = (h: Host, key: string) => Number(h.exec("cat", [`/proc/sys/${key.replace(/\./g, "/")}`]).trim());
const sysctls = (h: Host, keys: string[]) => Object.fromEntries(keys.map((k) => [k, sysctl(h, k)]));
const setSysctl = (h: Host, key: string, v: number) => h.exec("sysctl", ["-q", "-w", `${key}=${v}`]);
const loVips = (h: Host) =>
  h
    .ip4Addrs("lo")
    .filter((a) => !a.startsWith("127."))
    .sort();
const hostDir = (s: Sshd) => `${root}/${s.address}`;
const recordPath = (s: Sshd) => `${hostDir(s)}/var/lib/lvs-provider/host-prep.json`;
const DR_KEYS = [...KEYS("all"), ...KEYS("lo"), ...KEYS("eth0")];

/** Every test starts from a fresh host: default ARP sysctls, nothing global on lo, no files. */
beforeEach(() => {
  if (!isRoot) return;
  for (const s of [rs1, rs2]) {
    rmSync(hostDir(s), { recursive: true, force: true });
    DR_KEYS.forEach((k) => setSysctl(s.host, k, 0));
    s.host.exec("ip", ["-4", "addr", "flush", "dev", "lo", "scope", "global"]);
    s.host.exec("ip", ["link", "del", "v0"], { allowFail: true });
  }
});

// ---- the plugin, as the engine calls it ----
const connTo = (s: Sshd, extra: Obj = {}) => ({
  host: s.address,
  port: s.port,
  privateKey: secret(s.clientKey.privateKey),
  hostKey: s.hostKeyFingerprint,
  ...extra,
});
const realServer = (s: Sshd, extra: Obj = {}): Obj => ({
  address: s.address,
  port: 80,
  vips: [VIP(1)],
  connection: connTo(s),
  ...extra,
});

async function checked(name: string, inputs: Obj): Promise<Obj> {
  const r = await plugin.check("RealServer", name, inputs);
  assert.deepEqual(r.failures, []);
  return r.inputs;
}

async function create(name: string, inputs: Obj, p = plugin): Promise<{ id: string; outs: Obj; inputs: Obj }> {
  const news = await checked(name, inputs);
  const res = (await p.create("RealServer", name, news)) as pb.CreateResponse;
  return { id: res.getId(), outs: res.getProperties()!.toJavaScript() as Obj, inputs: news };
}

async function read(
  name: string,
  id: string,
  props: Obj,
  inputs?: Obj,
): Promise<{ id: string; props: Obj; inputs: Obj }> {
  const res = (await plugin.read("RealServer", name, props, id, inputs)) as pb.ReadResponse;
  return {
    id: res.getId(),
    props: (res.getProperties()?.toJavaScript() ?? {}) as Obj,
    inputs: (res.getInputs()?.toJavaScript() ?? {}) as Obj,
  };
}

async function update(name: string, id: string, olds: Obj, news: Obj): Promise<Obj> {
  const res = (await plugin.update("RealServer", name, olds, news, id)) as pb.UpdateResponse;
  return res.getProperties()!.toJavaScript() as Obj;
}

const remove = (name: string, id: string, props: Obj) => plugin.delete("RealServer", name, props, id);

async function failure(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => assert.fail("expected the call to fail"),
    (e: { details?: string; message: string }) => e,
  );
  return err.details ?? err.message;
}

/** what the plugin logged of changes on host s */
const applyLog = (p: Plugin, s: Sshd) => changeLines(p.stderr).filter((l) => l.startsWith(`lvs: ${s.address}:`));
const PRIVATE_KEY_LINE = () => rs1.clientKey.privateKey.split("\n")[1]!;

test(
  "create prepares the host (sysctls, VIP on lo, persistence files); outputs hold the previous values; read finds no drift",
  { skip },
  async () => {
    const t0 = Date.now();
    const { id, outs, inputs } = await create("web", realServer(rs1));
    const h = rs1.host;
    assert.equal(id, `web@${rs1.address}`);
    assert.deepEqual(sysctls(h, DR_KEYS), Object.fromEntries(DR_KEYS.map((k) => [k, k.endsWith("ignore") ? 1 : 2])));
    assert.deepEqual(loVips(h), [`${VIP(1)}/32`]);
    assert.deepEqual(outs.loopbackVips, [`${VIP(1)}/32`]);
    assert.deepEqual(outs.previous, Object.fromEntries(DR_KEYS.map((k) => [k, 0])));
    assert.deepEqual(outs.sysctls, sysctls(h, DR_KEYS));
    assert.equal(outs.persistence, "files written");
    assert.equal(outs.host, rs1.address);
    assert.match(
      readFileSync(`${hostDir(rs1)}/etc/sysctl.d/90-lvs-web.conf`, "utf8"),
      /^net\.ipv4\.conf\.all\.arp_ignore = 1$/m,
    );
    assert.match(
      readFileSync(`${hostDir(rs1)}/etc/systemd/system/lvs-real-server-web.service`, "utf8"),
      new RegExp(`addr replace ${VIP(1)}/32 dev lo`),
    );
    assert.ok(isSecret((outs.connection as Obj).privateKey), "the key stays a secret in the outputs");
    const { privateKey: _wrapped, ...connRest } = outs.connection as Obj;
    assert.ok(!JSON.stringify({ ...outs, connection: connRest }).includes(PRIVATE_KEY_LINE()), "nowhere else");
    const createMs = Date.now() - t0;

    const r = await read("web", id, outs, inputs);
    assert.equal(r.id, id);
    assert.deepEqual(r.props.vips, [VIP(1)]);
    assert.deepEqual(r.props.drift, []);
    assert.equal((await plugin.diff("RealServer", "web", r.props, inputs, r.inputs)).changes, "none");
    await remove("web", id, r.props);
    assert.deepEqual(sysctls(h, DR_KEYS), Object.fromEntries(DR_KEYS.map((k) => [k, 0])));
    assert.deepEqual(loVips(h), []);
    assert.ok(!existsSync(recordPath(rs1)) && !existsSync(`${hostDir(rs1)}/etc/sysctl.d/90-lvs-web.conf`));
    console.log(`create ${createMs} ms; create+read+delete ${Date.now() - t0} ms`);
  },
);

test(
  "hand edits: read puts what the host holds under the inputs' keys, diff names each property, update repairs them",
  { skip },
  async () => {
    const { id, outs, inputs } = await create("drift", realServer(rs1, { vips: [VIP(1), VIP(2)] }));
    setSysctl(rs1.host, "net.ipv4.conf.all.arp_ignore", 0);
    rs1.host.exec("ip", ["addr", "del", `${VIP(2)}/32`, "dev", "lo"]);
    writeFileSync(`${hostDir(rs1)}/etc/sysctl.d/90-lvs-drift.conf`, "# edited by hand\n");
    const r = await read("drift", id, outs, inputs);
    assert.equal((r.props.sysctls as Obj)["net.ipv4.conf.all.arp_ignore"], 0);
    assert.deepEqual(r.props.loopbackVips, [`${VIP(1)}/32`]);
    assert.deepEqual(
      [r.inputs.arpIgnore, r.inputs.arpAnnounce, r.inputs.vips, r.inputs.prepare],
      [0, 2, [VIP(1)], true],
      "the host's values, under the inputs' keys",
    );
    assert.deepEqual(r.props.drift, [`${hostDir(rs1)}/etc/sysctl.d/90-lvs-drift.conf changed`], "what no input shows");
    assert.ok(isSecret((r.inputs.connection as Obj).privateKey), "the key stays secret in read's inputs");
    const d = await plugin.diff("RealServer", "drift", r.props, inputs, r.inputs);
    assert.equal(d.changes, "some");
    assert.deepEqual(d.replaces, []);
    assert.deepEqual(d.detailedDiff, { arpIgnore: "UPDATE", "vips[1]": "ADD", drift: "DELETE (output)" });

    // The engine hands Update the refreshed state as olds.
    const repaired = await update("drift", id, r.props, inputs);
    assert.equal(sysctl(rs1.host, "net.ipv4.conf.all.arp_ignore"), 1);
    assert.deepEqual(loVips(rs1.host), [`${VIP(1)}/32`, `${VIP(2)}/32`]);
    assert.match(readFileSync(`${hostDir(rs1)}/etc/sysctl.d/90-lvs-drift.conf`, "utf8"), /arp_ignore = 1/);
    const again = await read("drift", id, repaired, inputs);
    assert.deepEqual(again.inputs.vips, [VIP(1), VIP(2)]);
    assert.equal((await plugin.diff("RealServer", "drift", again.props, inputs, again.inputs)).changes, "none");
    await remove("drift", id, again.props);
    assert.deepEqual(loVips(rs1.host), []);
  },
);

test("a second create changes nothing: no operation logged, no file rewritten", { skip }, async () => {
  const { id, outs } = await create("idem", realServer(rs1));
  const files = [
    recordPath(rs1),
    `${hostDir(rs1)}/etc/sysctl.d/90-lvs-idem.conf`,
    `${hostDir(rs1)}/etc/systemd/system/lvs-real-server-idem.service`,
  ];
  const stat = () => files.map((f) => `${statSync(f).ino}:${statSync(f).mtimeMs}`);
  const before = stat();
  const logged = applyLog(plugin, rs1).length;
  assert.ok(logged >= 9, `the first create logged its operations (${logged})`);
  const t0 = Date.now();
  const second = await create("idem", realServer(rs1));
  console.log(`no-op create ${Date.now() - t0} ms`);
  assert.deepEqual(applyLog(plugin, rs1).slice(logged), []);
  assert.deepEqual(stat(), before);
  assert.deepEqual(second.outs.previous, outs.previous, "previous values survive a re-run");
  await remove("idem", id, second.outs);
});

test(
  "two real servers on one host share the preparation; the last delete restores the values from before and keeps a VIP that was there",
  { skip },
  async () => {
    const h = rs1.host;
    setSysctl(h, "net.ipv4.conf.eth0.arp_announce", 1);
    h.exec("ip", ["addr", "add", `${VIP(3)}/32`, "dev", "lo"]);
    const original = sysctls(h, DR_KEYS);
    // Created at once, as the engine does for independent resources: the host's lock serializes them.
    const [a, b] = await Promise.all([
      create("web80", realServer(rs1, { port: 80, vips: [VIP(1)] })),
      create("web443", realServer(rs1, { port: 443, vips: [VIP(1), VIP(2), VIP(3)] })),
    ]);
    assert.deepEqual(loVips(h), [`${VIP(1)}/32`, `${VIP(2)}/32`, `${VIP(3)}/32`]);
    assert.equal(sysctl(h, "net.ipv4.conf.eth0.arp_announce"), 2);
    assert.equal((a.outs.previous as Obj)["net.ipv4.conf.eth0.arp_announce"], 1);
    assert.equal((b.outs.previous as Obj)["net.ipv4.conf.eth0.arp_announce"], 1);

    await remove("web443", b.id, b.outs);
    assert.deepEqual(loVips(h), [`${VIP(1)}/32`, `${VIP(3)}/32`], "web80's VIP stays; VIP 3 was there before");
    assert.equal(sysctl(h, "net.ipv4.conf.all.arp_ignore"), 1, "web80 still needs the ARP settings");
    assert.ok(
      !existsSync(`${hostDir(rs1)}/etc/sysctl.d/90-lvs-web443.conf`) &&
        existsSync(`${hostDir(rs1)}/etc/sysctl.d/90-lvs-web80.conf`),
    );
    assert.equal((await read("web443", b.id, b.outs)).id, "", "the deleted one reads as gone");

    await remove("web80", a.id, a.outs);
    assert.deepEqual(sysctls(h, DR_KEYS), original);
    assert.deepEqual(loVips(h), [`${VIP(3)}/32`]);
    assert.ok(!existsSync(recordPath(rs1)));
  },
);

test(
  "update moves VIPs and the interface (the old interface's values come back, the dropped VIP goes); prepare: false releases the host",
  { skip },
  async () => {
    const h = rs2.host;
    h.exec("ip", ["link", "add", "v0", "type", "veth", "peer", "name", "v1"]);
    const { id, outs } = await create("mover", realServer(rs2, { vips: [VIP(1)] }));
    const news = await checked("mover", realServer(rs2, { vips: [VIP(2)], interface: "v0" }));
    const d = await plugin.diff("RealServer", "mover", outs, news);
    assert.deepEqual([d.changes, d.replaces], ["some", []]);
    const updated = await update("mover", id, outs, news);
    assert.deepEqual(loVips(h), [`${VIP(2)}/32`]);
    assert.deepEqual(sysctls(h, KEYS("eth0")), Object.fromEntries(KEYS("eth0").map((k) => [k, 0])));
    assert.deepEqual(sysctls(h, KEYS("v0")), { "net.ipv4.conf.v0.arp_ignore": 1, "net.ipv4.conf.v0.arp_announce": 2 });
    assert.deepEqual(updated.loopbackVips, [`${VIP(2)}/32`]);
    // prepare: false hands the host back: everything it held is released by the update itself.
    const handedBack = await update(
      "mover",
      id,
      updated,
      await checked("mover", realServer(rs2, { vips: [VIP(2)], interface: "v0", prepare: false })),
    );
    assert.deepEqual(loVips(h), []);
    assert.deepEqual(
      sysctls(h, [...DR_KEYS, ...KEYS("v0")]),
      Object.fromEntries([...DR_KEYS, ...KEYS("v0")].map((k) => [k, 0])),
    );
    assert.ok(!existsSync(recordPath(rs2)));
    assert.equal(handedBack.holder, undefined);
    await remove("mover", id, handedBack);
  },
);

test(
  "a create killed after its first sysctl write converges when run again, and delete still restores the original values",
  { skip },
  async () => {
    const h = rs2.host;
    setSysctl(h, "net.ipv4.conf.lo.arp_announce", 1);
    const original = sysctls(h, DR_KEYS);
    const stalled = await Plugin.start(60_000, {
      host: lab.host("control"),
      env: { ...env, LVS_PROVIDER_TEST_PAUSE_AFTER: "sysctl" },
    });
    try {
      const pending = create("crash", realServer(rs2), stalled).catch(() => "killed");
      await waitFor(
        () => stalled.stderr.includes("lvs-test: paused after"),
        20_000,
        "the create to stall after its first sysctl write",
      );
      const changed = DR_KEYS.filter((k) => sysctl(h, k) !== original[k]);
      assert.deepEqual(changed, ["net.ipv4.conf.all.arp_ignore"], "exactly one sysctl written when the plugin dies");
      await stalled.kill("SIGKILL");
      assert.equal(await pending, "killed");
    } finally {
      await stalled.stop();
    }
    assert.deepEqual(loVips(h), []);
    const t0 = Date.now();
    const { id, outs } = await create("crash", realServer(rs2));
    console.log(`re-run after the kill (the dead session's lock broken) ${Date.now() - t0} ms`);
    assert.deepEqual(loVips(h), [`${VIP(1)}/32`]);
    assert.equal(sysctl(h, "net.ipv4.conf.lo.arp_announce"), 2);
    assert.deepEqual(outs.previous, original, "the values from before the killed run, not the half-applied ones");
    await remove("crash", id, outs);
    assert.deepEqual(sysctls(h, DR_KEYS), original);
    assert.deepEqual(loVips(h), []);
  },
);

test(
  "a step failing mid-apply rolls back what this call changed, and the error names host and step",
  { skip },
  async () => {
    mkdirSync(`${hostDir(rs1)}/etc`, { recursive: true });
    writeFileSync(`${hostDir(rs1)}/etc/sysctl.d`, "a file where the directory should be\n");
    const msg = await failure(create("broken", realServer(rs1)));
    assert.match(
      msg,
      new RegExp(
        `host ${rs1.address}: step 'write ${hostDir(rs1)}/etc/sysctl.d/90-lvs-broken.conf': .*; the \\d+ change\\(s\\) made before it were rolled back`,
      ),
    );
    assert.deepEqual(sysctls(rs1.host, DR_KEYS), Object.fromEntries(DR_KEYS.map((k) => [k, 0])));
    assert.deepEqual(loVips(rs1.host), []);
    assert.ok(!existsSync(recordPath(rs1)));
  },
);

test("refusals name the host and the step, change nothing and never show a secret", { skip }, async (t) => {
  const fp = rs1.hostKeyFingerprint.replace(/[+/]/g, (c) => `\\${c}`);
  const wrongKey = await failure(
    create("wrongkey", realServer(rs1, { connection: connTo(rs1, { hostKey: rs2.hostKeyFingerprint }) })),
  );
  assert.match(
    wrongKey,
    new RegExp(`host ${rs1.address}: step 'connect': host key mismatch for ${rs1.address}:22: expected .*, got ${fp}`),
  );

  const t0 = Date.now();
  const nobody = { ...rs1, address: `${net}.99` } as Sshd;
  const unreachable = await failure(
    create("nowhere", realServer(nobody, { connection: connTo(nobody, { connectTimeout: 3 }) })),
  );
  assert.match(
    unreachable,
    new RegExp(`host ${net}\\.99: step 'connect': (cannot reach|no SSH session with) ${net}\\.99:22`),
  );
  t.diagnostic(`unreachable host reported in ${Date.now() - t0} ms`);

  const noIface = await failure(create("noiface", realServer(rs1, { interface: "eth9" })));
  assert.match(
    noIface,
    new RegExp(
      `host ${rs1.address}: step 'plan': net\\.ipv4\\.conf\\.eth9\\.arp_ignore does not exist on the host \\(no interface eth9 there\\?\\); .*; nothing was changed$`,
    ),
  );

  const messages = [wrongKey, unreachable, noIface];
  if (sudoInstalled) {
    const noSudo = await failure(
      create("nosudo", realServer(rs1, { connection: connTo(rs1, { user: "lvst", sudo: true }) })),
    );
    assert.match(
      noSudo,
      new RegExp(
        `host ${rs1.address}: step 'lock and read host state': sudo refused on ${rs1.address}:22 for user 'lvst'`,
      ),
    );
    messages.push(noSudo);
  }
  assert.deepEqual(sysctls(rs1.host, DR_KEYS), Object.fromEntries(DR_KEYS.map((k) => [k, 0])));
  assert.ok(!existsSync(recordPath(rs1)));
  for (const m of messages) assert.ok(!m.includes(PRIVATE_KEY_LINE()), `no key in: ${m}`);
  assert.ok(!plugin.stderr.includes(PRIVATE_KEY_LINE()), "no key in the plugin's log");
});

test("prepare: false never opens a connection: create, read and delete answer without the host", { skip }, async () => {
  const nobody = { ...rs1, address: `${net}.99` } as Sshd;
  const t0 = Date.now();
  const { id, outs } = await create(
    "byhand",
    realServer(nobody, { prepare: false, connection: connTo(nobody, { connectTimeout: 3 }) }),
  );
  assert.equal(id, `byhand@${net}.99`);
  assert.deepEqual([outs.holder, outs.sysctls, outs.loopbackVips], [undefined, {}, []]);
  assert.equal((await read("byhand", id, outs)).id, id);
  await remove("byhand", id, outs);
  assert.ok(Date.now() - t0 < 2500, `no connection attempted (${Date.now() - t0} ms)`);
});

test(
  "TUN needs tunl0: on a kernel without IPIP the error names host and step and nothing changes",
  { skip },
  async (t) => {
    const h = rs2.host;
    const result = await create("tun", realServer(rs2, { forwarding: "TUN" })).catch(
      (e: { details?: string }) => e.details ?? String(e),
    );
    if (typeof result === "string") {
      t.diagnostic("this kernel has no IPIP: the failure path ran");
      assert.match(result, new RegExp(`host ${rs2.address}: step 'tunnel device tunl0': .*tunl0`));
      assert.deepEqual(sysctls(h, DR_KEYS), Object.fromEntries(DR_KEYS.map((k) => [k, 0])));
      assert.ok(!existsSync(recordPath(rs2)));
      return;
    }
    t.diagnostic("this kernel has IPIP: the VIP went on tunl0");
    assert.deepEqual(h.ip4Addrs("tunl0"), [`${VIP(1)}/32`]);
    assert.equal(sysctl(h, "net.ipv4.conf.tunl0.rp_filter"), 0);
    await remove("tun", result.id, result.outs);
    assert.deepEqual(h.ip4Addrs("tunl0"), []);
  },
);
