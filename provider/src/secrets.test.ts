import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  UNKNOWN,
  scrub,
  safeReason,
  secretKeyPaths,
  secretTexts,
  showsSecret,
  WITHHELD_REASON,
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
    assert.deepEqual(texts, ["hunter22", "abc", "x"]);
    assert.equal(scrub("bad hunter22 and abc, x", texts), "bad [secret] and [secret], x");
  });

  it("secret texts in the forms a message quotes: an address/prefix's address, a number (issue 13)", () => {
    assert.deepEqual(secretTexts({ a: "10.9.0.5/24", n: 8443 }, [["a"], ["n"]]), ["10.9.0.5/24", "10.9.0.5", "8443"]);
  });

  it("a reason that still shows part of a secret after scrubbing is withheld (issue 13)", () => {
    const texts = secretTexts({ a: "hunter22", b: "k3y-Of-s1xteen-chars+", c: 7 }, [["a"], ["b"], ["c"]]);
    assert.equal(safeReason("bad hunter22", texts), "bad [secret]");
    assert.equal(safeReason("must be 1-255", texts), "must be 1-255");
    for (const leaky of ["'hunter' is too short", "ends in er22", "Of-s1x", "7 is too low", "got 7."])
      assert.equal(safeReason(leaky, texts), WITHHELD_REASON, leaky);
    assert.ok(!showsSecret("must be 17 or more", texts), "7 inside a number is no word of its own");
    assert.ok(!showsSecret("k3y-O is five", texts), "a long secret shows only from six characters in a row");
  });

  it("finds the engine's unknown placeholders", () => {
    assert.deepEqual(unknownPaths({ a: UNKNOWN, b: [1, UNKNOWN] }), [["a"], ["b", 1]]);
  });
});
