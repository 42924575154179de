// The Node.js language host wrapper built by scripts/install-pulumi.sh as `pulumi-language-nodejs`: it
// proxies every LanguageRuntime call to the sdk/v3 v3.67.1 host and answers GenerateProgram itself with
// pkg/v3's TypeScript generator. The versions below are the ones pkg/v3 v3.248.0 (the CLI) requires, so
// the build shares the CLI's compiled packages. The script builds a copy of this directory, where
// `go build -mod=mod` completes go.mod and writes go.sum.
module lvs.local/langhost

go 1.25.11

require (
	github.com/pulumi/pulumi/pkg/v3 v3.248.0
	github.com/pulumi/pulumi/sdk/v3 v3.248.0
	google.golang.org/grpc v1.81.1
	google.golang.org/protobuf v1.36.11
)
