// The pulumirpc.ResourceProvider gRPC service (I/O shell): the engine's requests in, LvsProvider's
// answers out, on the stubs the Pulumi SDK ships. It is ours rather than `@pulumi/pulumi/provider`'s
// `main` because that one drops what users see: the detailed diff (`pulumi preview --diff`), old inputs
// (Read's and Diff's), the preview flag, customTimeouts, Cancel and the provider's configuration.
// Start-up contract: the port is printed first on stdout, and nothing before it.
import * as grpc from "@grpc/grpc-js";
import type * as ProviderPb from "@pulumi/pulumi/proto/provider_pb.js";
import type * as StructPb from "google-protobuf/google/protobuf/struct_pb.js";
import type { Changes, DiffKind } from "../inputs/changes.ts";
import type { Obj } from "../inputs/common.ts";
import type { CheckAnswer, LvsProvider } from "../provider.ts";
import { emptyPb, pluginPb, providerGrpc as rpc, providerPb as pb, structPb } from "./stubs.ts";

const { Struct } = structPb;
const { Empty } = emptyPb;

const KIND: Record<DiffKind, ProviderPb.PropertyDiff.Kind> = {
  add: pb.PropertyDiff.Kind.ADD,
  "add-replace": pb.PropertyDiff.Kind.ADD_REPLACE,
  update: pb.PropertyDiff.Kind.UPDATE,
  "update-replace": pb.PropertyDiff.Kind.UPDATE_REPLACE,
  delete: pb.PropertyDiff.Kind.DELETE,
  "delete-replace": pb.PropertyDiff.Kind.DELETE_REPLACE,
};

type Reply = grpc.sendUnaryData<unknown>;

const toObj = (s: StructPb.Struct | undefined): Obj => (s?.toJavaScript() as Obj | undefined) ?? {};
const struct = (o: Obj): StructPb.Struct => Struct.fromJavaScript(o as Record<string, StructPb.JavaScriptValue>);

/** A handler's answer or its error, as gRPC wants them; errors carry the message only (no stack). */
function unary<Req>(fn: (req: Req) => Promise<unknown>) {
  return (call: grpc.ServerUnaryCall<Req, unknown>, reply: Reply) => {
    fn(call.request).then(
      (res) => reply(null, res),
      (err: unknown) => reply({ code: grpc.status.UNKNOWN, details: err instanceof Error ? err.message : String(err) }),
    );
  };
}

function checkResponse(r: CheckAnswer): ProviderPb.CheckResponse {
  const res = new pb.CheckResponse().setInputs(struct(r.inputs));
  return res.setFailuresList(r.failures.map((f) => new pb.CheckFailure().setProperty(f.property).setReason(f.reason)));
}

function diffResponse(d: Changes): ProviderPb.DiffResponse {
  const r = new pb.DiffResponse();
  r.setChanges(d.changes ? pb.DiffResponse.DiffChanges.DIFF_SOME : pb.DiffResponse.DiffChanges.DIFF_NONE);
  r.setReplacesList(d.replaces);
  r.setDeletebeforereplace(d.deleteBeforeReplace);
  r.setDiffsList(d.changed);
  r.setHasdetaileddiff(true);
  const map = r.getDetaileddiffMap();
  // inputDiff: the old value shown is the old input (after a refresh, what Read found on the host).
  for (const [path, c] of Object.entries(d.detailedDiff))
    map.set(path, new pb.PropertyDiff().setKind(KIND[c.kind]).setInputdiff(c.inputDiff));
  return r;
}

const oldInputs = (req: { hasOldInputs(): boolean; getOldInputs(): StructPb.Struct | undefined }): Obj | undefined =>
  req.hasOldInputs() ? toObj(req.getOldInputs()) : undefined;

function service(p: LvsProvider): grpc.UntypedServiceImplementation {
  return {
    getPluginInfo: unary(async () => new pluginPb.PluginInfo().setVersion(p.version)),
    getSchema: unary(async (req: ProviderPb.GetSchemaRequest) => {
      if (req.getVersion() !== 0) throw new Error(`unsupported schema version ${req.getVersion()}`);
      return new pb.GetSchemaResponse().setSchema(await p.getSchema());
    }),
    attach: unary(async () => new Empty()),
    cancel: unary(async () => {
      p.cancel();
      return new Empty();
    }),
    checkConfig: unary(async (req: ProviderPb.CheckRequest) => checkResponse(p.checkConfig(toObj(req.getNews())))),
    diffConfig: unary(async (req: ProviderPb.DiffRequest) =>
      diffResponse(p.diffConfig(oldInputs(req) ?? toObj(req.getOlds()), toObj(req.getNews()))),
    ),
    configure: unary(async (req: ProviderPb.ConfigureRequest) => {
      p.configure(req.hasArgs() ? toObj(req.getArgs()) : Object.fromEntries(req.getVariablesMap().toArray()));
      return new pb.ConfigureResponse().setAcceptsecrets(true).setSupportspreview(true);
    }),
    check: unary(async (req: ProviderPb.CheckRequest) =>
      checkResponse(await p.check(req.getUrn(), toObj(req.getNews()))),
    ),
    diff: unary(async (req: ProviderPb.DiffRequest) =>
      diffResponse(await p.diff(req.getUrn(), toObj(req.getOlds()), oldInputs(req), toObj(req.getNews()))),
    ),
    create: unary(async (req: ProviderPb.CreateRequest) => {
      const r = await p.create(req.getUrn(), toObj(req.getProperties()), {
        preview: req.getPreview(),
        timeout: req.getTimeout(),
      });
      return new pb.CreateResponse().setId(r.id).setProperties(struct(r.outs));
    }),
    read: unary(async (req: ProviderPb.ReadRequest) => {
      const r = await p.read(
        req.getId(),
        req.getUrn(),
        toObj(req.getProperties()),
        req.hasInputs() ? toObj(req.getInputs()) : undefined,
      );
      return new pb.ReadResponse().setId(r.id).setProperties(struct(r.props)).setInputs(struct(r.inputs));
    }),
    update: unary(async (req: ProviderPb.UpdateRequest) => {
      const opts = { preview: req.getPreview(), timeout: req.getTimeout() };
      const outs = await p.update(req.getId(), req.getUrn(), toObj(req.getOlds()), toObj(req.getNews()), opts);
      return new pb.UpdateResponse().setProperties(struct(outs));
    }),
    delete: unary(async (req: ProviderPb.DeleteRequest) => {
      await p.delete(req.getId(), req.getUrn(), toObj(req.getProperties()), { timeout: req.getTimeout() });
      return new Empty();
    }),
  };
}

/** Serve p on 127.0.0.1 (a free port) and print the port: the engine reads it from our first stdout line. */
export async function serve(p: LvsProvider): Promise<grpc.Server> {
  const server = new grpc.Server();
  // Methods not listed (Construct, Call, Invoke, ...) answer UNIMPLEMENTED.
  server.addService(rpc.ResourceProviderService, service(p));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  process.stdout.write(`${port}\n`);
  return server;
}
