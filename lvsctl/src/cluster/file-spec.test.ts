import { test } from "node:test";
import assert from "node:assert/strict";
import { fileSpec, formatProblems } from "./file-spec.ts";
import { parseYamlSource } from "./source.ts";
import { renderClusterFile } from "./file-render.ts";
import { GOOD, KEY, load, PIN, readKey } from "./test-cluster.ts";

test("ssh defaults fill each connection; a connection's own field wins; the key comes from its file", () => {
  const r = load(GOOD);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  const [lb1, lb2] = r.spec.directors;
  assert.equal(lb1!.connection.privateKey, KEY);
  assert.equal(lb1!.connection.hostKey, PIN);
  assert.equal(lb1!.connection.user, "root");
  assert.equal(lb2!.connection.user, "admin");
  assert.equal(lb2!.connection.sudo, true);
  assert.equal(r.spec.realServers[0]!.connection!.hostKey, PIN);
});

test("JSON is read as well as YAML", () => {
  const src = parseYamlSource(JSON.stringify({ directors: [] }, null, 2));
  assert.ok(src.ok);
  const r = fileSpec(src.source.value, src.source.positionOf, readKey);
  assert.ok(!r.ok);
  assert.match(formatProblems("c.json", r.problems), /^c\.json:2:3: directors: .*1/m);
});

test("every problem at once, each with its line, path, reason and fix; the key never quoted", () => {
  const bad = GOOD.replace("    10.0.0.3: ", "    10.0.0.30: ")
    .replace("vrid: 51", "vrid: 300")
    .replace("priorities: { lb1: 150, lb2: 100 }", "priorities: { lb1: 150, lb9: 100 }")
    .replace("scheduler: wrr", "scheduler: wrr\n    shceduler: rr");
  const r = load(bad);
  assert.ok(!r.ok);
  const text = formatProblems("cluster.yaml", r.problems);
  const lines = text.split("\n");
  assert.equal(lines.length, 3, text);
  assert.match(lines[0]!, /^cluster\.yaml:14:5: directors\[1\]\.connection\.hostKey: .*ssh\.hostKeys/);
  assert.match(lines[1]!, /^cluster\.yaml:19:5: vips\[0\]\.vrid: /);
  assert.match(lines[2]!, /^cluster\.yaml:31:5: virtualServers\[0\]\.shceduler: unknown field "shceduler"/);
  assert.ok(!text.includes("secretline"));
});

test("a dangling reference (found by the planner once the fields are sound) names its line", () => {
  const r = load(GOOD.replace("lb2: 100 }", "lb9: 100 }"));
  assert.ok(!r.ok);
  assert.match(
    formatProblems("c.yaml", r.problems),
    /^c\.yaml:21:29: vips\[0\]\.priorities\.lb9: no director named "lb9"$/,
  );
});

test("an unreadable key file and a bad ssh field are named under ssh", () => {
  const r = load(GOOD.replace("privateKeyFile: id_ed25519", "privateKeyFile: nokey\n  port: 0"));
  assert.ok(!r.ok);
  const text = formatProblems("c.yaml", r.problems);
  assert.match(text, /^c\.yaml:5:3: ssh\.port: /m);
  assert.match(text, /^c\.yaml:4:3: ssh\.privateKeyFile: cannot read nokey/m);
  assert.equal(text.split("\n").length, 2, `the port and the key, nothing else:\n${text}`);
});

test("a YAML syntax error names its line and nothing else is judged", () => {
  const src = parseYamlSource("directors:\n  - name: lb1\n   bad: [\n");
  assert.ok(!src.ok);
  assert.equal(src.problems[0]!.line >= 2, true);
});

test("a spec written as a cluster file reads back to the same spec, with no secret in the text", () => {
  const r = load(GOOD);
  assert.ok(r.ok);
  const text = renderClusterFile(r.spec, { privateKeyFile: "id_ed25519", user: "root" });
  assert.ok(!text.includes("secretline"));
  const again = load(text);
  assert.ok(again.ok, JSON.stringify(!again.ok && again.problems));
  assert.deepEqual(again.spec, r.spec);
});
