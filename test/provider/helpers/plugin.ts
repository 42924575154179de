// The real lvs plugin, driven the way the engine drives it: bin/pulumi-resource-lvs is spawned, its
// first stdout line is the gRPC port, and calls go through the stubs the Pulumi SDK ships. Stopped by
// its own PID only.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import services from "@pulumi/pulumi/proto/provider_grpc_pb.js";
import pb from "@pulumi/pulumi/proto/provider_pb.js";
import type * as PB from "@pulumi/pulumi/proto/provider_pb.js";
import type * as pluginPb from "@pulumi/pulumi/proto/plugin_pb.js";
import structPb from "google-protobuf/google/protobuf/struct_pb.js";
import emptyPb from "google-protobuf/google/protobuf/empty_pb.js";

export const BIN = fileURLToPath(new URL("../../../bin/pulumi-resource-lvs", import.meta.url));
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

type Obj = Record<string, unknown>;
export interface Failure {
  property: string;
  reason: string;
}

export const secret = (value: unknown): Obj => ({ [SECRET_SIG]: SECRET_VALUE, value });
export const isSecret = (v: unknown): boolean => typeof v === "object" && v !== null && (v as Obj)[SECRET_SIG] === SECRET_VALUE;
export const urn = (type: string, name: string): string => `urn:pulumi:test::lvs-test::lvs:index:${type}::${name}`;

type Callback<Res> = (err: grpc.ServiceError | null, res?: Res) => void;

function call<Res>(fn: (cb: Callback<Res>) => unknown): Promise<Res> {
  return new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res!))));
}

export class Plugin {
  private stderrText = "";

  private constructor(
    private readonly child: ChildProcess,
    readonly firstLine: string,
    readonly client: InstanceType<typeof services.ResourceProviderClient>,
  ) {
    child.stderr?.on("data", (d: Buffer) => (this.stderrText += d.toString()));
  }

  /** Spawns the plugin; the first start may build the bundle, so it gets time. */
  static async start(timeoutMs = 60_000): Promise<Plugin> {
    const child = spawn(process.execPath, [BIN], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const firstLine = await new Promise<string>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`no port from the plugin within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const nl = out.indexOf("\n");
        if (nl >= 0) {
          clearTimeout(timer);
          resolve(out.slice(0, nl));
        }
      });
      child.once("exit", (code) => reject(new Error(`plugin exited (${code}) before printing its port; stderr: ${stderr}`)));
    });
    const client = new services.ResourceProviderClient(`127.0.0.1:${firstLine.trim()}`, grpc.credentials.createInsecure());
    return new Plugin(child, firstLine, client);
  }

  get port(): number {
    return Number(this.firstLine);
  }

  get stderr(): string {
    return this.stderrText;
  }

  async stop(): Promise<void> {
    this.client.close();
    if (this.child.exitCode !== null || this.child.pid === undefined) return;
    const exited = once(this.child, "exit");
    process.kill(this.child.pid, "SIGTERM");
    await exited;
  }

  async check(type: string, name: string, news: Obj, olds: Obj = {}): Promise<{ inputs: Obj; failures: Failure[] }> {
    const req = new pb.CheckRequest().setUrn(urn(type, name)).setNews(structPb.Struct.fromJavaScript(news as never)).setOlds(structPb.Struct.fromJavaScript(olds as never));
    const res = await call<PB.CheckResponse>((cb) => this.client.check(req, cb));
    return {
      inputs: (res.getInputs()?.toJavaScript() ?? {}) as Obj,
      failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  async diff(type: string, name: string, olds: Obj, news: Obj): Promise<{ changes: "none" | "some" | "unknown"; replaces: string[]; deleteBeforeReplace: boolean }> {
    const req = new pb.DiffRequest().setId("id").setUrn(urn(type, name)).setOlds(structPb.Struct.fromJavaScript(olds as never)).setNews(structPb.Struct.fromJavaScript(news as never));
    const res = await call<PB.DiffResponse>((cb) => this.client.diff(req, cb));
    const C = pb.DiffResponse.DiffChanges;
    const changes = res.getChanges() === C.DIFF_SOME ? "some" : res.getChanges() === C.DIFF_NONE ? "none" : "unknown";
    return { changes, replaces: res.getReplacesList(), deleteBeforeReplace: res.getDeletebeforereplace() };
  }

  async getSchema(): Promise<string> {
    return (await call<PB.GetSchemaResponse>((cb) => this.client.getSchema(new pb.GetSchemaRequest(), cb))).getSchema();
  }

  async pluginInfo(): Promise<string> {
    return (await call<pluginPb.PluginInfo>((cb) => this.client.getPluginInfo(new emptyPb.Empty(), cb))).getVersion();
  }

  async configure(): Promise<{ acceptSecrets: boolean }> {
    const res = await call<PB.ConfigureResponse>((cb) => this.client.configure(new pb.ConfigureRequest(), cb));
    return { acceptSecrets: res.getAcceptsecrets() };
  }

  create(type: string, name: string, props: Obj): Promise<unknown> {
    const req = new pb.CreateRequest().setUrn(urn(type, name)).setProperties(structPb.Struct.fromJavaScript(props as never));
    return call((cb) => this.client.create(req, cb));
  }

  read(type: string, name: string, props: Obj): Promise<unknown> {
    const req = new pb.ReadRequest().setId("id").setUrn(urn(type, name)).setProperties(structPb.Struct.fromJavaScript(props as never));
    return call((cb) => this.client.read(req, cb));
  }

  update(type: string, name: string, olds: Obj, news: Obj): Promise<unknown> {
    const req = new pb.UpdateRequest().setId("id").setUrn(urn(type, name)).setOlds(structPb.Struct.fromJavaScript(olds as never)).setNews(structPb.Struct.fromJavaScript(news as never));
    return call((cb) => this.client.update(req, cb));
  }

  delete(type: string, name: string, props: Obj): Promise<unknown> {
    const req = new pb.DeleteRequest().setId("id").setUrn(urn(type, name)).setProperties(structPb.Struct.fromJavaScript(props as never));
    return call((cb) => this.client.delete(req, cb));
  }
}
