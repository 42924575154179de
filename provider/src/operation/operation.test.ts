// Operations and their stops: Cancel and the customTimeouts deadline stop an operation at its next step
// boundary, once (the undo after it runs), and abort the transfer in flight.
import { test } from "node:test";
import assert from "node:assert/strict";
import { claimStop, currentUrn, stopAll, stopPoint, stopSignal, withOperation } from "./operation.ts";
import { step } from "../host/executor.ts";

const URN = "urn:pulumi:s::p::lvs:index:Director::d1";

test("outside a stop, steps run and the URN is the operation's", async () => {
  const seen = await withOperation(URN, async () => {
    await step("10.0.0.2", "probe host", async () => undefined);
    return currentUrn();
  });
  assert.equal(seen, URN);
  assert.equal(currentUrn(), undefined);
});

test("Cancel: the next step fails naming host and step; the undo's steps after it run", async () => {
  const ran: string[] = [];
  const err = await withOperation(URN, async () => {
    await step("10.0.0.2", "upload bundle", async () => {
      stopAll("Ctrl-C");
      assert.equal(stopSignal()?.aborted, true, "the transfer in flight is told");
      ran.push("upload");
    });
    try {
      await step("10.0.0.2", "switch current", async () => ran.push("switch"));
    } catch (e) {
      await step("10.0.0.2", "switch current back", async () => ran.push("undo"));
      return e as Error;
    }
    return undefined;
  });
  assert.deepEqual(ran, ["upload", "undo"]);
  assert.equal(err?.message, "host 10.0.0.2: step 'switch current': stopped before this step: Ctrl-C");
});

test("a stop raised by the transfer itself is not raised again", async () => {
  await withOperation(URN, async () => {
    stopAll("Ctrl-C");
    assert.equal(claimStop(), "Ctrl-C");
    assert.doesNotThrow(() => stopPoint());
  });
});

test("customTimeouts: the operation is stopped once its seconds pass", async () => {
  const err = await withOperation(
    URN,
    async () => {
      await new Promise((r) => setTimeout(r, 150));
      return step("10.0.0.2", "write director.json", async () => undefined).catch((e: Error) => e);
    },
    0.05,
  );
  assert.match(
    String((err as Error).message),
    /step 'write director.json': stopped before this step: the operation's timeout \(0\.05 s, customTimeouts\) passed/,
  );
});

test("Cancel touches only operations in progress", async () => {
  stopAll("Ctrl-C");
  await withOperation(URN, () => step("10.0.0.2", "probe host", async () => undefined));
});
