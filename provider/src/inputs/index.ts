// Every resource of the lvs package, by type token.
import type { AnySpec } from "./check.ts";
import { directorSpec } from "./director.ts";
import { realServerSpec } from "./real-server.ts";
import { virtualServerSpec } from "./virtual-server.ts";
import { vipSpec } from "./vip.ts";

export const RESOURCE_SPECS: readonly AnySpec[] = [directorSpec, vipSpec, virtualServerSpec, realServerSpec];

export const RESOURCES: ReadonlyMap<string, AnySpec> = new Map(RESOURCE_SPECS.map((s) => [s.token, s]));
