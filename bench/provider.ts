// The provider applying RealServers to 2 and to 20 hosts, as the engine would: the real plugin (in a
// lab namespace "control"), one Create per host issued at once over gRPC, each host a namespace with
// Debian's sshd. Reported per emulated round-trip time: wall time for each size and the ratio (target:
// 20 hosts under 2x the time of 2). What the figures mean:
// - rtt_ms=0: the plugin talks to each sshd directly, with no latency at all, and every host's sshd and
//   shells share this machine's 2 cores with the plugin: 20 hosts means 10x the remote CPU work on the
//   same cores. A CPU-bound worst case, not a picture of hosts on a network.
// - rtt_ms=N: the same hosts reached through bench/delay-relay.mjs (one process in "control"; this
//   kernel has no tc netem), where every byte also waits N/2 ms each way and each new TCP connection's
//   first exchange takes 2 RTT, as for hosts reached over a network with that round trip. The remote
//   CPU work still shares the 2 cores.
// Each RTT gets its own warm-up apply, then `runs` measured applies; the median is reported.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import type * as PB from "@pulumi/pulumi/proto/provider_pb.js";
import { prepPaths } from "../provider/src/resources/real-server/prep/commands.ts";
import { Lab } from "../test/helpers/netns.ts";
import { startSshd, type Sshd } from "../test/helpers/sshd.ts";
import { Plugin, secret } from "../test/provider/helpers/plugin.ts";
import { TICKS_PER_S, cpuTicks, machineBusyTicks, median } from "./common.ts";
import { startDelayRelay, type DelayRelay } from "./delay-relay.ts";

type Obj = Record<string, unknown>;
const NET = "10.71";
const VIP = "10.71.250.100";
/** Host i's relay address in the control namespace (all of 127.0.0.0/8 is local on lo): the provider
 * keys a host's state on connection.host, so each host needs its own. */
const relayAddress = (i: number) => `127.0.1.${10 + i}`;

/** A RealServer on sshd s, reached at `via` (s's own address, or its relay address). */
function inputs(s: Sshd, via: { host: string; port: number }): Obj {
  return {
    address: s.address,
    port: 80,
    vips: [VIP],
    connection: {
      host: via.host,
      port: via.port,
      privateKey: secret(s.clientKey.privateKey),
      hostKey: s.hostKeyFingerprint,
    },
  };
}

/** One apply: Check then Create on every host at once; the hosts are reset between applies. */
interface Apply {
  ms: number;
  /** CPU the whole machine spent during the creates (every lab host's sshd and shells, the plugin, the kernel) */
  machineCpuMs: number;
  /** CPU the plugin process spent */
  pluginCpuMs: number;
}

async function applyAll(plugin: Plugin, hosts: Sshd[], rtt: number, round: number, root: string): Promise<Apply> {
  const recordOf = (host: string) => prepPaths(host, `${root}/{host}`).record;
  const names = hosts.map((_, i) => `rs${i}-rtt${rtt}-r${round}`);
  const via = (s: Sshd, i: number) =>
    rtt > 0 ? { host: relayAddress(i), port: 22 } : { host: s.address, port: s.port };
  const checked = await Promise.all(hosts.map((s, i) => plugin.check("RealServer", names[i]!, inputs(s, via(s, i)))));
  const [busy0, plugin0] = [machineBusyTicks(), cpuTicks(plugin.pid)];
  const t0 = performance.now();
  const ends: number[] = [];
  const created = await Promise.all(
    checked.map(async (c, i) => {
      const res = (await plugin.create("RealServer", names[i]!, c.inputs)) as PB.CreateResponse;
      ends.push(performance.now() - t0);
      return { id: res.getId(), outs: res.getProperties()!.toJavaScript() as Obj };
    }),
  );
  const ms = performance.now() - t0;
  const tickMs = 1000 / TICKS_PER_S;
  const cpu = {
    machineCpuMs: (machineBusyTicks() - busy0) * tickMs,
    pluginCpuMs: (cpuTicks(plugin.pid) - plugin0) * tickMs,
  };
  // Spread of completions: all near the end = parallel; evenly spaced = something serialises the hosts.
  process.stderr.write(
    `  rtt_ms=${rtt} hosts=${hosts.length} round=${round} done_at_ms=${ends.map((e) => e.toFixed(0)).join(",")}\n`,
  );
  // Delete takes the state Create returned (as the engine does): every host back to as it was, so each
  // round prepares fresh hosts (sysctls, VIP, files, record), not hosts a previous round left prepared.
  await Promise.all(created.map((c, i) => plugin.delete("RealServer", names[i]!, c.outs, c.id)));
  const left = hosts.map((_, i) => recordOf(via(hosts[i]!, i).host)).filter((f) => existsSync(f));
  if (left.length > 0) throw new Error(`delete left host records behind: ${left.join(", ")}`);
  return { ms, ...cpu };
}

/** Median apply time on n hosts for each RTT, in the order given; one lab and one plugin for all. */
async function measure(n: number, runs: number, rtts: number[]): Promise<Apply[]> {
  const lab = Lab.create([{ name: "control", addr: `${NET}.0.2/16` }]);
  const root = mkdtempSync("/tmp/lvsb-prov-");
  const sshds: Sshd[] = [];
  let plugin: Plugin | undefined;
  let relay: DelayRelay | undefined;
  try {
    for (let i = 0; i < n; i++) lab.addHost({ name: `rs${i}`, addr: `${NET}.1.${10 + i}/16` });
    sshds.push(...(await Promise.all([...Array(n).keys()].map((i) => startSshd(lab.host(`rs${i}`))))));
    plugin = await Plugin.start(120_000, {
      host: lab.host("control"),
      env: { LVS_PROVIDER_TEST_HOST_ROOT: `${root}/{host}` },
    });
    const medians: Apply[] = [];
    for (const rtt of rtts) {
      if (rtt > 0) {
        const routes = sshds.map((s, i) => ({
          listen: { host: relayAddress(i), port: 22 },
          target: { host: s.address, port: s.port },
        }));
        relay = await startDelayRelay(lab.host("control"), rtt, routes);
      }
      await applyAll(plugin, sshds, rtt, 0, root); // warm-up: the plugin's first SSH handshakes and code paths
      const applies: Apply[] = [];
      for (let r = 1; r <= runs; r++) applies.push(await applyAll(plugin, sshds, rtt, r, root));
      const mid = (k: keyof Apply) => median(applies.map((a) => a[k]));
      medians.push({ ms: mid("ms"), machineCpuMs: mid("machineCpuMs"), pluginCpuMs: mid("pluginCpuMs") });
      await relay?.stop();
      relay = undefined;
    }
    return medians;
  } finally {
    await relay?.stop();
    await plugin?.stop();
    await Promise.all(sshds.map((s) => s.stop()));
    lab.destroy();
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * One result line per RTT (ms; 0 = direct, no added latency), with the CPU a 20-host apply cost per
 * host: on the whole machine (the lab hosts' sshd and shells included) and in the plugin alone. The
 * first bounds the 20-host time on this machine's cores; the second is what the provider's own
 * process spends, the part that stays on one machine when the hosts are real.
 */
export async function benchProvider(runs = 3, rtts: number[] = [0, 20, 50]): Promise<string[]> {
  const small = await measure(2, runs, rtts);
  const large = await measure(20, runs, rtts);
  return rtts.map((rtt, k) => {
    const [s, l] = [small[k]!, large[k]!];
    const perHost = (ms: number) => (ms / 20).toFixed(1);
    return (
      `provider apply realservers rtt_ms=${rtt} hosts2_ms=${s.ms.toFixed(0)} hosts20_ms=${l.ms.toFixed(0)} ratio=${(l.ms / s.ms).toFixed(2)} ` +
      `hosts20_cpu_ms_per_host=${perHost(l.machineCpuMs)} hosts20_plugin_cpu_ms_per_host=${perHost(l.pluginCpuMs)} runs=${runs}`
    );
  });
}
