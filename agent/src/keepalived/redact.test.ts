import { test } from "node:test";
import assert from "node:assert/strict";
import { lex } from "./lexer.ts";
import { redactIncluded, WITHHELD } from "./redact.ts";
import { convertFiles, problemsOf } from "./test-helpers.ts";

test("an included line's words leave its messages; keywords, braces and the entry file stay", () => {
  const { tokens } = lex("priority 300 {\nhunter22", "/k/inc.conf");
  const entry = lex("router_id hunter22", "/k/main.conf").tokens;
  const known = new Set([tokens[0]!]);
  const items = [
    { at: { file: "/k/inc.conf", line: 1 }, text: "/k/inc.conf:1: 'priority' must be 1-255, got '300' {" },
    { at: { file: "/k/inc.conf", line: 2 }, text: "/k/inc.conf:2: unsupported keyword 'hunter22'" },
    { at: { file: "/k/main.conf", line: 1 }, text: "/k/main.conf:1: router_id hunter22" },
    { text: "no place: hunter22" },
  ];
  assert.deepEqual(
    redactIncluded(items, "/k/main.conf", [...entry, ...tokens], known).map((i) => i.text),
    [
      `/k/inc.conf:1: 'priority' must be 1-255, got '${WITHHELD}' {`,
      `/k/inc.conf:2: unsupported keyword '${WITHHELD}'`,
      "/k/main.conf:1: router_id hunter22",
      "no place: hunter22",
    ],
  );
});

test("a key file included by mistake: every line is an error at file:line, and no line of it is shown", () => {
  const key = [
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmU",
    "AAAAC3NzaC1lZDI1NTE5",
    "-----END OPENSSH PRIVATE KEY-----",
  ];
  const r = convertFiles({
    "/etc/keepalived/keepalived.conf": "global_defs {\n  router_id r1\n}\ninclude /root/.ssh/id_ed25519\n",
    "/root/.ssh/id_ed25519": `${key.join("\n")}\n`,
  });
  const problems = problemsOf(r);
  assert.deepEqual(
    problems.map((p) => p.split(": ")[0]),
    ["/root/.ssh/id_ed25519:1", "/root/.ssh/id_ed25519:2", "/root/.ssh/id_ed25519:3", "/root/.ssh/id_ed25519:4"],
  );
  const all = [...problems, ...r.notes].join("\n");
  for (const line of key)
    for (const word of line.split(/\s+/)) if (word.length > 3) assert.ok(!all.includes(word), word);
});
