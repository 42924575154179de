import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { buildSchema, schemaText } from "./schema.ts";

type Schema = {
  resources: Record<
    string,
    {
      inputProperties: Record<string, { $ref?: string }>;
      requiredInputs: string[];
      properties: Record<string, unknown>;
    }
  >;
  types: Record<string, { properties: Record<string, { secret?: boolean }> }>;
};

describe("schema.json", () => {
  it("is what the resources' zod schemas generate (run: node --import tsx provider/src/schema.ts)", () => {
    assert.equal(readFileSync(new URL("../schema.json", import.meta.url), "utf8"), schemaText());
  });

  it("shares one Connection type, marks credentials secret, and does not require a defaulted name", () => {
    const s = buildSchema() as Schema;
    const vip = s.resources["lvs:index:Vip"]!;
    assert.deepEqual(vip.requiredInputs, ["addresses", "directors", "interface", "vrid"]);
    assert.ok("fragmentPath" in vip.properties && "vrid" in vip.properties);
    assert.equal(s.resources["lvs:index:Director"]!.inputProperties.connection!.$ref, "#/types/lvs:index:Connection");
    assert.equal(s.resources["lvs:index:RealServer"]!.inputProperties.connection!.$ref, "#/types/lvs:index:Connection");
    assert.equal(s.types["lvs:index:Connection"]!.properties.password!.secret, true);
    assert.equal(s.types["lvs:index:VipAuth"]!.properties.password!.secret, true);
  });
});
