// The provider applying RealServers to 2 and to 20 hosts, as the engine would: the real plugin (in a
// lab namespace), one Create per host issued at once over gRPC, each host a namespace with Debian's
// sshd. Reported: wall time for each size and the ratio (target: 20 hosts under 2x the time of 2).
import { mkdtempSync, rmSync } from "node:fs";
import { Lab } from "../test/helpers/netns.ts";
import { startSshd, type Sshd } from "../test/helpers/sshd.ts";
import { Plugin, secret } from "../test/provider/helpers/plugin.ts";
import { median } from "./common.ts";

type Obj = Record<string, unknown>;
const NET = "10.71";
const VIP = "10.71.250.100";

function inputs(s: Sshd): Obj {
  return {
    address: s.address,
    port: 80,
    vips: [VIP],
    connection: { host: s.address, port: s.port, privateKey: secret(s.clientKey.privateKey), hostKey: s.hostKeyFingerprint },
  };
}

/** One apply: Check then Create on every host at once; the hosts are reset between applies. */
async function applyAll(plugin: Plugin, hosts: Sshd[], round: number): Promise<number> {
  const names = hosts.map((_, i) => `rs${i}-r${round}`);
  const checked = await Promise.all(hosts.map((s, i) => plugin.check("RealServer", names[i]!, inputs(s))));
  const t0 = performance.now();
  const ends: number[] = [];
  await Promise.all(checked.map((c, i) => plugin.create("RealServer", names[i]!, c.inputs).then(() => ends.push(performance.now() - t0))));
  const ms = performance.now() - t0;
  // Spread of completions: all near the end = parallel; evenly spaced = something serialises the hosts.
  process.stderr.write(`  hosts=${hosts.length} round=${round} done_at_ms=${ends.map((e) => e.toFixed(0)).join(",")}\n`);
  await Promise.all(checked.map((c, i) => plugin.delete("RealServer", names[i]!, c.inputs, `${names[i]}@${hosts[i]!.address}`)));
  return ms;
}

async function measure(n: number, runs: number): Promise<number> {
  const lab = Lab.create([{ name: "control", addr: `${NET}.0.2/16` }]);
  const root = mkdtempSync("/tmp/lvsb-prov-");
  const sshds: Sshd[] = [];
  let plugin: Plugin | undefined;
  try {
    for (let i = 0; i < n; i++) lab.addHost({ name: `rs${i}`, addr: `${NET}.1.${10 + i}/16` });
    sshds.push(...(await Promise.all([...Array(n).keys()].map((i) => startSshd(lab.host(`rs${i}`))))));
    plugin = await Plugin.start(120_000, { host: lab.host("control"), env: { LVS_PROVIDER_TEST_HOST_ROOT: `${root}/{host}` } });
    await applyAll(plugin, sshds, 0); // warm-up: the plugin's first SSH handshakes and code paths
    const times: number[] = [];
    for (let r = 1; r <= runs; r++) times.push(await applyAll(plugin, sshds, r));
    return median(times);
  } finally {
    await plugin?.stop();
    await Promise.all(sshds.map((s) => s.stop()));
    lab.destroy();
    rmSync(root, { recursive: true, force: true });
  }
}

export async function benchProvider(runs = 3): Promise<string[]> {
  const small = await measure(2, runs);
  const large = await measure(20, runs);
  return [`provider apply realservers hosts2_ms=${small.toFixed(0)} hosts20_ms=${large.toFixed(0)} ratio=${(large / small).toFixed(2)} runs=${runs}`];
}
