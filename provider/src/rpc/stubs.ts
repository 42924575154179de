// The generated gRPC modules the provider speaks (Pulumi's protos as @pulumi/pulumi ships them, and
// google-protobuf's well-known types), in one place. They are CommonJS that fill their exports at run
// time, which named ESM imports cannot see: a default import is the module's whole `exports`, in Node
// and in esbuild's bundle alike (the plugin package bundles them, so it needs no node_modules). Pure.
import engineGrpc from "@pulumi/pulumi/proto/engine_grpc_pb.js";
import enginePb from "@pulumi/pulumi/proto/engine_pb.js";
import pluginPb from "@pulumi/pulumi/proto/plugin_pb.js";
import providerGrpc from "@pulumi/pulumi/proto/provider_grpc_pb.js";
import providerPb from "@pulumi/pulumi/proto/provider_pb.js";
import emptyPb from "google-protobuf/google/protobuf/empty_pb.js";
import structPb from "google-protobuf/google/protobuf/struct_pb.js";

export { emptyPb, engineGrpc, enginePb, pluginPb, providerGrpc, providerPb, structPb };
