// keepalived's use_vmac and vmac_xmit_base inside a vrrp_instance, into the instance's `vmac`: the
// macvlan with the VRRP virtual MAC that lvs-agent creates (net/vmac.ts). keepalived's own default name
// is vrrp.<VRID>. Adverts from the vmac itself (use_vmac without vmac_xmit_base) are not supported yet:
// refused at the use_vmac line, naming vmac_xmit_base. Pure.
import type { Token } from "./lexer.ts";
import { value, type Cx, type Draft, type Table } from "./cx.ts";
import type { AgentConfigInput } from "../config/schema.ts";

type InstanceInput = Required<AgentConfigInput>["instances"][string];

export interface VmacDraft {
  at: Token;
  name?: string;
  xmitBase?: Token;
}

type D = Draft<InstanceInput> & { vmac?: VmacDraft };

export const VMAC_KEYWORDS: Table<D> = {
  use_vmac: value((st, d, cx) => {
    if (d.vmac?.at.text === "use_vmac")
      return cx.error(st.keyword, `use_vmac is already given at line ${d.vmac.at.line}`);
    // Noted before its arguments are read, so a bad one is the only error (not vmac_xmit_base's too).
    d.vmac = { ...d.vmac, at: st.keyword };
    const a = cx.args(st, 0, 1);
    const name = a?.[0]?.text;
    // keepalived 2.2.7 takes an interface name only (later versions also a MAC, which holds a ':').
    if (name?.includes(":"))
      return cx.error(
        a![0]!,
        `use_vmac takes an interface name, got '${name}': lvs-agent (as keepalived 2.2.7) gives the vmac the VRRP virtual MAC 00:00:5e:00:01:<VRID>; remove the MAC`,
      );
    if (name) d.vmac.name = name;
  }),
  vmac_xmit_base: value((st, d, cx) => {
    if (!cx.args(st, 0)) return;
    d.vmac = { ...(d.vmac ?? { at: st.keyword }), xmitBase: st.keyword };
  }),
};

/** The instance's vmac, or an error at the line that cannot be run as written. */
export function finishVmac(d: D, v: InstanceInput, cx: Cx): void {
  const vm = d.vmac;
  if (!vm) return;
  if (vm.at.text !== "use_vmac")
    return cx.error(vm.at, "vmac_xmit_base without use_vmac does nothing: add use_vmac or remove the line");
  if (!vm.xmitBase && (v.unicastPeers ?? []).length === 0)
    return cx.error(
      vm.at,
      "use_vmac without vmac_xmit_base sends adverts from the vmac itself, which lvs-agent does not do yet: add vmac_xmit_base (adverts from the base interface, as keepalived recommends)",
    );
  const name = vm.name ?? `vrrp.${v.vrid}`;
  if (name === v.interface)
    return cx.error(vm.at, `use_vmac ${name} is the instance's own interface: name the vmac something else`);
  v.vmac = { name };
  cx.locate([...d.path, "vmac"], vm.at, "use_vmac");
}
