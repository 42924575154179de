#!/bin/sh
# PID 1 inside user-mode Linux (test/uml/README.md, "How a run goes"), booted by test/uml/run.ts with the host's root
# through hostfs. It prepares a minimal system, loads IPVS, runs one job and powers off.
#
# Parameters come from KEY=VALUE kernel arguments, which the kernel hands to init as environment
# variables (values carry no spaces; the command line and cwd are base64):
#   UML_RUN_DIR   per-run directory on the host (/tmp/...): the job's output, exit code and timings
#   UML_CWD_B64   directory to run the job in
#   UML_ARGV_B64  the job's argv, one argument per line
#   UML_TIMEOUT_S the job's time limit: past it the job is killed and the guest still reports and powers
#                 off, so a run never outlives its host (the host's SIGTERM is only the backstop)
#
# Writes under / land on the host: everything this script creates lives on tmpfs or in UML_RUN_DIR.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
dir="$UML_RUN_DIR"
stamp() { echo "$1 $(cut -d' ' -f1 /proc/uptime)" >>"$dir/timings"; }

# linux.uml exits 0 whatever happens: the host learns the outcome from $dir/exit-code only.
poweroff_now() {
	sync
	echo o >/proc/sysrq-trigger
	# PID 1 must outlive the power-off request, or the kernel panics ("Attempted to kill init").
	while :; do sleep 1; done
}

mount -t proc proc /proc
# Without its run directory this script would write into the host's / (hostfs): stop at once.
case "$dir" in /tmp/?*) [ -d "$dir" ] || poweroff_now ;; *) poweroff_now ;; esac
mount -t sysfs sysfs /sys
stamp init
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run # keeps /run/netns and friends off the host

fail=0
. "$(dirname "$0")/../../lvsctl/src/lab/uml-modules.sh"
load_uml_ipvs >>"$dir/output" 2>&1 || fail=1
ip link set lo up >>"$dir/output" 2>&1 || fail=1
stamp ready

if [ "$fail" = 0 ]; then
	set -f
	IFS='
'
	# shellcheck disable=SC2046 # one argument per line, split on newlines only, no globbing
	set -- $(printf '%s' "$UML_ARGV_B64" | base64 -d)
	unset IFS
	cd "$(printf '%s' "$UML_CWD_B64" | base64 -d)" && timeout -k 5 "$UML_TIMEOUT_S" "$@" >>"$dir/output" 2>&1
	code=$?
	[ "$code" = 124 ] && echo "init: the job ran out of its ${UML_TIMEOUT_S} s and was stopped" >>"$dir/output"
	echo "$code" >"$dir/exit-code.tmp"
else
	echo "init: preparing the UML system failed (see above)" >>"$dir/output"
	echo 125 >"$dir/exit-code.tmp"
fi
stamp done
# Renamed last, so a file named exit-code always holds a whole number.
mv "$dir/exit-code.tmp" "$dir/exit-code"
poweroff_now
