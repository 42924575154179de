# Sourced by the PID 1 scripts of user-mode Linux guests (lvsctl/src/lab/guest-init.sh, test/uml/init.sh),
# with /run already a tmpfs. The host has no /lib/modules to mount over, so the UML modules are exposed
# under /run and modprobe is pointed there, both for us and for the kernel's own module requests (veth,
# schedulers loaded on demand, ...). Then IPVS and its schedulers are loaded in one modprobe: each
# process start costs tens of ms in UML. Returns modprobe's status.
load_uml_ipvs() {
	release=$(uname -r)
	mkdir -p "/run/uml-modules/lib/modules/$release"
	mount --bind "/usr/lib/uml/modules/$release" "/run/uml-modules/lib/modules/$release"
	printf '#!/bin/sh\nexec /usr/sbin/modprobe -d /run/uml-modules "$@"\n' >/run/uml-modules/modprobe
	chmod +x /run/uml-modules/modprobe
	echo /run/uml-modules/modprobe >/proc/sys/kernel/modprobe
	/run/uml-modules/modprobe -a ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_sh ip_vs_dh ip_vs_mh
}
