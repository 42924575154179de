import { test } from "node:test";
import assert from "node:assert/strict";
import { INCLUDE_LIMITS, lex, lexFile } from "./lexer.ts";
import { memIo } from "./test-helpers.ts";

const words = (text: string) => lex(text, "k.conf").tokens.map((t) => t.text);

test("words, braces glued or not, and the line of every token", () => {
  const { tokens, problems } = lex("vrrp_instance VI_1 {state MASTER\n  priority 150}\n\n}", "k.conf");
  assert.deepEqual(problems, []);
  assert.deepEqual(
    tokens.map((t) => [t.text, t.line, t.bol]),
    [
      ["vrrp_instance", 1, true],
      ["VI_1", 1, false],
      ["{", 1, false],
      ["state", 1, false],
      ["MASTER", 1, false],
      ["priority", 2, true],
      ["150", 2, false],
      ["}", 2, false],
      ["}", 4, true],
    ],
  );
  assert.ok(tokens.every((t) => t.file === "k.conf"));
});

test("comments start at # or ! anywhere outside quotes, as in keepalived", () => {
  assert.deepEqual(words("router_id a # x { y }\n! whole line\nauth_pass ab!cd\ndelay_loop 1#2"), [
    "router_id",
    "a",
    "auth_pass",
    "ab",
    "delay_loop",
    "1",
  ]);
  assert.deepEqual(words('script "/bin/check #1 !x {}"'), ["script", "/bin/check #1 !x {}"]);
});

test("quoted strings: one token, quoted, backslash escapes; unterminated is an error on its line", () => {
  const { tokens } = lex('notify "/a b/c.sh \\"x\\" \\\\"', "k.conf");
  assert.deepEqual(
    tokens.map((t) => [t.text, t.quoted]),
    [
      ["notify", false],
      ['/a b/c.sh "x" \\', true],
    ],
  );
  const bad = lex('ok\nscript "/bin/x\nnext', "k.conf");
  assert.deepEqual(bad.problems, [
    { file: "k.conf", line: 2, severity: "error", message: "unterminated quoted string" },
  ]);
  assert.deepEqual(
    bad.tokens.map((t) => t.text),
    ["ok", "script", "/bin/x", "next"],
  );
});

test("CRLF line ends and a byte-order mark are accepted", () => {
  const { tokens } = lex("\uFEFFa 1\r\nb 2\r\n", "k.conf");
  assert.deepEqual(
    tokens.map((t) => [t.text, t.line]),
    [
      ["a", 1],
      ["1", 1],
      ["b", 2],
      ["2", 2],
    ],
  );
});

test("include: relative to the including file, recursive, tokens keep their own file and line", () => {
  const io = memIo({
    "/etc/k/keepalived.conf": "global_defs {\n  include defs.conf\n}\ninclude /etc/other/vs.conf",
    "/etc/k/defs.conf": "router_id r1\ninclude sub/more.conf",
    "/etc/k/sub/more.conf": "\nvrrp_version 3",
    "/etc/other/vs.conf": "virtual_server 10.0.0.1 80 {\n}",
  });
  const src = lexFile("/etc/k/keepalived.conf", io);
  assert.deepEqual(src.problems, []);
  assert.deepEqual(src.files, [
    "/etc/k/keepalived.conf",
    "/etc/k/defs.conf",
    "/etc/k/sub/more.conf",
    "/etc/other/vs.conf",
  ]);
  assert.deepEqual(
    src.tokens.map((t) => `${t.file.split("/").pop()}:${t.line}:${t.text}`),
    [
      "keepalived.conf:1:global_defs",
      "keepalived.conf:1:{",
      "defs.conf:1:router_id",
      "defs.conf:1:r1",
      "more.conf:2:vrrp_version",
      "more.conf:2:3",
      "keepalived.conf:3:}",
      "vs.conf:1:virtual_server",
      "vs.conf:1:10.0.0.1",
      "vs.conf:1:80",
      "vs.conf:1:{",
      "vs.conf:2:}",
    ],
  );
});

test("include: a relative entry path stays relative; globs expand in name order; no match is a note", () => {
  const io = memIo({
    "conf/main.conf": "include conf.d/*.conf\ninclude none/*.conf",
    "conf/conf.d/20-b.conf": "b",
    "conf/conf.d/10-a.conf": "a",
    "conf/conf.d/x.txt": "x",
  });
  const src = lexFile("conf/main.conf", io);
  assert.deepEqual(
    src.tokens.map((t) => t.text),
    ["a", "b"],
  );
  assert.deepEqual(src.files, ["conf/main.conf", "conf/conf.d/10-a.conf", "conf/conf.d/20-b.conf"]);
  assert.deepEqual(src.problems, [
    { file: "conf/main.conf", line: 2, severity: "note", message: "include none/*.conf matches no file" },
  ]);
});

test("include: missing file, a loop and a bad argument count are errors at the include line", () => {
  const io = memIo({ "/k/a.conf": "x\ninclude missing.conf\ninclude b.conf\ninclude", "/k/b.conf": "include a.conf" });
  const src = lexFile("/k/a.conf", io);
  assert.deepEqual(
    src.problems.map((p) => `${p.file}:${p.line}: ${p.message}`),
    [
      "/k/a.conf:2: cannot read /k/missing.conf: ENOENT",
      "/k/b.conf:1: include of /k/a.conf loops (/k/a.conf -> /k/b.conf -> /k/a.conf)",
      "/k/a.conf:4: 'include' takes one file name, got 0",
    ],
  );
  const none = lexFile("/k/nothing.conf", io);
  assert.deepEqual(
    none.problems.map((p) => p.message),
    ["cannot read /k/nothing.conf: ENOENT"],
  );
  assert.deepEqual(none.files, []);
});

test("include is a directive only as the first word of a line", () => {
  assert.deepEqual(words('router_id include\n"include" x'), ["router_id", "include", "include", "x"]);
  const io = memIo({ "/k/a.conf": 'notify_master include\n"include" b' });
  assert.deepEqual(lexFile("/k/a.conf", io).problems, []);
});

test("include: a pattern that is not valid is an error at its line, not a throw (issue 13)", () => {
  const io = memIo({ "/k/a.conf": "x\ninclude /k/[x\ninclude /k/[z-a].conf" });
  const src = lexFile("/k/a.conf", io);
  assert.deepEqual(
    src.problems.map((p) => `${p.file}:${p.line}: ${p.severity}`),
    ["/k/a.conf:2: error", "/k/a.conf:3: error"],
  );
  assert.match(
    src.problems[0]!.message,
    /include \/k\/\[x is not a valid pattern: '\[' at character 1 is never closed/,
  );
});

test("include: ten includes a file, eight deep, stop at the file limit with one error (issue 13)", () => {
  // 10^7 reads without a limit (eight files deep, the most a chain may be); each includes the next ten times.
  const files: Record<string, string> = {};
  for (let d = 0; d < 7; d++) files[`/k/${d}.conf`] = `vrrp_version 3\n${`include ${d + 1}.conf\n`.repeat(10)}`;
  files["/k/7.conf"] = "vrrp_version 3";
  const src = lexFile("/k/0.conf", memIo(files));
  assert.equal(src.files.length, INCLUDE_LIMITS.files);
  const errors = src.problems.filter((p) => p.severity === "error");
  assert.equal(errors.length, 1, JSON.stringify(errors.slice(0, 3)));
  assert.match(errors[0]!.message, /^includes read more than 256 files .*nothing more was read/);
  assert.match(`${errors[0]!.file}:${errors[0]!.line}`, /^\/k\/\d\.conf:\d+$/);
});

test("include: nine deep is refused at each include line of the eighth file, once each, however often it is read", () => {
  const files: Record<string, string> = {};
  for (let d = 0; d < 8; d++) files[`/k/${d}.conf`] = `${`include ${d + 1}.conf\n`.repeat(d === 7 ? 2 : 1)}`;
  files["/k/8.conf"] = "vrrp_version 3";
  files["/k/top.conf"] = "include 0.conf\ninclude 0.conf";
  const src = lexFile("/k/top.conf", memIo(files));
  assert.deepEqual(
    src.problems.map((p) => `${p.file}:${p.line}: ${p.message}`),
    ["/k/6.conf:1: include of /k/7.conf nests deeper than 8 files"],
  );
});

test("include: the bytes of all files together are limited too", () => {
  const big = "# x\n".repeat(INCLUDE_LIMITS.fileBytes / 4 - 1);
  const io = memIo({ "/k/a.conf": "include b.conf\n".repeat(6), "/k/b.conf": big });
  const src = lexFile("/k/a.conf", io);
  assert.equal(src.files.length, 4); // a.conf and three of b.conf; the fourth would pass 4 MiB
  assert.deepEqual(
    src.problems.map((p) => `${p.file}:${p.line}: ${p.message}`),
    [
      "/k/a.conf:4: includes read more than 4 MiB in all (lvs-agent's limit; check for includes that repeat or nest): nothing more was read",
    ],
  );
});
