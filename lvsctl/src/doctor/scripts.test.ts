// Unit tests of what doctor sends to hosts and how it reads the answers (pure): the section script run
// by a real sh, values quoted, ip -o addr, sysctl lines, the agent's probe JSON.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  advertsCommand,
  directorScript,
  parseIpAddr,
  parseKeyValues,
  parseProbes,
  parseSections,
  procPath,
  realServerScript,
  sectionScript,
} from "./scripts.ts";

const sh = (script: string) => spawnSync("sh", ["-c", script], { encoding: "utf8" }).stdout;

test("sections come back with their stdout, stderr and exit code; a missing tool is 127", () => {
  const out = sh(
    sectionScript([
      ["one", "echo hello; echo oops >&2"],
      ["two", "printf 'a\\nb\\n'; exit 3"],
      ["gone", "command -v no-such-tool-here >/dev/null 2>&1 || exit 127; no-such-tool-here"],
      ["empty", "true"],
    ]),
  );
  assert.deepEqual(parseSections(out), {
    one: { out: "hello", err: "oops", rc: 0 },
    two: { out: "a\nb", err: "", rc: 3 },
    gone: { out: "", err: "", rc: 127 },
    empty: { out: "", err: "", rc: 0 },
  });
});

test("a section cut short is absent; section names are words", () => {
  assert.deepEqual(parseSections("@@doctor-begin addr\n1: lo inet 127.0.0.1/8\n"), {});
  assert.throws(() => sectionScript([["a b", "true"]]), /bad section name/);
});

test("values from the file are quoted: a path with a quote and spaces reaches cat intact", () => {
  // agentCommand is words (an interpreter and its script, say), each quoted on its own.
  const agent = { configDir: "/etc/x y", agentCommand: "/opt/a/lvs-agent --x", statusSocket: "/run/s'q.sock" };
  const script = directorScript({ agent, fragments: { web: "/tmp/it's here.json" }, probe: true });
  const out = parseSections(sh(script));
  assert.match(out["fragment:web"]!.err, /it's here\.json/, "cat got the path as one argument");
  assert.equal(out.status!.rc, 127, "no agent here");
  assert.match(out.probe!.err, /\/opt\/a\/lvs-agent: not found/);
  assert.equal(
    advertsCommand(agent, ["eth0", "eth1"], 2.5),
    "/opt/a/lvs-agent --x adverts --interface eth0,eth1 --seconds 2.5 --json",
  );
});

test("ip -o addr: IPv4 addresses by device, secondary ones too, veth peers' @ifN cut", () => {
  const text = `1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
1: lo    inet 10.0.0.100/32 scope global lo\\       valid_lft forever preferred_lft forever
1: lo    inet6 ::1/128 scope host \\       valid_lft forever preferred_lft forever
2: eth0@if7    inet 10.0.0.21/24 brd 10.0.0.255 scope global eth0\\       valid_lft forever preferred_lft forever
2: eth0    inet 10.0.0.100/24 scope global secondary eth0\\       valid_lft forever preferred_lft forever`;
  assert.deepEqual(parseIpAddr(text), [
    { device: "lo", address: "127.0.0.1", prefix: 8 },
    { device: "lo", address: "10.0.0.100", prefix: 32 },
    { device: "eth0", address: "10.0.0.21", prefix: 24 },
    { device: "eth0", address: "10.0.0.100", prefix: 24 },
  ]);
});

test("sysctls are read from /proc/sys, a dotted interface name included; a missing one says so", () => {
  assert.equal(procPath("net.ipv4.conf.eth0/100.arp_ignore"), "/proc/sys/net/ipv4/conf/eth0.100/arp_ignore");
  const out = parseSections(sh(realServerScript(["net.ipv4.conf.lo.arp_ignore", "net.ipv4.conf.nosuch0.arp_ignore"])));
  const kv = parseKeyValues(out.sysctl!.out);
  assert.match(kv["net.ipv4.conf.lo.arp_ignore"]!, /^\d$/);
  assert.equal(kv["net.ipv4.conf.nosuch0.arp_ignore"], "missing");
});

test("lvs-agent probe's JSON, or the agent's own words when it has no such command", () => {
  const ok = [
    { check: "http/10.0.0.21:80", type: "tcp", address: "10.0.0.21", port: 80, ok: true, detail: "connected" },
  ];
  assert.deepEqual(parseProbes({ out: JSON.stringify(ok), err: "", rc: 0 }), ok);
  assert.deepEqual(parseProbes({ out: "", err: "usage: lvs-agent <command> [options]\n  run ...", rc: 2 }), {
    error: "lvs-agent probe: usage: lvs-agent <command> [options] (exit 2)",
  });
});
