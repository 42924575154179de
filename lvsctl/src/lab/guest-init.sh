#!/bin/sh
# PID 1 of a lab director: a user-mode Linux guest (guest.ts) with the host's root through hostfs, on
# the lab bridge through a tap device (vec0, renamed eth0 here). It makes the guest a host of its own:
# private tmpfs over every path the provider or the agent writes (so guests and the host never share
# /etc/lvs-agent, /opt/lvs-agent or the provider's state), IPVS modules, its address, and Debian's sshd
# with the lab's keys; then it stays up until the host stops it (SIGTERM to linux.uml).
#
# Parameters (kernel KEY=VALUE arguments, which reach init as environment variables):
#   LAB_DIR   this guest's directory on the host: sshd_config, keys, passwd; `ready` or `failed` is
#             written there when set-up ends, the console and sshd logs go there
#   LAB_ADDR  its address on the lab bridge, LAB_PREFIX the prefix length
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
dir="$LAB_DIR"

fail() {
	echo "guest-init: $1" >"$dir/failed"
	while :; do sleep 3600; done
}

# Read before /tmp is covered below: this script may live in a checkout under /tmp.
modules="$(dirname "$0")/uml-modules.sh"
[ -r "$modules" ] || fail "cannot read $modules"
. "$modules"

mount -t proc proc /proc
case "$dir" in /var/lib/lvs-lab/?*) [ -d "$dir" ] || fail "no directory $dir" ;; *) echo o >/proc/sysrq-trigger ;; esac
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
# /opt rather than /opt/lvs-agent: the provider removes its install directory on delete, and a mount
# point cannot be removed.
for d in /dev/shm /run /tmp /var/log /etc/lvs-agent /var/lib/lvs-provider /etc/sysctl.d /etc/systemd/system; do
	mkdir -p "$d" && mount -t tmpfs -o mode=0755 tmpfs "$d" || fail "cannot mount a tmpfs on $d"
done
# /opt holds whole agent releases (about 120 MiB unpacked): the installed one and the one before it,
# a second install beside it and an upload being unpacked. The default (half the memory) is too small.
mkdir -p /opt && mount -t tmpfs -o mode=0755,size=900m tmpfs /opt || fail "cannot mount a tmpfs on /opt"
chmod 1777 /tmp
# Root's login shell /bin/sh: sshd runs every command through it, and a heavy rc file costs seconds here.
mount --bind "$dir/passwd" /etc/passwd || fail "cannot bind $dir/passwd"

load_uml_ipvs || fail "cannot load IPVS"

ip link set lo up
ip link set vec0 name eth0 || fail "no vec0 (the tap transport)"
ip addr add "$LAB_ADDR/$LAB_PREFIX" dev eth0 || fail "cannot add $LAB_ADDR/$LAB_PREFIX"
ip link set eth0 up || fail "cannot bring eth0 up"

mkdir -p /run/sshd
chmod 0755 /run/sshd
/usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log" || fail "sshd did not start (see $dir/sshd.log)"
echo ready >"$dir/ready"
# Orphans are reparented here; a shell reaps only its own children, so nothing else is asked of PID 1.
while :; do sleep 3600; done
