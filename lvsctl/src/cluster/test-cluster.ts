// A valid cluster file (the seeds' DR cluster) and its key, read as lvsctl reads one: the fixture of the
// cluster file's unit tests (file-spec.test.ts, bad-inputs/cluster.ts). Pure: the key file is a stand-in.
import assert from "node:assert/strict";
import { fileSpec } from "./file-spec.ts";
import { parseYamlSource } from "./source.ts";

export const PIN = `SHA256:${"A".repeat(43)}`;
export const KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAsecretline\n-----END OPENSSH PRIVATE KEY-----\n";
/** ssh.privateKeyFile: id_ed25519 is there, every other file is not. */
export const readKey = (file: string) =>
  file === "id_ed25519" ? { text: KEY } : { problem: `cannot read ${file}: ENOENT` };

export const GOOD = `# the seeds' DR cluster
ssh:
  user: root
  privateKeyFile: id_ed25519
  hostKeys:
    10.0.0.2: "${PIN}"
    10.0.0.3: "${PIN}"
    10.0.0.21: "${PIN}"
directors:
  - name: lb1
    connection: { host: 10.0.0.2 }
    address: 10.0.0.2
  - name: lb2
    connection: { host: 10.0.0.3, user: admin, sudo: true }
    address: 10.0.0.3
vips:
  - name: web
    interface: eth0
    vrid: 51
    addresses: [10.0.0.100/24]
    priorities: { lb1: 150, lb2: 100 }
realServers:
  - name: rs1
    address: 10.0.0.21
    connection: { host: 10.0.0.21 }
virtualServers:
  - name: http
    vip: web
    port: 80
    scheduler: wrr
    backends:
      - { server: rs1, weight: 2 }
`;

/** A cluster file's text (which must parse) as fileSpec reads it. */
export function load(text: string) {
  const src = parseYamlSource(text);
  assert.ok(src.ok, "parses");
  return fileSpec(src.source.value, src.source.positionOf, readKey);
}
