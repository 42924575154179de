// LanguageRuntime.GenerateProgram for the wrapper (main.go): PCL in, TypeScript out, as upstream's Node.js
// language host does it (sdk/nodejs/cmd/pulumi-language-nodejs): schemas from the caller's loader, the PCL
// bound leniently unless the request asks for strict, then pkg/v3's nodejs program generator.
package main

import (
	"context"
	"errors"
	"strings"

	"github.com/pulumi/pulumi/pkg/v3/codegen/hcl2/syntax"
	codegen "github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/pcl"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// serveGenerateProgram answers one GenerateProgram call on a raw stream (main.go's codec): decode the
// request, generate, encode the response.
func serveGenerateProgram(ss grpc.ServerStream) error {
	in := &frame{}
	if err := ss.RecvMsg(in); err != nil {
		return err
	}
	req := &pulumirpc.GenerateProgramRequest{}
	if err := proto.Unmarshal(in.payload, req); err != nil {
		return status.Errorf(codes.InvalidArgument, "decoding GenerateProgramRequest: %v", err)
	}
	resp, err := generateProgram(ss.Context(), req)
	if err != nil {
		return err
	}
	out, err := proto.Marshal(resp)
	if err != nil {
		return status.Errorf(codes.Internal, "encoding GenerateProgramResponse: %v", err)
	}
	return ss.SendMsg(&frame{payload: out})
}

func generateProgram(
	_ context.Context, req *pulumirpc.GenerateProgramRequest,
) (*pulumirpc.GenerateProgramResponse, error) {
	loader, err := schema.NewLoaderClient(req.LoaderTarget)
	if err != nil {
		return nil, err
	}
	defer func() { _ = loader.Close() }()

	parser := syntax.NewParser()
	for path, contents := range req.Source {
		if err := parser.ParseFile(strings.NewReader(contents), path); err != nil {
			return nil, err
		}
		if diags := parser.Diagnostics; diags.HasErrors() {
			return nil, diags
		}
	}

	// For Node.js, prefer the output-versioned forms of invokes.
	bindOptions := []pcl.BindOption{pcl.PreferOutputVersionedInvokes}
	if !req.Strict {
		bindOptions = append(bindOptions, pcl.NonStrictBindOptions()...)
	}
	program, diags, err := pcl.BindProgram(parser.Files, schema.NewCachedLoader(loader), bindOptions...)
	if err != nil {
		return nil, err
	}
	rpcDiagnostics := plugin.HclDiagnosticsToRPCDiagnostics(diags)
	if diags.HasErrors() {
		return &pulumirpc.GenerateProgramResponse{Diagnostics: rpcDiagnostics}, nil
	}
	if program == nil {
		return nil, errors.New("internal error: program was nil")
	}

	files, diags, err := codegen.GenerateProgramWithOptions(program, codegen.ProgramOptions{Runtime: "nodejs"})
	if err != nil {
		return nil, err
	}
	rpcDiagnostics = append(rpcDiagnostics, plugin.HclDiagnosticsToRPCDiagnostics(diags)...)
	return &pulumirpc.GenerateProgramResponse{Source: files, Diagnostics: rpcDiagnostics}, nil
}
