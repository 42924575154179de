// Fuzz of ClusterSpec validation (pure, deterministic): random JSON and mutated valid specs
// (test/helpers/fuzz/validation.ts, the generators of `npm run bench -- fuzz`) through the ClusterSpec
// schema and planCluster's cross references. Nothing throws; every problem has a message and a path.
import { test } from "node:test";
import { assertFuzz } from "../../../test/helpers/fuzz/check.ts";
import { clusterSpecTarget } from "../../../test/helpers/fuzz/validation.ts";

test("fuzz: 3,000 random and mutated ClusterSpecs are valid or refused naming each field", () => {
  assertFuzz(clusterSpecTarget(), { cases: 3_000, seed: 0xc1a5, kinds: 25 });
});
