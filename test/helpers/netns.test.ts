import { test } from "node:test";
import assert from "node:assert/strict";
import { Lab } from "./netns.ts";

test("lab hosts reach each other over the bridge and are cleaned up", () => {
  const lab = Lab.create([
    { name: "a", addr: "10.77.0.1/24" },
    { name: "b", addr: "10.77.0.2/24" },
  ]);
  try {
    const out = lab.host("a").exec("ping", ["-c", "1", "-W", "1", "10.77.0.2"]);
    assert.match(out, /1 received/);
    assert.equal(lab.host("a").neighbourMac("10.77.0.2"), lab.host("b").mac);
  } finally {
    lab.destroy();
  }
  const left = lab.hosts.get("a")!.exec("true", [], { allowFail: true });
  assert.equal(left, "", "namespace should be gone");
});
