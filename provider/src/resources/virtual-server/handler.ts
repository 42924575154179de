// lvs.VirtualServer Create/Read/Update/Delete: conf.d/vs-<name>.json on each of its directors, through
// the shared fragment handler (fragment.ts); Read also reports the service in each director's IPVS table.
import { VirtualServerInputs } from "./schema.ts";
import { virtualServerOutputs } from "./plan.ts";
import { fragmentHandler } from "../fragment/handler.ts";
import {
  VIRTUAL_SERVER_INPUT_KEYS,
  virtualServerAsFound,
  virtualServerId,
  virtualServerLive,
  virtualServerLocations,
  virtualServerPlacements,
  virtualServerUnsettled,
} from "./state.ts";

export const virtualServerHandler = fragmentHandler<VirtualServerInputs>({
  kind: "virtual server",
  parse: (inputs) => VirtualServerInputs.parse(inputs),
  id: (vs) => virtualServerId(vs.name),
  placements: virtualServerPlacements,
  locations: virtualServerLocations,
  inputKeys: VIRTUAL_SERVER_INPUT_KEYS,
  outputs: (vs) => virtualServerOutputs(vs as VirtualServerInputs),
  asFound: virtualServerAsFound,
  live: virtualServerLive,
  unsettled: virtualServerUnsettled,
});
