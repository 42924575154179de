// The host scripts as data, and run through the local /bin/sh (dash, as on Debian hosts) against temp
// files: the read script's output parses back.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describeOp, opAction, parseAddresses, parseRead, prepPaths, procPath, readScript } from "./commands.ts";

const tmp = mkdtempSync("/tmp/lvs-prep-cmd-");
after(() => rmSync(tmp, { recursive: true, force: true }));
const sh = (script: string) => spawnSync("sh", ["-c", script], { encoding: "utf8" });

describe("paths", () => {
  it("the record and lock live under /var/lib/lvs-provider, or under a per-host test root", () => {
    assert.deepEqual(prepPaths("10.0.0.11"), {
      root: "",
      record: "/var/lib/lvs-provider/host-prep.json",
      lock: "/var/lib/lvs-provider/host-prep.lock",
    });
    assert.equal(
      prepPaths("10.0.0.11", "/tmp/t/{host}/").record,
      "/tmp/t/10.0.0.11/var/lib/lvs-provider/host-prep.json",
    );
    assert.equal(prepPaths("a b/../c", "/tmp/{host}").root, "/tmp/a_b_.._c");
  });

  it("sysctl keys map to /proc/sys, a VLAN's '/' back to its dot", () => {
    assert.equal(procPath("net.ipv4.conf.all.arp_ignore"), "/proc/sys/net/ipv4/conf/all/arp_ignore");
    assert.equal(procPath("net.ipv4.conf.eth0/100.arp_announce"), "/proc/sys/net/ipv4/conf/eth0.100/arp_announce");
  });
});

describe("reading a host", () => {
  it("ip -o lines parse to address and device", () => {
    const text =
      "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n1: lo    inet 10.0.0.100/32 scope global lo\\ x\n5: eth0    inet 10.9.0.11/24 brd 10.9.0.255 scope global eth0\\ x\n";
    assert.deepEqual(parseAddresses(text), [
      { address: "127.0.0.1/8", device: "lo" },
      { address: "10.0.0.100/32", device: "lo" },
      { address: "10.9.0.11/24", device: "eth0" },
    ]);
  });

  it("the read script runs under sh and its output parses: values, missing keys, files with any bytes, no systemd", () => {
    const file = join(tmp, "f.conf");
    writeFileSync(file, "line one\n\nünïcode = 1\n");
    writeFileSync(join(tmp, "empty"), "");
    const q = {
      sysctls: ["net.ipv4.conf.lo.arp_ignore", "net.ipv4.conf.nosuchdev.arp_ignore", "net.ipv4.ip_default_ttl"],
      files: [file, join(tmp, "empty"), join(tmp, "absent")],
      units: ["x.service"],
    };
    const r = sh(readScript(q, tmp));
    assert.equal(r.status, 0, r.stderr);
    const actual = parseRead(r.stdout, q);
    assert.equal(typeof actual.sysctls["net.ipv4.conf.lo.arp_ignore"], "number");
    assert.equal(actual.sysctls["net.ipv4.conf.nosuchdev.arp_ignore"], undefined);
    // Two digits: a byte-by-byte read (the shell's read builtin) would see only the first.
    assert.equal(
      actual.sysctls["net.ipv4.ip_default_ttl"],
      Number(readFileSync("/proc/sys/net/ipv4/ip_default_ttl", "utf8")),
    );
    assert.deepEqual(actual.files, {
      [file]: "line one\n\nünïcode = 1\n",
      [join(tmp, "empty")]: "",
      [join(tmp, "absent")]: undefined,
    });
    assert.ok(actual.addresses.some((a) => a.address === "127.0.0.1/8" && a.device === "lo"));
    assert.deepEqual([actual.systemd, actual.enabled], [false, { "x.service": false }]);
  });

  it("systemd's answer per unit; garbage output is an error", () => {
    const q = { sysctls: ["k"], files: [], units: ["a.service", "b.service"] };
    const out = "/proc/sys/k\x001\n@@lvs@@\n@@lvs@@\n@@lvs@@\nsystemd\nenabled\n\n";
    assert.deepEqual(parseRead(out, q).enabled, { "a.service": true, "b.service": false });
    assert.throws(() => parseRead("nonsense", q), /unexpected output reading the host/);
    assert.throws(
      () => parseRead("/proc/sys/k\x00x\n@@lvs@@\n@@lvs@@\n@@lvs@@\nnone\n", q),
      /sysctl k reads "x", not a number/,
    );
  });
});

describe("operations", () => {
  const paths = prepPaths("h", "/tmp/root");
  it("each operation's command or file write", () => {
    assert.deepEqual(opAction({ kind: "sysctl", key: "net.ipv4.conf.all.arp_ignore", value: 1, was: 0 }, paths), {
      cmd: "printf '%s\\n' 1 > /proc/sys/net/ipv4/conf/all/arp_ignore",
    });
    assert.match(
      (opAction({ kind: "addr-add", address: "10.0.0.100/32", device: "lo" }, paths) as { cmd: string }).cmd,
      /ip addr replace 10\.0\.0\.100\/32 dev lo$/,
    );
    assert.deepEqual(opAction({ kind: "record", content: "{}", was: undefined }, paths), {
      write: { path: "/tmp/root/var/lib/lvs-provider/host-prep.json", content: "{}" },
    });
    assert.deepEqual(opAction({ kind: "record", content: undefined, was: "{}" }, paths), {
      cmd: "rm -f -- /tmp/root/var/lib/lvs-provider/host-prep.json",
    });
    assert.equal(describeOp({ kind: "sysctl", key: "k", value: 1, was: 0 }), "set k=1 (was 0)");
  });

  it("removing an address that is not there succeeds (re-runs converge)", () => {
    const cmd = (opAction({ kind: "addr-del", address: "192.0.2.77/32", device: "lo" }, paths) as { cmd: string }).cmd;
    assert.equal(sh(cmd).status, 0);
  });
});
