import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  UNKNOWN,
  scrub,
  secretKeyPaths,
  secretTexts,
  unknownPaths,
  unwrapSecrets,
  wrapSecret,
  wrapSecrets,
} from "./secrets.ts";

describe("secrets", () => {
  it("unwraps at any depth and remembers where, outermost only", () => {
    const wire = { a: wrapSecret("x"), b: [{ c: wrapSecret({ d: wrapSecret("y") }) }], e: 1 };
    const { value, secretPaths } = unwrapSecrets(wire);
    assert.deepEqual(value, { a: "x", b: [{ c: { d: "y" } }], e: 1 });
    assert.deepEqual(secretPaths, [["a"], ["b", 0, "c"]]);
    assert.deepEqual(wrapSecrets(value, secretPaths), { a: wrapSecret("x"), b: [{ c: wrapSecret({ d: "y" }) }], e: 1 });
  });

  it("credentials are found by key wherever they are", () => {
    const v = {
      connection: { host: "h", privateKey: "K" },
      directors: [{ connection: { password: "P" } }, { connection: {} }],
    };
    assert.deepEqual(secretKeyPaths(v), [
      ["connection", "privateKey"],
      ["directors", 0, "connection", "password"],
    ]);
  });

  it("wrapping skips paths that are absent and never wraps twice", () => {
    assert.deepEqual(wrapSecrets({ a: 1 }, [["b"], ["a"], ["a"]]), { a: wrapSecret(1) });
  });

  it("scrubs every secret text from a message, short strings aside", () => {
    const texts = secretTexts({ p: "hunter22", q: ["abc", "x"] }, [["p"], ["q"]]);
    assert.deepEqual(texts, ["hunter22", "abc"]);
    assert.equal(scrub("bad hunter22 and abc", texts), "bad [secret] and [secret]");
  });

  it("finds the engine's unknown placeholders", () => {
    assert.deepEqual(unknownPaths({ a: UNKNOWN, b: [1, UNKNOWN] }), [["a"], ["b", 1]]);
  });
});
