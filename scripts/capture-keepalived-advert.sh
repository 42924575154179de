#!/usr/bin/env bash
# Capture one VRRP advertisement sent by the system keepalived and print the raw IPv4 packet as hex.
#
#   scripts/capture-keepalived-advert.sh v3 > agent/src/vrrp/fixtures/keepalived-v3.hex
#   scripts/capture-keepalived-advert.sh v2-pass > agent/src/vrrp/fixtures/keepalived-v2-pass.hex
#
# Needs root. keepalived runs as MASTER in a private namespace (name lvscap-<pid>) on a veth whose peer
# stays in the same namespace, so nothing leaves it. tcpdump takes the first VRRP packet off eth0; the
# Ethernet header and any link padding are cut off by the IPv4 Total Length. keepalived is ended by the
# PID we started it with (its VRRP child by the PID it wrote to its own pid file); the namespace and the
# temp directory are deleted on every exit path.
set -euo pipefail

mode=${1:?usage: $0 v3|v2-pass}
ns="lvscap-$$"
dir=$(mktemp -d /tmp/lvscap.XXXXXX)
kpid=""

cleanup() {
  if [[ -n "$kpid" ]] && kill -0 "$kpid" 2>/dev/null; then
    kill -TERM "$kpid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$kpid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$kpid" 2>/dev/null || true
  fi
  # keepalived's VRRP child normally exits with its parent; make sure of it by its own PID.
  if [[ -s "$dir/v.pid" ]]; then kill -KILL "$(cat "$dir/v.pid")" 2>/dev/null || true; fi
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

case "$mode" in
  v3)
    globals="vrrp_version 3"
    # 0.5 s exercises the centisecond Max Adver Int (50), which v2 cannot express.
    advert="advert_int 0.5"
    auth=""
    ;;
  v2-pass)
    globals="vrrp_version 2"
    advert="advert_int 1"
    # 6 characters: the 8-byte Authentication Data field then ends in two zero bytes of padding.
    auth="authentication {
    auth_type PASS
    auth_pass lvs-pw
  }"
    ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac

cat >"$dir/keepalived.conf" <<EOF
global_defs {
  router_id lvscap
  $globals
}
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 150
  $advert
  $auth
  virtual_ipaddress {
    192.0.2.100
    192.0.2.101
  }
}
EOF

ip netns add "$ns"
ip -n "$ns" link add eth0 type veth peer name eth1
ip -n "$ns" link set lo up
ip -n "$ns" link set eth1 up
ip -n "$ns" addr add 198.51.100.10/24 dev eth0
ip -n "$ns" link set eth0 up

ip netns exec "$ns" tcpdump -i eth0 -w "$dir/cap.pcap" -c 1 -U vrrp 2>"$dir/tcpdump.log" &
tpid=$!
# tcpdump prints "listening on" once its filter is installed; start keepalived only then.
for _ in $(seq 50); do grep -q listening "$dir/tcpdump.log" && break; sleep 0.1; done

ip netns exec "$ns" keepalived -n -l -D -f "$dir/keepalived.conf" \
  -p "$dir/k.pid" -r "$dir/v.pid" -c "$dir/c.pid" >"$dir/keepalived.log" 2>&1 &
kpid=$!

# A MASTER below priority 255 first waits out Master_Down_Interval (about 3 adverts), so allow 15 s.
for _ in $(seq 150); do kill -0 "$tpid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$tpid" 2>/dev/null; then
  kill -TERM "$tpid"
  echo "no VRRP packet within 15 s; keepalived log:" >&2
  cat "$dir/keepalived.log" >&2
  exit 1
fi
wait "$tpid"

# pcap: 24-byte file header, 16-byte record header, 14-byte Ethernet header, then the IPv4 packet.
hex=$(xxd -p -s 54 "$dir/cap.pcap" | tr -d '\n')
total=$((16#${hex:4:4}))
echo "${hex:0:$((total * 2))}"
