// The undo journal (pure apart from the actions it is given): newest first, past failures, one wording.
import { test } from "node:test";
import assert from "node:assert/strict";
import { StepError } from "../host/executor.ts";
import { UndoJournal } from "./undo.ts";

test("undoes newest first, goes on past a failing undo, and says what could not be undone", async () => {
  const order: string[] = [];
  const j = new UndoJournal();
  j.record("write a", async () => void order.push("a"));
  j.record("write b", async () => {
    order.push("b");
    throw new Error("disk full");
  });
  j.record("batch c", async () => {
    order.push("c");
    return ["sysctl x: exit 1"];
  });
  assert.deepEqual(await j.rollBack(), ["sysctl x: exit 1", "write b: disk full"]);
  assert.deepEqual(order, ["c", "b", "a"]);
  assert.deepEqual(await j.rollBack(), [], "each undo runs once");
});

test("the operation's error names host and step, then what the host was left with", async () => {
  const j = new UndoJournal();
  const none = await j.abort(
    "10.0.0.2",
    new StepError("10.0.0.2", "write director.json", "permission denied"),
    "restored",
  );
  assert.equal(none.message, "host 10.0.0.2: step 'write director.json': permission denied; nothing was changed");
  j.record("write director.json", async () => undefined);
  const ok = await j.abort("10.0.0.2", new Error("boom"), "the previous files were restored");
  assert.equal(ok.message, "host 10.0.0.2: step 'apply': boom; the previous files were restored");
  j.record("switch current", async () => {
    throw new Error("no such version");
  });
  const bad = await j.abort("10.0.0.2", new StepError("10.0.0.2", "start agent", "exit 1"), "restored");
  assert.equal(
    bad.message,
    "host 10.0.0.2: step 'start agent': exit 1; rolling back failed (switch current: no such version); run the operation again to converge",
  );
});
