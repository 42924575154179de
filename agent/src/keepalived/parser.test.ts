import { test } from "node:test";
import assert from "node:assert/strict";
import { lex } from "./lexer.ts";
import { parse, splitLine, type Statement } from "./parser.ts";

/** A statement tree as nested arrays: [keyword, ...args] followed by its block, if any. */
type Shape = (string | Shape[])[];
function shape(stmts: Statement[]): Shape[] {
  return stmts.map((s) => [
    `${s.keyword.text}@${s.keyword.line}`,
    ...s.args.map((a) => a.text),
    ...(s.block ? [shape(s.block)] : []),
  ]);
}
const parsed = (text: string) => parse(lex(text, "k.conf").tokens);

test("statements end at the end of their line; a block belongs to the statement before its '{'", () => {
  const r = parsed(
    "vrrp_instance VI_1 {\n  state MASTER\n  unicast_peer {\n    10.0.0.2\n  }\n}\nvrrp_script s\n{\n  script x\n}",
  );
  assert.deepEqual(r.problems, []);
  assert.deepEqual(shape(r.statements), [
    [
      "vrrp_instance@1",
      "VI_1",
      [
        ["state@2", "MASTER"],
        ["unicast_peer@3", [["10.0.0.2@4"]]],
      ],
    ],
    ["vrrp_script@7", "s", [["script@9", "x"]]],
  ]);
});

test("braces end statements within one line: a flattened block parses the same", () => {
  const r = parsed(
    'vrrp_script chk { script "pidof nginx" interval 2 } vrrp_instance VI_1 { authentication { auth_type PASS } virtual_ipaddress { 10.0.0.4/24 dev eth0 } }',
  );
  assert.deepEqual(r.problems, []);
  assert.deepEqual(shape(r.statements), [
    ["vrrp_script@1", "chk", [["script@1", "pidof nginx", "interval", "2"]]],
    [
      "vrrp_instance@1",
      "VI_1",
      [
        ["authentication@1", [["auth_type@1", "PASS"]]],
        ["virtual_ipaddress@1", [["10.0.0.4/24@1", "dev", "eth0"]]],
      ],
    ],
  ]);
});

test("unbalanced braces are errors with their lines, and parsing goes on", () => {
  const r = parsed("a {\n b\n}\n}\nc {\n {\n }\n d");
  assert.deepEqual(
    r.problems.map((p) => `${p.line}: ${p.message}`),
    ["4: unexpected '}' (no block is open)", "6: '{' without a keyword before it", "5: 'c' block has no closing '}'"],
  );
  assert.deepEqual(shape(r.statements), [
    ["a@1", [["b@2"]]],
    ["c@5", [["d@8"]]],
  ]);
});

test("splitLine splits at unquoted keywords of the block and keeps the block with the last part", () => {
  const known = new Set(["state", "interface", "unicast_peer", "interval"]);
  const [inst] = parsed("v { state BACKUP interface eth0 unicast_peer { 10.0.0.2 } }").statements;
  const parts = inst!.block!.flatMap((s) => splitLine(s, (w) => known.has(w)));
  assert.deepEqual(shape(parts), [
    ["state@1", "BACKUP"],
    ["interface@1", "eth0"],
    ["unicast_peer@1", [["10.0.0.2@1"]]],
  ]);
  const [quoted] = parsed('script "interval" interval 2').statements;
  assert.deepEqual(shape(splitLine(quoted!, (w) => known.has(w))), [
    ["script@1", "interval"],
    ["interval@1", "2"],
  ]);
  const [alone] = parsed("state BACKUP").statements;
  assert.equal(splitLine(alone!, (w) => known.has(w))[0], alone, "nothing to split: the statement itself");
});
