// The bad-input table's rows for a cluster file, as `lvsctl up -f cluster.yaml` reads it, and how a user
// sees them: "cluster.yaml:LINE:COL: path: why", one line per problem, every problem at once. Each input
// is an edit of the valid file of the cluster file's tests (its key file read by that fixture's stand-in).
// Pure.
import assert from "node:assert/strict";
import { fileSpec, formatProblems } from "../cluster/file-spec.ts";
import { parseYamlSource } from "../cluster/source.ts";
import { GOOD, PIN, readKey } from "../cluster/test-cluster.ts";
import type { Area, Row } from "./row.ts";

type Edit = readonly [from: string, to: string];

/** The lines lvsctl prints for the valid file with `from` replaced by `to` (which must be there). */
function clusterProblems({ input: [from, to] }: Row<Edit>): string[] {
  assert.ok(GOOD.includes(from), `the cluster file has ${JSON.stringify(from)}`);
  const src = parseYamlSource(GOOD.replace(from, to));
  if (!src.ok) return src.problems.map((p) => `cluster.yaml:${p.line}:${p.col}: ${p.message}`);
  const r = fileSpec(src.source.value, src.source.positionOf, readKey);
  return r.ok ? [] : formatProblems("cluster.yaml", r.problems).split("\n");
}

/** [what to replace in the valid file, what with, the line lvsctl prints] */
const EDITS: Array<readonly [string, string, string]> = [
  ["vrid: 51", "vrid: 0", "cluster.yaml:19:5: vips[0].vrid: must be 1-255, got 0"],
  ["lb1: 150", "lb1: 256", "cluster.yaml:21:19: vips[0].priorities.lb1: must be 1-255, got 256"],
  [
    "lb1: 150",
    "lb1: 255",
    "cluster.yaml:21:19: vips[0].priorities.lb1: 255 is only for the address owner (a director whose sourceIp is one of the addresses): use 1-254",
  ],
  ["lb2: 100", "lb9: 100", 'cluster.yaml:21:29: vips[0].priorities.lb9: no director named "lb9"'],
  [
    "scheduler: wrr",
    "shceduler: wrr",
    'cluster.yaml:30:5: virtualServers[0].shceduler: unknown field "shceduler" (did you mean "scheduler"?)',
  ],
  [
    "      - { server: rs1, weight: 2 }",
    "      - { server: rs1, weight: 2 }\n      - { server: rs1, weight: 3 }",
    'cluster.yaml:33:11: virtualServers[0].backends[1].server: "rs1" is already backends[0]: list each real server once per virtual server',
  ],
  ["weight: 2", "weight: -2", "cluster.yaml:32:24: virtualServers[0].backends[0].weight: must be 0-65535, got -2"],
  ["port: 80", "port: 65536", "cluster.yaml:29:5: virtualServers[0].port: must be 1-65535, got 65536"],
  [
    "privateKeyFile: id_ed25519",
    "privateKeyFile: id_rsa",
    "cluster.yaml:4:3: ssh.privateKeyFile: cannot read id_rsa: ENOENT",
  ],
  ["  user: root", "  user: root\n  port: 0", "cluster.yaml:4:3: ssh.port: must be 1-65535, got 0"],
  [
    `    10.0.0.21: "${PIN}"\n`,
    "",
    `cluster.yaml:24:5: realServers[0].connection.hostKey: hostKey is required (pin the host's key), unless insecureIgnoreHostKey is true: pin it under ssh.hostKeys ("10.0.0.2": "SHA256:...", from ssh-keyscan HOST | ssh-keygen -lf -)`,
  ],
  [
    "    addresses: [10.0.0.100/24]",
    "    addresses: [10.0.1.100/24]\n    subnet: 10.0.0.0/24",
    "cluster.yaml:20:17: vips[0].addresses[0]: 10.0.1.100 is outside the interface's subnet 10.0.0.0/24",
  ],
  [
    "address: 10.0.0.21",
    "address: fd00::21",
    'cluster.yaml:24:5: realServers[0].address: "fd00::21" is an IPv6 address: this field takes IPv4, such as 10.0.0.21',
  ],
  [
    "    address: 10.0.0.2\n",
    "    address: 10.0.0.2\n    installDir: opt/lvs-agent\n",
    'cluster.yaml:13:5: directors[0].installDir: "opt/lvs-agent" must be an absolute path of letters, digits and _ . @ + - (no spaces, no trailing /), such as /opt/lvs-agent',
  ],
  [
    "    address: 10.0.0.2\n",
    "    address: 10.0.0.2\n    sysctls: { net.ipv4.vs.conntrack: 2 }\n",
    "cluster.yaml:13:16: directors[0].sysctls.net.ipv4.vs.conntrack: must be one of 0, 1 (keep netfilter conntrack entries for IPVS connections (needed by some NAT set-ups)), got 2",
  ],
  [
    "    vrid: 51",
    "    vrid: 51\n    advertInterval: 50",
    "cluster.yaml:20:5: vips[0].advertInterval: VRRPv3 advertises in centiseconds: must be a multiple of 0.01 within 0.01-40.95, got 50",
  ],
  [
    "    vrid: 51",
    "    vrid: 51\n    version: 2\n    auth: { type: PASS, password: Tr0ub4dor&3x }",
    "cluster.yaml:21:25: vips[0].auth.password: must be at most 8 characters (VRRPv2 carries 8 bytes)",
  ],
  [
    "priorities: { lb1: 150, lb2: 100 }",
    "priorities: { lb1: 150, lb2: 100 ",
    "cluster.yaml:22:1: Flow map in block collection must be sufficiently indented and end with a }",
  ],
  ["vips:", "vipz:", 'cluster.yaml:16:1: vipz: unknown field "vipz" (did you mean "vips"?)'],
];

export const cluster: Area<Edit> = {
  rows: EDITS.map(([from, to, line]) => ({ where: "cluster.yaml", input: [from, to], expected: [line] })),
  says: clusterProblems,
};
