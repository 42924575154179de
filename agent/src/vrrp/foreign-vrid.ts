// Adverts for a VRID that none of this agent's instances runs on the interface: another router's group,
// or a stray or spoofed one. Each is dropped and counted once (issue 13), though every instance's socket
// on that interface may get a copy of it. Pure: which instance counts a packet, from the instances.
//
// Who gets a copy: a multicast instance's socket gets every advert to 224.0.0.18 and to this host; a
// unicast instance's only those to this host; an AH instance's only protocol 51, the others only 112.
// So the first running multicast instance of an interface and protocol hears all that any of them
// hears, and counts; without one, the first running instance does.
//
// A VRID is a sibling's as soon as it is configured, started or not: the agent starts its instances
// one by one, and a peer's advert for the last one reaching the first one's socket is not foreign.

export interface Listener {
  name: string;
  interface: string;
  vrid: number;
  /** its socket joined 224.0.0.18 (no unicast peers) */
  multicast: boolean;
  /** IP protocol of its socket: 112, or 51 for AH */
  protocol: number;
  /** started, with its socket open (false: configured, still to start) */
  running: boolean;
}

/** Whether instance `self` counts an advert it heard for `vrid`, which is not its own. */
export function countsForeignAdvert(listeners: readonly Listener[], self: string, vrid: number): boolean {
  const me = listeners.find((l) => l.name === self && l.running);
  if (!me) return false;
  const link = listeners.filter((l) => l.interface === me.interface);
  // A sibling's VRID is not foreign: the sibling hears it (or, unicast, is not meant to).
  if (link.some((l) => l.vrid === vrid)) return false;
  const same = link.filter((l) => l.protocol === me.protocol && l.running);
  return (same.find((l) => l.multicast) ?? same[0])?.name === self;
}
