// Generates the Pulumi package schema (provider/schema.json) from the resources' zod schemas, so the
// schema cannot drift from what Check enforces. Objects become named types under #/types (identical
// structures share one name, e.g. Connection); credentials are marked secret.
// Run: node --import tsx provider/src/schema.ts   (rewrites provider/schema.json; a test checks it is current)
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import type { AnySpec } from "./inputs/check.ts";
import { RESOURCE_SPECS } from "./resources/specs.ts";
import { ProviderConfig } from "./inputs/provider-config.ts";
import { SECRET_KEYS } from "./secrets.ts";
import pkg from "../../package.json" with { type: "json" };

export const PACKAGE = "lvs";

type Json = Record<string, unknown>;
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
}
type PropertySpec = Json;

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const singular = (s: string) =>
  s.endsWith("ies") ? `${s.slice(0, -3)}y` : s.endsWith("s") && !s.endsWith("ss") ? s.slice(0, -1) : s;
/** Objects that read better under their own name than under their first owner's. */
const SHARED_NAMES: Record<string, string> = {
  connection: "Connection",
  jumpHost: "JumpHost",
  healthCheck: "HealthCheck",
  garp: "Garp",
};

class TypeTable {
  readonly types: Record<string, Json> = {};
  private readonly byShape = new Map<string, string>();

  /** A named object type for this structure: an existing one when identical, else a new name. */
  object(js: JsonSchema, hint: string): PropertySpec {
    const spec: Json = { type: "object", properties: this.properties(js, hint) };
    if (js.required?.length) spec.required = [...js.required].sort();
    const shape = JSON.stringify(spec);
    let name = this.byShape.get(shape);
    if (!name) {
      name = hint;
      for (let n = 2; this.types[`${PACKAGE}:index:${name}`]; n++) name = `${hint}${n}`;
      this.types[`${PACKAGE}:index:${name}`] = spec;
      this.byShape.set(shape, name);
    }
    return { $ref: `#/types/${PACKAGE}:index:${name}` };
  }

  properties(js: JsonSchema, owner: string): Record<string, PropertySpec> {
    return Object.fromEntries(
      Object.entries(js.properties ?? {}).map(([k, v]) => {
        const prop = this.property(v, SHARED_NAMES[k] ?? `${owner}${pascal(k)}`);
        return [k, SECRET_KEYS.has(k) ? { ...prop, secret: true } : prop];
      }),
    );
  }

  property(js: JsonSchema, hint: string): PropertySpec {
    const withDefault = (p: PropertySpec): PropertySpec =>
      ["string", "number", "integer", "boolean"].includes(p.type as string) && js.default !== undefined
        ? { ...p, default: js.default }
        : p;
    const options = js.anyOf ?? js.oneOf;
    if (options) return withDefault(this.union(options, hint));
    if (js.const !== undefined) return withDefault({ type: Number.isInteger(js.const) ? "integer" : typeof js.const });
    if (js.enum) return withDefault({ type: "string" });
    if (Array.isArray(js.type)) return { oneOf: js.type.map((t) => ({ type: t })) };
    switch (js.type) {
      case "string":
      case "number":
      case "integer":
      case "boolean":
        return withDefault({ type: js.type });
      case "array":
        return {
          type: "array",
          items: js.items ? this.property(js.items, singular(hint)) : { $ref: "pulumi.json#/Any" },
        };
      case "object":
        if (js.properties) return this.object(js, hint);
        return {
          type: "object",
          additionalProperties:
            typeof js.additionalProperties === "object"
              ? this.property(js.additionalProperties, hint)
              : { $ref: "pulumi.json#/Any" },
        };
      default:
        return { $ref: "pulumi.json#/Any" };
    }
  }

  /** Literal unions (2 | 3) are their primitive; object unions a oneOf of named variants. */
  private union(options: JsonSchema[], hint: string): PropertySpec {
    const specs = options.flatMap((o) => {
      const p = this.property(o, `${hint}${pascal(String(o.properties?.type?.const ?? ""))}`);
      return Array.isArray(p.oneOf) ? (p.oneOf as PropertySpec[]) : [p];
    });
    const distinct = [...new Map(specs.map((s) => [JSON.stringify(s), s])).values()];
    return distinct.length === 1 ? distinct[0]! : { oneOf: distinct };
  }
}

function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  return z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema;
}

function resource(spec: AnySpec, table: TypeTable): Json {
  const kind = spec.token.split(":").pop()!;
  const inputs = jsonSchema(spec.schema, "input");
  // Outputs echo the inputs with defaults filled: the same types, more of them required.
  const outputs = jsonSchema(spec.schema, "output");
  const computed = jsonSchema(spec.outputs, "input");
  const inputProperties = table.properties(inputs, kind);
  const requiredInputs = (inputs.required ?? []).filter((k) => !(spec.named && k === "name"));
  return {
    description: spec.description,
    inputProperties,
    requiredInputs: requiredInputs.sort(),
    properties: { ...inputProperties, ...table.properties(computed, kind) },
    required: [...new Set([...(outputs.required ?? []), ...(computed.required ?? [])])].sort(),
  };
}

/** The provider's configuration (`lvs:` keys): SSH defaults for every resource's connections. */
function config(table: TypeTable): { variables: Record<string, PropertySpec> } {
  return { variables: table.properties(jsonSchema(ProviderConfig, "input"), "Provider") };
}

export function buildSchema(): Json {
  const table = new TypeTable();
  const resources = Object.fromEntries(RESOURCE_SPECS.map((s) => [s.token, resource(s, table)]));
  const cfg = config(table);
  return {
    name: PACKAGE,
    displayName: "LVS",
    version: pkg.version,
    description: "LVS load-balancer clusters (VRRP + IPVS via lvs-agent) as infrastructure as code.",
    license: "Apache-2.0",
    keywords: ["lvs", "ipvs", "vrrp", "load-balancer", "category/network"],
    meta: { moduleFormat: "(.*)" },
    config: cfg,
    provider: {
      description:
        "The lvs provider. Its configuration gives SSH defaults (user, key, host key pins, jump host, sudo, timeouts) for every connection; a resource's own connection fields win.",
      inputProperties: cfg.variables,
    },
    resources,
    types: Object.fromEntries(Object.entries(table.types).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}

export function schemaText(): string {
  return `${JSON.stringify(buildSchema(), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = fileURLToPath(new URL("../schema.json", import.meta.url));
  writeFileSync(out, schemaText());
  console.error(`wrote ${out}`);
}
