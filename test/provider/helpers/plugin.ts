// The real lvs plugin, driven the way the engine drives it: bin/pulumi-resource-lvs is spawned, its
// first stdout line is the gRPC port, and calls go through the stubs the Pulumi SDK ships. Stopped by
// its own PID only.
// With `host`, the plugin runs inside that lab host's namespace (so its SSH reaches lab hosts). It
// listens on 127.0.0.1 there, which the test process cannot reach: a small forwarder in the same
// namespace relays a Unix socket (the filesystem is shared) to that port, and the client dials the socket.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import services from "@pulumi/pulumi/proto/provider_grpc_pb.js";
import pb from "@pulumi/pulumi/proto/provider_pb.js";
import type * as PB from "@pulumi/pulumi/proto/provider_pb.js";
import type * as pluginPb from "@pulumi/pulumi/proto/plugin_pb.js";
import structPb from "google-protobuf/google/protobuf/struct_pb.js";
import emptyPb from "google-protobuf/google/protobuf/empty_pb.js";
import type { Host } from "../../helpers/netns.ts";
import { Watched } from "../../helpers/procs.ts";

export const BIN = fileURLToPath(new URL("../../../bin/pulumi-resource-lvs", import.meta.url));
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

type Obj = Record<string, unknown>;
/** Diff's answer; detailedDiff: property path -> "UPDATE", "ADD_REPLACE", ... (" (output)" when not an input diff). */
export interface DiffAnswer {
  changes: "none" | "some" | "unknown";
  replaces: string[];
  deleteBeforeReplace: boolean;
  detailedDiff: Record<string, string>;
}

export interface Failure {
  property: string;
  reason: string;
}

export const secret = (value: unknown): Obj => ({ [SECRET_SIG]: SECRET_VALUE, value });
export const isSecret = (v: unknown): boolean =>
  typeof v === "object" && v !== null && (v as Obj)[SECRET_SIG] === SECRET_VALUE;
/** The plugin's log lines that tell of a change, not of the progress of its steps ("lvs: H: step 'x'"). */
export const changeLines = (stderr: string): string[] =>
  stderr.split("\n").filter((l) => l !== "" && !/^lvs: \S+: step '/.test(l));
export const urn = (type: string, name: string): string => `urn:pulumi:test::lvs-test::lvs:index:${type}::${name}`;

export interface StartOptions {
  /** run the plugin inside this lab host's namespace */
  host?: Host;
  /** extra environment for the plugin */
  env?: Record<string, string>;
}

/** Relays connections on a Unix socket to 127.0.0.1:port (argv: port, socket path). */
const FORWARDER = `const net = require("node:net"); const [, port, path] = process.argv;
net.createServer((c) => { const s = net.connect(Number(port), "127.0.0.1"); c.pipe(s).pipe(c);
  c.on("error", () => s.destroy()); s.on("error", () => c.destroy()); }).listen(path, () => console.log("forwarding"));`;

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
    private readonly relay?: { proc: Watched; dir: string },
  ) {
    child.stderr?.on("data", (d: Buffer) => (this.stderrText += d.toString()));
  }

  /** Spawns the plugin; the first start may build the bundle, so it gets time. */
  static async start(timeoutMs = 60_000, opts: StartOptions = {}): Promise<Plugin> {
    const spawnOpts: SpawnOptions = { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...opts.env } };
    const child = opts.host
      ? opts.host.spawn(process.execPath, [BIN], spawnOpts)
      : spawn(process.execPath, [BIN], spawnOpts);
    const { stdout, stderr: errStream } = child;
    if (!stdout || !errStream) throw new Error("plugin spawned without pipes");
    let stderr = "";
    errStream.on("data", (d: Buffer) => (stderr += d.toString()));
    const firstLine = await new Promise<string>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(
        () => reject(new Error(`no port from the plugin within ${timeoutMs} ms; stderr: ${stderr}`)),
        timeoutMs,
      );
      stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const nl = out.indexOf("\n");
        if (nl >= 0) {
          clearTimeout(timer);
          resolve(out.slice(0, nl));
        }
      });
      child.once("exit", (code) =>
        reject(new Error(`plugin exited (${code}) before printing its port; stderr: ${stderr}`)),
      );
    });
    if (!opts.host) {
      const client = new services.ResourceProviderClient(
        `127.0.0.1:${firstLine.trim()}`,
        grpc.credentials.createInsecure(),
      );
      return new Plugin(child, firstLine, client);
    }
    const dir = mkdtempSync("/tmp/lvst-plugin-");
    const proc = new Watched(
      opts.host.spawn(process.execPath, ["-e", FORWARDER, firstLine.trim(), `${dir}/grpc.sock`]),
    );
    await proc.waitLine((l) => l.text === "forwarding", 10_000, "the plugin's socket forwarder");
    const client = new services.ResourceProviderClient(`unix:${dir}/grpc.sock`, grpc.credentials.createInsecure());
    return new Plugin(child, firstLine, client, { proc, dir });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Kill the plugin process alone (by PID), as a crash would; stop() still cleans up. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, "exit");
    process.kill(this.pid, signal);
    await exited;
  }

  get port(): number {
    return Number(this.firstLine);
  }

  get stderr(): string {
    return this.stderrText;
  }

  async stop(): Promise<void> {
    this.client.close();
    if (this.relay) {
      this.relay.proc.signal("SIGTERM");
      await this.relay.proc.exited().catch(() => undefined);
      rmSync(this.relay.dir, { recursive: true, force: true });
    }
    if (this.child.exitCode !== null || this.child.signalCode !== null || this.child.pid === undefined) return;
    const exited = once(this.child, "exit");
    process.kill(this.child.pid, "SIGTERM");
    await exited;
  }

  async check(type: string, name: string, news: Obj, olds: Obj = {}): Promise<{ inputs: Obj; failures: Failure[] }> {
    const req = new pb.CheckRequest()
      .setUrn(urn(type, name))
      .setNews(structPb.Struct.fromJavaScript(news as never))
      .setOlds(structPb.Struct.fromJavaScript(olds as never));
    const res = await call<PB.CheckResponse>((cb) => this.client.check(req, cb));
    return {
      inputs: (res.getInputs()?.toJavaScript() ?? {}) as Obj,
      failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  /** As the engine asks: olds the last state, oldInputs its inputs (after a refresh, Read's). */
  async diff(type: string, name: string, olds: Obj, news: Obj, oldInputs?: Obj): Promise<DiffAnswer> {
    const req = new pb.DiffRequest()
      .setId("id")
      .setUrn(urn(type, name))
      .setOlds(structPb.Struct.fromJavaScript(olds as never))
      .setNews(structPb.Struct.fromJavaScript(news as never));
    if (oldInputs) req.setOldInputs(structPb.Struct.fromJavaScript(oldInputs as never));
    const res = await call<PB.DiffResponse>((cb) => this.client.diff(req, cb));
    const C = pb.DiffResponse.DiffChanges;
    const changes = res.getChanges() === C.DIFF_SOME ? "some" : res.getChanges() === C.DIFF_NONE ? "none" : "unknown";
    const K = pb.PropertyDiff.Kind;
    const kindName = (k: number) => Object.keys(K).find((n) => K[n as keyof typeof K] === k)!;
    const detailedDiff: Record<string, string> = {};
    res
      .getDetaileddiffMap()
      .forEach((d, path) => (detailedDiff[path] = `${kindName(d.getKind())}${d.getInputdiff() ? "" : " (output)"}`));
    return {
      changes,
      replaces: res.getReplacesList(),
      deleteBeforeReplace: res.getDeletebeforereplace(),
      detailedDiff,
    };
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

  create(type: string, name: string, props: Obj, timeoutS?: number): Promise<unknown> {
    const req = new pb.CreateRequest()
      .setUrn(urn(type, name))
      .setProperties(structPb.Struct.fromJavaScript(props as never));
    if (timeoutS !== undefined) req.setTimeout(timeoutS);
    return call((cb) => this.client.create(req, cb));
  }

  /** inputs: the state's inputs (absent on import, with props {}) */
  read(type: string, name: string, props: Obj, id = "id", inputs?: Obj): Promise<unknown> {
    const req = new pb.ReadRequest()
      .setId(id)
      .setUrn(urn(type, name))
      .setProperties(structPb.Struct.fromJavaScript(props as never));
    if (inputs) req.setInputs(structPb.Struct.fromJavaScript(inputs as never));
    return call((cb) => this.client.read(req, cb));
  }

  update(type: string, name: string, olds: Obj, news: Obj, id = "id"): Promise<unknown> {
    const req = new pb.UpdateRequest()
      .setId(id)
      .setUrn(urn(type, name))
      .setOlds(structPb.Struct.fromJavaScript(olds as never))
      .setNews(structPb.Struct.fromJavaScript(news as never));
    return call((cb) => this.client.update(req, cb));
  }

  delete(type: string, name: string, props: Obj, id = "id"): Promise<unknown> {
    const req = new pb.DeleteRequest()
      .setId(id)
      .setUrn(urn(type, name))
      .setProperties(structPb.Struct.fromJavaScript(props as never));
    return call((cb) => this.client.delete(req, cb));
  }
}
