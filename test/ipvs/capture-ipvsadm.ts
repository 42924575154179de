// Records what ipvsadm and the kernel say to each other over generic netlink, as golden bytes for
// agent/src/ipvs/codec.test.ts. Runs inside UML (real IPVS), not by the test suite:
//   node --import tsx test/uml/run.ts test/ipvs/capture-ipvsadm.ts
// Each ipvsadm call runs under `strace -e write=all -e read=all`, whose hex dumps hold the whole
// netlink messages; the generic netlink controller's messages and ACKs are left out.
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";

const OUT = new URL("../../agent/src/ipvs/fixtures/ipvsadm-1.31-linux-6.1.txt", import.meta.url);
const GENL_ID_CTRL = 0x10;
const NLMSG_ERROR = 2;

const COMMANDS: string[][] = [
  ["-A", "-t", "10.0.0.1:80", "-s", "rr"],
  ["-A", "-u", "10.0.0.1:53", "-s", "wrr", "-p", "300", "-M", "255.255.255.0"],
  ["-A", "-f", "7", "-s", "sh", "-b", "sh-fallback,sh-port"],
  ["-A", "--sctp-service", "10.0.0.2:5000", "-s", "mh", "-b", "mh-port"],
  ["-A", "-u", "10.0.0.3:4500", "-s", "lc", "-o"],
  ["-A", "-u", "10.0.0.4:5060", "-s", "rr", "-p", "60", "--pe", "sip"],
  ["-A", "-t", "[2001:db8::1]:443", "-s", "dh"],
  ["-A", "-f", "9", "-6", "-s", "rr", "-p", "120", "-M", "64"],
  ["-a", "-t", "10.0.0.1:80", "-r", "192.168.1.10:8080", "-m", "-w", "3", "-x", "100", "-y", "10"],
  ["-a", "-t", "10.0.0.1:80", "-r", "192.168.1.11:80", "-g"],
  ["-a", "-t", "10.0.0.1:80", "-r", "192.168.1.12:80", "-i", "--tun-type", "gue", "--tun-port", "6080", "--tun-csum"],
  ["-a", "-f", "7", "-r", "192.168.1.13", "-g", "-w", "0"],
  ["-a", "-t", "[2001:db8::1]:443", "-r", "[2001:db8::10]:8443", "-m", "-w", "2"],
  ["-e", "-t", "10.0.0.1:80", "-r", "192.168.1.10:8080", "-m", "-w", "5"],
  ["-E", "-t", "10.0.0.1:80", "-s", "wlc", "-p", "60"],
  ["-Ln"],
  ["-d", "-t", "10.0.0.1:80", "-r", "192.168.1.11:80"],
  ["-D", "-u", "10.0.0.3:4500"],
  ["--set", "900", "120", "300"],
  ["-L", "--timeout"],
  ["--start-daemon", "master", "--mcast-interface", "lo", "--syncid", "5"],
  ["-L", "--daemon"],
  ["--stop-daemon", "master"],
  ["-Z"],
  ["-C"],
];

/** The bytes of each sendmsg/recvmsg in strace's hex dumps (peeks left out: they repeat the next read). */
function syscallBuffers(strace: string): { dir: "send" | "recv"; bytes: Buffer }[] {
  const out: { dir: "send" | "recv"; bytes: Buffer; skip: boolean }[] = [];
  for (const line of strace.split("\n")) {
    const call = /^(sendmsg|recvmsg)\(/.exec(line);
    if (call)
      out.push({
        dir: call[1] === "sendmsg" ? "send" : "recv",
        bytes: Buffer.alloc(0),
        skip: line.includes("MSG_PEEK"),
      });
    const dump = /^ \| [0-9a-f]{5} {2}/.test(line) ? line.slice(10, 58).replace(/\s+/g, "") : undefined;
    const last = out.at(-1);
    if (dump && last) last.bytes = Buffer.concat([last.bytes, Buffer.from(dump, "hex")]);
  }
  return out.filter((c) => !c.skip);
}

/** "send|recv <nlmsg_flags> <genl header + attributes>" for each IPVS message; kernel errors as "error -N". */
function ipvsMessages(dir: string, bytes: Buffer): string[] {
  const lines: string[] = [];
  for (let off = 0; off + 16 <= bytes.length;) {
    const len = bytes.readUInt32LE(off);
    const type = bytes.readUInt16LE(off + 4);
    const flags = bytes.readUInt16LE(off + 6);
    if (len < 16) break;
    if (type > GENL_ID_CTRL)
      lines.push(`${dir} ${flags.toString(16)} ${bytes.subarray(off + 16, off + len).toString("hex")}`);
    const errno = type === NLMSG_ERROR ? bytes.readInt32LE(off + 16) : 0;
    if (errno !== 0) lines.push(`${dir} error ${errno}`);
    off += (len + 3) & ~3;
  }
  return lines;
}

const header = [
  "# Generic netlink traffic of ipvsadm 1.31 with Linux 6.1 (Debian user-mode-linux), IPVS family only.",
  "# Written by test/ipvs/capture-ipvsadm.ts; do not edit by hand.",
  "# '> args': an ipvsadm command line; 'send|recv <nlmsg_flags hex> <hex>': genl header + attributes.",
];
const body = COMMANDS.flatMap((args) => {
  const r = spawnSync(
    "strace",
    ["-e", "trace=sendmsg,recvmsg", "-e", "write=all", "-e", "read=all", "-s", "0", "ipvsadm", ...args],
    {
      encoding: "utf8",
    },
  );
  if (r.status !== 0) throw new Error(`ipvsadm ${args.join(" ")} failed:\n${r.stderr}`);
  return [`> ${args.join(" ")}`, ...syscallBuffers(r.stderr).flatMap((c) => ipvsMessages(c.dir, c.bytes))];
});
writeFileSync(OUT, [...header, ...body, ""].join("\n"));
process.stdout.write(execFileSync("ipvsadm", ["-Ln"], { encoding: "utf8" }));
