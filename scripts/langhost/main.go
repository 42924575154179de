// pulumi-language-nodejs for pulumi-lvs: a wrapper around the Node.js language host of sdk/v3 v3.67.1 (the
// newest one the module proxy serves), built by scripts/install-pulumi.sh. It starts that host (`child`,
// beside this binary) with the same arguments, proxies every gRPC call to it unchanged (raw bytes, streams
// kept streaming), and answers only LanguageRuntime.GenerateProgram itself (generate.go), which the 3.67.1
// host predates and `pulumi import --out` needs. Like any plugin it prints its own port first on stdout.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// child is the file name of the real (v3.67.1) language host, in this binary's directory. The build sets it.
var child = "pulumi-language-nodejs-v3.67.1"

// maxMessageSize is the limit the CLI and the real host use (sdk rpcutil: 400 MB).
const maxMessageSize = 400 * 1024 * 1024

func main() {
	// The child is started from this (locked) thread, so its parent-death signal fires only when the
	// process ends: Linux ties Pdeathsig to the thread that forked, and this one lives as long as main.
	runtime.LockOSThread()
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs (lvs wrapper): %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if resolved, err := filepath.EvalSymlinks(self); err == nil {
		self = resolved
	}
	path := filepath.Join(filepath.Dir(self), child)

	// The CLI starts a plugin in a process group of its own and stops it by signalling that group
	// (SIGINT, then SIGKILL after 5 s): the child stays in the group to get those signals directly.
	// Should this wrapper die first, the kernel sends the child SIGTERM. Stdin and stderr are shared;
	// stdout goes through a pipe because its first line (the child's port) is for this process only.
	outR, outW, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd := exec.Command(path, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, outW, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	if err := cmd.Start(); err != nil {
		return err
	}
	_ = outW.Close()
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	go func() {
		for sig := range signals {
			_ = cmd.Process.Signal(sig)
			go func() {
				select {
				case <-exited:
				case <-time.After(5 * time.Second):
					_ = cmd.Process.Kill()
				}
			}()
		}
	}()

	// The child's first line is its port; a byte at a time, so nothing after it is consumed here.
	line, err := readLine(outR)
	if err != nil {
		<-exited
		return exitLike(cmd.ProcessState)
	}
	port, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || port <= 0 || port > 65535 {
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("%s wrote an invalid port to stdout: %q", path, line)
	}

	conn, err := grpc.NewClient("passthrough:///127.0.0.1:"+strconv.Itoa(port),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessageSize), grpc.ForceCodecV2(rawCodec{})))
	if err != nil {
		_ = cmd.Process.Kill()
		<-exited
		return err
	}
	defer func() { _ = conn.Close() }()

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = cmd.Process.Kill()
		<-exited
		return err
	}
	p := &proxy{conn: conn}
	srv := grpc.NewServer(
		grpc.UnknownServiceHandler(p.handle),
		grpc.ForceServerCodecV2(rawCodec{}),
		grpc.MaxRecvMsgSize(maxMessageSize),
	)
	go func() { _ = srv.Serve(lis) }()

	// Our port first, then whatever else the child writes to stdout (the CLI shows it as the plugin's).
	fmt.Printf("%d\n", lis.Addr().(*net.TCPAddr).Port)
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(os.Stdout, outR)
		close(copied)
	}()

	// The child decides when the host ends (engine gone, signals): then this wrapper ends the same way.
	<-exited
	srv.Stop()
	select {
	case <-copied: // the pipe stays open while a grandchild holds it; do not wait for that for long
	case <-time.After(2 * time.Second):
	}
	return exitLike(cmd.ProcessState)
}

// readLine reads up to and without the first newline, a byte at a time.
func readLine(r io.Reader) (string, error) {
	var sb strings.Builder
	b := make([]byte, 1)
	for {
		n, err := r.Read(b)
		if n > 0 {
			if b[0] == '\n' {
				return sb.String(), nil
			}
			sb.WriteByte(b[0])
		}
		if err != nil {
			return sb.String(), err
		}
	}
}

// exitLike ends this process as the child ended: the same exit code, or the same signal.
func exitLike(state *os.ProcessState) error {
	if state == nil {
		return errors.New("the language host did not start")
	}
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		signal.Reset(ws.Signal())
		_ = syscall.Kill(os.Getpid(), ws.Signal())
		time.Sleep(100 * time.Millisecond)
		os.Exit(128 + int(ws.Signal()))
	}
	os.Exit(state.ExitCode())
	return nil
}

// generateProgramMethod is answered here; every other method goes to the child.
const generateProgramMethod = "/pulumirpc.LanguageRuntime/GenerateProgram"

type proxy struct {
	conn *grpc.ClientConn
}

// handle serves every call (no service is registered): GenerateProgram locally, the rest by forwarding
// messages both ways as opaque frames, with the caller's metadata, the child's headers and trailers, the
// child's status, and cancellation through the context.
func (p *proxy) handle(_ any, ss grpc.ServerStream) error {
	method, ok := grpc.MethodFromServerStream(ss)
	if !ok {
		return status.Error(codes.Internal, "no method name in the server stream")
	}
	if method == generateProgramMethod {
		return serveGenerateProgram(ss)
	}

	ctx, cancel := context.WithCancel(ss.Context())
	defer cancel()
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		out := metadata.MD{}
		for k, v := range md {
			if !strings.HasPrefix(k, ":") {
				out[k] = v
			}
		}
		ctx = metadata.NewOutgoingContext(ctx, out)
	}
	cs, err := p.conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method)
	if err != nil {
		return err
	}

	// caller -> child
	upErr := make(chan error, 1)
	go func() {
		for {
			f := &frame{}
			if err := ss.RecvMsg(f); err != nil {
				upErr <- err
				return
			}
			if err := cs.SendMsg(f); err != nil {
				upErr <- err
				return
			}
		}
	}()
	// child -> caller
	downErr := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			f := &frame{}
			if err := cs.RecvMsg(f); err != nil {
				downErr <- err
				return
			}
			if i == 0 {
				md, err := cs.Header()
				if err != nil {
					downErr <- err
					return
				}
				if err := ss.SendHeader(md); err != nil {
					downErr <- err
					return
				}
			}
			if err := ss.SendMsg(f); err != nil {
				downErr <- err
				return
			}
		}
	}()

	for {
		select {
		case err := <-upErr:
			if !errors.Is(err, io.EOF) {
				// The caller went away (cancelled or broken): cancel the child's call too.
				cancel()
				return err
			}
			// The caller has sent everything (or SendMsg hit the child's end, whose status RecvMsg reports).
			_ = cs.CloseSend()
			upErr = nil
		case err := <-downErr:
			ss.SetTrailer(cs.Trailer())
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// frame is one gRPC message, kept as its encoded bytes.
type frame struct{ payload []byte }

// rawCodec passes frames through without decoding them.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	f, ok := v.(*frame)
	if !ok {
		return nil, fmt.Errorf("raw codec: cannot marshal %T", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(f.payload)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	f, ok := v.(*frame)
	if !ok {
		return fmt.Errorf("raw codec: cannot unmarshal into %T", v)
	}
	f.payload = data.Materialize() // a copy: grpc reuses data's buffers after this returns
	return nil
}

func (rawCodec) Name() string { return "proto" }
