// Tracked interfaces and scripts on a running pair: with a weight the master's priority drops and the
// backup preempts; without one the instance goes to FAULT and gives up its VIP; recovery takes it back.
// Notify hooks record every transition of one instance, run as nobody.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Lab, waitFor, type Host } from "../helpers/netns.ts";
import { startAgent } from "../helpers/agent.ts";
import type { AgentConfigInput } from "../../agent/src/config/schema.ts";
import { requestStatus } from "../../agent/src/status/socket.ts";
import type { InstanceStatus } from "../../agent/src/status/format.ts";
import { agentPaths, transitions } from "./fixtures/ops.ts";

const NOBODY = 65534;
const NAMES = ["VI_W", "VI_F", "VI_S", "VI_SF"] as const;
type Name = (typeof NAMES)[number];
const VRID: Record<Name, number> = { VI_W: 71, VI_F: 72, VI_S: 73, VI_SF: 74 };
const vip = (n: Name) => `10.67.0.${VRID[n] + 100}`;

async function statusOf(h: Host): Promise<Record<string, InstanceStatus>> {
  const s = await requestStatus(agentPaths(h).socket, "status", 2000);
  return Object.fromEntries(s.instances.map((i) => [i.name, i]));
}

/** Wait until each named instance on h is in its state; the failure names the states last seen. */
async function settle(
  h: Host,
  want: Partial<Record<Name, string>>,
  what: string,
  timeoutMs = 5000,
): Promise<Record<string, InstanceStatus>> {
  let found: Record<string, InstanceStatus> | undefined;
  let last = "";
  await waitFor(
    async () => {
      const s = await statusOf(h);
      last = JSON.stringify(
        Object.fromEntries(Object.entries(s).map(([n, i]) => [n, `${i.state} ${i.effectivePriority}`])),
      );
      if (Object.entries(want).every(([n, st]) => s[n]?.state === st)) found = s;
      return found !== undefined;
    },
    timeoutMs,
    `${h.name}: ${what}`,
    50,
  ).catch((err: Error) => assert.fail(`${err.message}; last seen ${last}`));
  return found!;
}

test(
  "tracked interfaces and scripts: weight moves mastership, no weight means FAULT; notify hooks",
  { timeout: 90_000 },
  async () => {
    const tmp = mkdtempSync("/tmp/lvs-track-");
    chmodSync(tmp, 0o755); // root-owned and not writable by others: script security accepts it
    const flags = join(tmp, "flags");
    const out = join(tmp, "out");
    mkdirSync(flags, { mode: 0o755 });
    mkdirSync(out, { mode: 0o755 });
    chownSync(out, NOBODY, NOBODY); // hooks run as nobody
    const check = join(tmp, "check.sh");
    writeFileSync(check, '#!/bin/sh\n[ -e "$(dirname "$0")/flags/$1" ]\n', { mode: 0o755 });
    const notify = join(tmp, "notify.sh");
    writeFileSync(notify, `#!/bin/sh\necho "$1 $(id -u)" >> ${out}/events\n`, { mode: 0o755 });
    const flag = (name: string, on: boolean) =>
      on ? writeFileSync(join(flags, name), "") : rmSync(join(flags, name), { force: true });
    flag("w", true);
    flag("f", true);

    const lab = Lab.create([
      { name: "d1", addr: "10.67.0.11/24" },
      { name: "d2", addr: "10.67.0.12/24" },
    ]);
    try {
      const d1 = lab.host("d1");
      const d2 = lab.host("d2");
      for (const [a, b] of [
        ["trkA0", "trkA1"],
        ["trkB0", "trkB1"],
      ]) {
        d1.exec("ip", ["link", "add", a!, "type", "veth", "peer", "name", b!]);
        d1.linkSet("up", a);
        d1.linkSet("up", b);
      }
      const base = (n: Name, priority: number) => ({
        interface: "eth0",
        vrid: VRID[n],
        priority,
        advertInterval: 0.2,
        virtualAddresses: [{ address: `${vip(n)}/24` }],
      });
      const c1: AgentConfigInput = {
        instances: {
          VI_W: { ...base("VI_W", 200), trackInterfaces: [{ name: "trkA0", weight: -150 }] },
          VI_F: {
            ...base("VI_F", 200),
            trackInterfaces: [{ name: "trkB0" }],
            notify: { master: `${notify} master`, backup: `${notify} backup`, fault: `${notify} fault` },
          },
          VI_S: { ...base("VI_S", 200), trackScripts: [{ name: "chk_w", weight: -150 }] },
          VI_SF: { ...base("VI_SF", 200), trackScripts: [{ name: "chk_f" }] },
        },
        scripts: {
          chk_w: { script: `${check} w`, interval: 0.2 },
          chk_f: { script: `${check} f`, interval: 0.2 },
        },
      };
      const c2: AgentConfigInput = { instances: Object.fromEntries(NAMES.map((n) => [n, base(n, 100)])) };
      const a = startAgent(d1, c1);
      const b = startAgent(d2, c2);
      const all = (st: string) => Object.fromEntries(NAMES.map((n) => [n, st])) as Record<Name, string>;
      await Promise.all([
        settle(d1, all("MASTER"), "all MASTER", 10_000),
        settle(d2, all("BACKUP"), "all BACKUP", 10_000),
      ]);
      for (const n of NAMES) assert.ok(d1.hasAddr(vip(n)), `${n} VIP on d1`);

      /** Flip a tracked object and check who holds the instance, then restore and check it comes back. */
      const exercise = async (
        n: Name,
        down: () => void,
        up: () => void,
        kind: "weight" | "fault",
        trackName: string,
      ) => {
        const fromA = a.lines.length;
        const fromB = b.lines.length;
        down();
        if (kind === "weight") {
          await settle(d2, { [n]: "MASTER" }, `${n}: backup preempts`);
          const s = await settle(d1, { [n]: "BACKUP" }, `${n}: master steps down`);
          assert.equal(s[n]!.effectivePriority, 50);
          assert.equal(s[n]!.priority, 200);
          assert.equal(s[n]!.masterIp, d2.ip);
          assert.deepEqual(s[n]!.faults, []);
        } else {
          const s = await settle(d1, { [n]: "FAULT" }, `${n}: FAULT`);
          assert.deepEqual(s[n]!.faults, [`${trackName} down`]);
          await settle(d2, { [n]: "MASTER" }, `${n}: backup takes over from the faulted master`);
        }
        await waitFor(() => d2.hasAddr(vip(n)) && !d1.hasAddr(vip(n)), 3000, `${n}: VIP moved to d2`);
        const track = (await statusOf(d1))[n]!.tracks.find((t) => `${t.kind} ${t.name}` === trackName);
        assert.equal(track?.up, false, `${n}: status shows ${trackName} down`);

        up();
        await settle(d1, { [n]: "MASTER" }, `${n}: back to MASTER`);
        await settle(d2, { [n]: "BACKUP" }, `${n}: d2 back to BACKUP`);
        await waitFor(() => d1.hasAddr(vip(n)) && !d2.hasAddr(vip(n)), 3000, `${n}: VIP back on d1`);
        const s = await statusOf(d1);
        assert.equal(s[n]!.effectivePriority, 200);
        for (const other of NAMES.filter((o) => o !== n)) {
          assert.deepEqual(transitions(a, other, fromA), [], `${other} moved when ${n}'s track changed`);
          assert.deepEqual(transitions(b, other, fromB), [], `${other} moved on d2 when ${n}'s track changed`);
        }
        const expected = kind === "weight" ? ["BACKUP", "MASTER"] : ["FAULT", "BACKUP", "MASTER"];
        assert.deepEqual(
          transitions(a, n, fromA).map((r) => r.to),
          expected,
        );
      };

      await exercise(
        "VI_W",
        () => d1.linkSet("down", "trkA1"),
        () => d1.linkSet("up", "trkA1"),
        "weight",
        "interface trkA0",
      );
      await exercise(
        "VI_F",
        () => d1.linkSet("down", "trkB1"),
        () => d1.linkSet("up", "trkB1"),
        "fault",
        "interface trkB0",
      );
      await exercise(
        "VI_S",
        () => flag("w", false),
        () => flag("w", true),
        "weight",
        "script chk_w",
      );
      await exercise(
        "VI_SF",
        () => flag("f", false),
        () => flag("f", true),
        "fault",
        "script chk_f",
      );

      // Notify hooks of VI_F, in order, each run as nobody (startup enters BACKUP first).
      const want = ["backup", "master", "fault", "backup", "master"].map((s) => `${s} ${NOBODY}`);
      let events: string[] = [];
      await waitFor(
        () => {
          events = readFileSync(join(out, "events"), "utf8").trim().split("\n");
          return events.length >= want.length;
        },
        3000,
        "notify hooks",
      ).catch(() => undefined);
      assert.deepEqual(events, want);
      assert.equal(a.child.exitCode, null);
      assert.ok(
        !a.lines.some((l) => /refusing to run|notify hook failed/.test(l.text)),
        "a hook or script was refused or failed",
      );
    } finally {
      lab.destroy();
      rmSync(tmp, { recursive: true, force: true });
    }
  },
);
