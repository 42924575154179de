import { test } from "node:test";
import assert from "node:assert/strict";
import { expand, newDefinitions, preprocessLine } from "./preprocess.ts";
import { lexFile } from "./lexer.ts";
import { memIo } from "./test-helpers.ts";

const at = { file: "/etc/keepalived/k.conf", line: 1 };

test("@id lines are read only on the host with that config id, @^id lines everywhere else", () => {
  const defs = newDefinitions({ configId: "nfs1" });
  assert.deepEqual(preprocessLine("@nfs1 priority 101", at, defs), { text: "priority 101" });
  assert.match(
    preprocessLine("@nfs2 priority 100", at, defs).note!,
    /config id 'nfs2' and this host's config id is 'nfs1'/,
  );
  assert.equal(preprocessLine("@nfs2 priority 100", at, defs).text, "");
  assert.equal(preprocessLine("  @^nfs2 priority 99", at, defs).text, "priority 99");
  assert.equal(preprocessLine("@^nfs1 priority 99", at, defs).text, "");
  const none = newDefinitions();
  assert.equal(preprocessLine("@nfs1 priority 101", at, none).text, "");
  assert.equal(preprocessLine("@^nfs1 priority 101", at, none).text, "priority 101");
});

test("$NAME=value defines, $NAME and ${NAME} expand anywhere, ${_PWD} is the file's directory", () => {
  const defs = newDefinitions();
  assert.deepEqual(preprocessLine("$IF0=eth0   # outside", at, defs), { text: "" });
  assert.equal(preprocessLine("interface $IF0", at, defs).text, "interface eth0");
  assert.equal(expand("VI_${IF0}x VI_$IF0", at, defs), "VI_eth0x VI_eth0");
  assert.equal(expand("script ${_PWD}/scripts/vs.sh", at, defs), "script /etc/keepalived/scripts/vs.sh");
  assert.equal(expand("notify $UNDEFINED", at, defs), "notify $UNDEFINED", "left as written, as keepalived does");
  assert.match(preprocessLine("$BLOCK={", at, defs).error!, /multi-line parameter definitions are not supported/);
});

test("a conditional definition, and definitions reaching included files", () => {
  const { tokens, problems } = lexFile(
    "/k/keepalived.conf",
    memIo({
      "/k/keepalived.conf": "@a $IF=eth1\n@b $IF=eth2\ninclude inc.conf\n",
      "/k/inc.conf": "interface $IF\n",
    }),
    { configId: "a" },
  );
  assert.deepEqual(
    tokens.map((t) => t.text),
    ["interface", "eth1"],
  );
  assert.deepEqual(
    problems.map((p) => [p.line, p.severity]),
    [[2, "note"]],
  );
});
