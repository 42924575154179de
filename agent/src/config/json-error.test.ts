import { test } from "node:test";
import assert from "node:assert/strict";
import { locateJsonError } from "./json-error.ts";

test("valid JSON has no error, and agrees with JSON.parse", () => {
  for (const ok of ['{"a":[1,-2.5e3,true,false,null,"x\\u00e9\\n"]}', "  [] ", '"s"', "0"]) {
    JSON.parse(ok);
    assert.equal(locateJsonError(ok), undefined, ok);
  }
});

test("errors are located by line and column", () => {
  const cases: Array<[string, number, number, string]> = [
    ['{\n  "a": 1,\n}', 3, 1, "expected a double-quoted property name"],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, "expected ',' or '}' after a property value"],
    ['{"a": tru}', 1, 7, "expected a value (object, array, string, number, true, false or null)"],
    ['{"a":', 1, 6, "unexpected end of input: expected a value"],
    ['{"a": "x\ny"}', 1, 9, "control character in a string (escape newlines and tabs)"],
    ['{"a": "x', 1, 9, "unterminated string"],
    ['{"a" 1}', 1, 6, "expected ':' after a property name"],
    ["[1 2]", 1, 4, "expected ',' or ']' after an array element"],
    ['{"a":1} x', 1, 9, "unexpected text after the end of the JSON value"],
    ['{"a": "\\x"}', 1, 8, "bad escape sequence in a string"],
    ["[01]", 1, 3, "expected ',' or ']' after an array element"],
    ["[-]", 1, 2, "bad number"],
  ];
  for (const [text, line, column, reason] of cases) {
    assert.throws(() => JSON.parse(text), SyntaxError, text);
    assert.deepEqual(locateJsonError(text), { line, column, reason }, text);
  }
});

test("absurd nesting does not crash the locator", () => {
  assert.equal(locateJsonError("[".repeat(1_000_000)), undefined);
});
