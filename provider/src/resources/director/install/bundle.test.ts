import { test } from "node:test";
import assert from "node:assert/strict";
import { agentBundle } from "./bundle.ts";

test(
  "an arm64 host on this x64 machine: the bundle builder's own reason, before anything is built",
  { skip: process.arch !== "x64" && "an x64 machine" },
  async () => {
    await assert.rejects(
      agentBundle("arm64"),
      /cannot build the linux-arm64 bundle on this linux-x64 machine\.\nraw-socket/,
    );
  },
);

test("agentBundle naming a missing file is refused by name", async () => {
  await assert.rejects(
    agentBundle("x64", "/nonexistent/lvs-agent.tar.gz"),
    /agentBundle \/nonexistent\/lvs-agent\.tar\.gz: no such file on the machine running the provider/,
  );
});
