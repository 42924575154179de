// The lvs package's resources, written by hand: one CustomResource per provider resource, with args and
// outputs typed from the provider's own zod contracts (provider/src/inputs/*.ts; types only, nothing of
// the provider runs in a program), and the provider resource itself. sdk/index.ts is the package.
import * as pulumi from "@pulumi/pulumi";
import type { ConnectionInput } from "../provider/src/inputs/common.ts";
import type { ProviderConfig } from "../provider/src/inputs/provider-config.ts";
import type {
  DirectorArgs as DirectorIn,
  DirectorInputs,
  DirectorOutputs,
} from "../provider/src/resources/director/schema.ts";
import type {
  RealServerArgs as RealServerIn,
  RealServerInputs,
  RealServerOutputs,
} from "../provider/src/resources/real-server/schema.ts";
import type { VipArgs as VipIn, VipInputs, VipOutputs } from "../provider/src/resources/vip/schema.ts";
import type {
  VirtualServerArgs as VirtualServerIn,
  VirtualServerInputs,
  VirtualServerOutputs,
} from "../provider/src/resources/virtual-server/schema.ts";

/** Any value of T, at any depth, may be an Input (a plain value, a promise or another resource's Output). */
export type DeepInput<T> = T extends string | number | boolean | null | undefined
  ? pulumi.Input<T>
  : T extends ReadonlyArray<infer E>
    ? pulumi.Input<DeepInput<E>[]>
    : T extends object
      ? pulumi.Input<{ [K in keyof T]: DeepInput<T[K]> }>
      : pulumi.Input<T>;

/** Resource args: each field an Input; `name` (where there is one) defaults to the resource's name. */
export type Args<T> = { [K in keyof Omit<T, "name">]: DeepInput<T[K]> } & ("name" extends keyof T
  ? { name?: pulumi.Input<string> }
  : unknown);

/** A resource's outputs: its inputs with defaults filled, and what the provider computes. */
export type Outputs<T> = { readonly [K in keyof T]-?: pulumi.Output<T[K]> };

export type Connection = ConnectionInput;
export type DirectorArgs = Args<DirectorIn>;
export type VipArgs = Args<VipIn>;
export type VirtualServerArgs = Args<VirtualServerIn>;
export type RealServerArgs = Args<RealServerIn>;
export type DirectorState = DirectorInputs & DirectorOutputs;
export type VipState = VipInputs & VipOutputs;
export type VirtualServerState = VirtualServerInputs & VirtualServerOutputs;
export type RealServerState = RealServerInputs & RealServerOutputs;
/** What a VirtualServer lists in realServers: a RealServer's `backend`, or the same fields by hand. */
export type Backend = RealServerOutputs["backend"];

/** Every key of T, checked at compile time: the engine only fills outputs named in the registration. */
type AllKeys<T, K extends readonly (keyof T)[]> =
  Exclude<keyof T, K[number]> extends never ? K : ["missing keys", Exclude<keyof T, K[number]>];
const keys =
  <T>() =>
  <const K extends readonly (keyof T)[]>(k: AllKeys<T, K>): readonly string[] =>
    k as unknown as readonly string[];

const DIRECTOR_KEYS = keys<DirectorState>()([
  "connection",
  "global",
  "sysctls",
  "installDir",
  "configDir",
  "serviceManager",
  "agentBundle",
  "agentVersion",
  "running",
  "host",
  "fragmentPath",
  "agentCommand",
  "statusSocket",
  "agent",
  "drift",
]);
const VIP_KEYS = keys<VipState>()([
  "name",
  "interface",
  "vrid",
  "version",
  "advertInterval",
  "addresses",
  "subnet",
  "directors",
  "unicast",
  "auth",
  "preempt",
  "preemptDelay",
  "acceptMode",
  "garp",
  "trackInterfaces",
  "trackScripts",
  "syncDaemon",
  "fragmentPath",
  "hosts",
  "directorStatus",
  "master",
]);
const VIRTUAL_SERVER_KEYS = keys<VirtualServerState>()([
  "name",
  "directors",
  "address",
  "port",
  "protocol",
  "fwmark",
  "scheduler",
  "forwarding",
  "persistence",
  "flags",
  "healthCheck",
  "sorryServer",
  "quorum",
  "alpha",
  "inhibitOnFailure",
  "drain",
  "realServers",
  "fragmentPath",
  "hosts",
  "service",
  "directorStatus",
]);
const REAL_SERVER_KEYS = keys<RealServerState>()([
  "name",
  "address",
  "port",
  "weight",
  "upperThreshold",
  "lowerThreshold",
  "forwarding",
  "healthCheck",
  "inhibitOnFailure",
  "vips",
  "interface",
  "arpIgnore",
  "arpAnnounce",
  "prepare",
  "connection",
  "backend",
  "host",
  "holder",
  "sysctls",
  "loopbackVips",
  "previous",
  "persistence",
  "drift",
]);

/** The registration's properties: every output key present (undefined until the provider fills it), then the args. */
function props(all: readonly string[], args: object): pulumi.Inputs {
  return { ...Object.fromEntries(all.map((k) => [k, undefined])), ...args };
}

/* eslint-disable @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type -- each class's outputs are declared by
   the interface of the same name, typed from the provider's contract instead of restated field by field */

export interface Director extends Outputs<DirectorState> {}
/** A host running lvs-agent: the agent's global settings and director sysctls. */
export class Director extends pulumi.CustomResource {
  static readonly __pulumiType = "lvs:index:Director";
  constructor(name: string, args: DirectorArgs, opts?: pulumi.CustomResourceOptions) {
    super(Director.__pulumiType, name, props(DIRECTOR_KEYS, args), opts);
  }
}

export interface Vip extends Outputs<VipState> {}
/** A VRRP instance holding virtual addresses on its member directors. */
export class Vip extends pulumi.CustomResource {
  static readonly __pulumiType = "lvs:index:Vip";
  constructor(name: string, args: VipArgs, opts?: pulumi.CustomResourceOptions) {
    super(Vip.__pulumiType, name, props(VIP_KEYS, args), opts);
  }
}

export interface VirtualServer extends Outputs<VirtualServerState> {}
/** An IPVS virtual service with its real servers and health checks. */
export class VirtualServer extends pulumi.CustomResource {
  static readonly __pulumiType = "lvs:index:VirtualServer";
  constructor(name: string, args: VirtualServerArgs, opts?: pulumi.CustomResourceOptions) {
    super(VirtualServer.__pulumiType, name, props(VIRTUAL_SERVER_KEYS, args), opts);
  }
}

export interface RealServer extends Outputs<RealServerState> {}
/** A real server: its `backend` goes into a VirtualServer's realServers; with prepare, its host is readied for DR/TUN. */
export class RealServer extends pulumi.CustomResource {
  static readonly __pulumiType = "lvs:index:RealServer";
  constructor(name: string, args: RealServerArgs, opts?: pulumi.CustomResourceOptions) {
    super(RealServer.__pulumiType, name, props(REAL_SERVER_KEYS, args), opts);
  }
}
/* eslint-enable @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type */

export type ProviderArgs = DeepInput<ProviderConfig>;
/**
 * An lvs provider of the program's own, with default SSH settings for the resources given it (`provider:`
 * option); the default provider takes them from the stack's `lvs:` config. privateKey and password are
 * stored as secrets. A resource's own `connection` fields win.
 */
export class Provider extends pulumi.ProviderResource {
  constructor(name: string, args: ProviderArgs = {}, opts?: pulumi.ResourceOptions) {
    // As for stack config, the engine hands a provider its properties as strings: objects, numbers and
    // booleans go as JSON (normalizeConfig reads them back).
    const props = Object.fromEntries(
      Object.entries(args).map(([k, v]) => [
        k,
        pulumi.output(v).apply((x: unknown) => (typeof x === "string" || x === undefined ? x : JSON.stringify(x))),
      ]),
    );
    for (const k of ["privateKey", "password"]) if (props[k]) props[k] = pulumi.secret(props[k]);
    super("lvs", name, props, opts);
  }
}
