// lvs.Vip Create/Read/Update/Delete: conf.d/vip-<name>.json on each of its directors, through the
// shared fragment handler (fragment.ts); Read also reports each director's live VRRP state.
import { VipInputs } from "./schema.ts";
import { vipOutputs } from "./plan.ts";
import { fragmentHandler } from "../fragment/handler.ts";
import { VIP_INPUT_KEYS, vipAsFound, vipId, vipLive, vipLocations, vipPlacements } from "./state.ts";

export const vipHandler = fragmentHandler<VipInputs>({
  kind: "vip",
  parse: (inputs) => VipInputs.parse(inputs),
  id: (v) => vipId(v.name),
  placements: vipPlacements,
  locations: vipLocations,
  inputKeys: VIP_INPUT_KEYS,
  outputs: (v) => vipOutputs(v as VipInputs),
  asFound: vipAsFound,
  live: vipLive,
});
