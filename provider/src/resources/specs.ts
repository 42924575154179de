// Every resource of the lvs package, by type token.
import type { AnySpec } from "../inputs/check.ts";
import { directorSpec } from "./director/spec.ts";
import { realServerSpec } from "./real-server/spec.ts";
import { virtualServerSpec } from "./virtual-server/spec.ts";
import { vipSpec } from "./vip/spec.ts";

export const RESOURCE_SPECS: readonly AnySpec[] = [directorSpec, vipSpec, virtualServerSpec, realServerSpec];

export const RESOURCES: ReadonlyMap<string, AnySpec> = new Map(RESOURCE_SPECS.map((s) => [s.token, s]));
