// unitWord / unitExecWord: values as one unit word each, specifiers and variables escaped, control
// characters refused (the unit as a whole is checked by systemd-analyze in install/service.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { unitExecWord, unitValueProblem, unitWord } from "./unit-file.ts";

test("a plain path is written as it is; spaces and quotes make it one quoted word", () => {
  assert.equal(unitWord("-/run/lvs-agent"), "-/run/lvs-agent");
  assert.equal(unitWord("-/var/lib/my agent"), '"-/var/lib/my agent"');
  assert.equal(unitWord("/run/a'b;c"), `"/run/a'b;c"`);
});

test("specifiers are doubled everywhere, variables on Exec lines only", () => {
  assert.equal(unitWord("/run/%i$HOME"), "/run/%%i$HOME");
  assert.equal(unitExecWord("/run/%i$HOME"), "/run/%%i$$HOME");
});

test("a control character, double quote or backslash is refused, with the value named", () => {
  for (const bad of ["/a\nExecStartPre=/bin/sh", "/a\rb", "/a\tb", "/a\u0000", "/a\u007f"]) {
    assert.match(unitValueProblem(bad) ?? "", /control character/, JSON.stringify(bad));
    assert.throws(() => unitWord(bad), /control character .*: "/);
    assert.throws(() => unitExecWord(bad), /control character/);
  }
  assert.match(unitValueProblem('/a"b') ?? "", /double quote or a backslash/);
  assert.match(unitValueProblem("/a\\b") ?? "", /double quote or a backslash/);
  assert.equal(unitValueProblem("/opt/lvs-agent/current/bin/lvs-agent"), undefined);
});
