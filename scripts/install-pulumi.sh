#!/usr/bin/env bash
# Builds the real Pulumi CLI from its Go modules (no binary is ever downloaded): `pulumi` and the Node.js
# language host `pulumi-language-nodejs`. The CLI is pinned to node_modules' @pulumi/pulumi 3.248; the
# result is cached by version, so a second run costs nothing. (@pulumi/command's plugin cannot be built
# here: no module of github.com/pulumi/pulumi-command is served by the module proxy.)
#
# `pulumi-language-nodejs` is the small wrapper in scripts/langhost/: it runs the sdk/v3 v3.67.1 host
# (built beside it as `pulumi-language-nodejs-v3.67.1`), forwards every call to it unchanged and answers
# GenerateProgram (PCL to TypeScript, for `pulumi import --out`) itself with pkg/v3 v3.248's generator.
#
#   scripts/install-pulumi.sh            build if needed; prints the directory whose bin/ holds them
#   scripts/install-pulumi.sh --print    print that directory only (exit 1 when not built yet)
#
# A `pulumi` already on PATH at the pinned version or newer (3.x), with its language host beside it, is
# used as it is: then the printed directory is the one holding it (not when it is an older build of this
# script's, under its cache). The build needs Go and the Go module proxy; it takes minutes and about
# 1.5 GB of module cache the first time (figures in README.md).
set -euo pipefail

PULUMI_VERSION=3.248.0
# The Node.js language host. Its own module (sdk/nodejs/cmd/pulumi-language-nodejs/v3, untagged) is not
# served by the module proxy this project can reach (every version and the list answer "This module
# version is not available"); up to sdk/v3 v3.67.1 the host was part of the sdk/v3 module, which is
# served. It spawns @pulumi/pulumi's own run harness from node_modules, so the program runs on 3.248.
LANGHOST_SDK_VERSION=3.67.1
# The real host's file name in bin/; the wrapper (scripts/langhost) starts it from beside itself.
LANGHOST_CHILD=pulumi-language-nodejs-v$LANGHOST_SDK_VERSION
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

CACHE=${LVS_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-lvs}
# Keyed by the wrapper's source too (scripts/langhost): a change to it builds anew.
WRAPPER_DIGEST=$(cat "$HERE/langhost/go.mod" "$HERE"/langhost/*.go | sha256sum | cut -c1-12)
ROOT="$CACHE/pulumi-v$PULUMI_VERSION-nodejs-v$LANGHOST_SDK_VERSION-wrapper-$WRAPPER_DIGEST"
BIN="$ROOT/bin"

say() { printf 'install-pulumi: %s\n' "$*" >&2; }

# 3.x at or above the pinned version.
suitable() {
  local v
  v=$("$1" version 2>/dev/null) || return 1
  v=${v#v}
  [ "${v%%.*}" = 3 ] || return 1
  [ "$(printf '%s\n%s\n' "$PULUMI_VERSION" "${v%%[-+]*}" | sort -V | head -n1)" = "$PULUMI_VERSION" ]
}

# An older build of this script (a previous cache directory left on PATH) has a language host without
# GenerateProgram: it does not count as "already installed".
on_path=$(command -v pulumi || true)
case "$(readlink -m "${on_path:-/}")" in "$(readlink -m "$CACHE")"/*) on_path= ;; esac
if [ -n "$on_path" ] && suitable "$on_path" && command -v pulumi-language-nodejs >/dev/null; then
  say "using $on_path ($("$on_path" version))"
  dirname "$(dirname "$(readlink -f "$on_path")")"
  exit 0
fi
if [ -x "$BIN/pulumi" ] && [ -x "$BIN/pulumi-language-nodejs" ] && [ -x "$BIN/$LANGHOST_CHILD" ]; then
  say "cached: $BIN"
  echo "$ROOT"
  exit 0
fi
if [ "${1:-}" = "--print" ]; then
  say "not built yet: run scripts/install-pulumi.sh"
  exit 1
fi

command -v go >/dev/null || { say "Go is needed to build the Pulumi CLI: install Go 1.25.11 or newer"; exit 1; }
started=$(date +%s)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$BIN.tmp"
# Offline-friendly Go settings: modules only from the proxy, no checksum database round trips, no VCS
# stamping, and the toolchain that is installed (never one downloaded at build time).
export GOFLAGS="-mod=mod -buildvcs=false" GONOSUMDB="*" GONOSUMCHECK=1 GOSUMDB=off GOTOOLCHAIN=local CGO_ENABLED=0
ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
tags="osusergo,grpcnotrace"

# pkg/v3's go.mod has replace directives, so `go install pkg@version` refuses it: a small wrapper module
# that requires it builds it instead (a dependency's replaces are ignored). The language host gets a
# wrapper of its own: it needs sdk/v3 at its own version, which one module could not hold beside 3.248.
wrapper() {
  mkdir -p "$work/$1" && cd "$work/$1" && go mod init "lvs.local/$1" >/dev/null 2>&1
}
(
  wrapper cli
  say "phase 1/5: fetching modules for pulumi v$PULUMI_VERSION"
  go get "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" >&2
  say "phase 2/5: compiling pulumi"
  go build -trimpath -tags "$tags" -ldflags "$ldflags" -o "$BIN.tmp/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2
)
(
  wrapper langhost
  say "phase 3/5: fetching modules for the v$LANGHOST_SDK_VERSION language host (sdk/v3 v$LANGHOST_SDK_VERSION)"
  go get "github.com/pulumi/pulumi/sdk/v3@v$LANGHOST_SDK_VERSION" >&2
  say "phase 4/5: compiling $LANGHOST_CHILD"
  go build -trimpath -tags "$tags" -ldflags "$ldflags" -o "$BIN.tmp/$LANGHOST_CHILD" \
    github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs >&2
)
(
  # scripts/langhost requires pkg/v3 at the CLI's version, so it reuses the modules and compiled packages
  # of phases 1-2; it is built from a copy, where -mod=mod may complete go.mod and write go.sum.
  mkdir -p "$work/langhost-wrapper" && cp "$HERE/langhost/go.mod" "$HERE"/langhost/*.go "$work/langhost-wrapper/"
  cd "$work/langhost-wrapper"
  say "phase 5/5: compiling pulumi-language-nodejs (scripts/langhost: GenerateProgram, the rest to $LANGHOST_CHILD)"
  go build -trimpath -tags "$tags" -ldflags "$ldflags -X main.child=$LANGHOST_CHILD" \
    -o "$BIN.tmp/pulumi-language-nodejs" . >&2
)
"$BIN.tmp/pulumi" version >/dev/null
rm -rf "$BIN"
mv "$BIN.tmp" "$BIN"
say "built $("$BIN/pulumi" version) in $(($(date +%s) - started)) s: $BIN"
echo "$ROOT"
