// Gratuitous ARP announcements of a master's virtual addresses, so switches and neighbours move their
// caches to us: a burst on becoming master, a second burst after repeatDelay (keepalived's
// garp_master_delay, for switches that dropped the first) and an optional periodic refresh.
import type { GarpSettings } from "../config/schema.ts";
import { buildGratuitousArp } from "../net/arp.ts";

export interface AnnounceTarget {
  /** interface the address lives on */
  device: string;
  mac: string;
  address: string;
}

export type SendFrames = (device: string, frames: Buffer[]) => void;

export class Announcer {
  private timers: NodeJS.Timeout[] = [];
  private refresh?: NodeJS.Timeout;

  constructor(
    private readonly targets: AnnounceTarget[],
    private readonly settings: GarpSettings,
    private readonly sendFrames: SendFrames,
  ) {}

  /** Frames for one round: one gratuitous ARP per address, grouped by device. */
  private round(): Map<string, Buffer[]> {
    const byDevice = new Map<string, Buffer[]>();
    for (const t of this.targets) {
      const list = byDevice.get(t.device) ?? [];
      list.push(buildGratuitousArp(t.mac, t.address));
      byDevice.set(t.device, list);
    }
    return byDevice;
  }

  private sendRound(): void {
    for (const [device, frames] of this.round()) this.sendFrames(device, frames);
  }

  /** count rounds, intervalMs apart; with intervalMs 0 they leave back to back. */
  private burst(): void {
    const { count, intervalMs } = this.settings;
    for (let i = 0; i < count; i++) {
      if (i === 0 || intervalMs === 0) this.sendRound();
      else this.timers.push(setTimeout(() => this.sendRound(), i * intervalMs));
    }
  }

  start(): void {
    this.stop();
    this.burst();
    if (this.settings.repeatDelay > 0)
      this.timers.push(setTimeout(() => this.burst(), this.settings.repeatDelay * 1000));
    if (this.settings.refresh > 0) this.refresh = setInterval(() => this.sendRound(), this.settings.refresh * 1000);
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    if (this.refresh) clearInterval(this.refresh);
    this.refresh = undefined;
  }
}
