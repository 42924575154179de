// Command channels opened ahead of need on one SSH session (commands.ts spareCommand): a command sent
// down a channel that is already open and started costs one round trip instead of two. One spare waits
// at a time; taking it opens the next behind it. A spare the server closed while it waited is never
// handed out, and a server that allows few sessions per connection (sshd MaxSessions) gets none.
import type { Client, ClientChannel } from "ssh2";
import { spareCommand } from "./commands.ts";

export class Spares {
  private next?: Promise<ClientChannel | undefined>;
  private off = false;
  private readonly dead = new WeakSet<ClientChannel>();

  constructor(
    private readonly client: Client,
    private readonly sudo: boolean,
    /** whether the session can still open channels */
    private readonly usable: () => boolean,
  ) {}

  /** The spare for this command, if one is ready and alive (else the caller opens its own); another opened behind it unless `last`. */
  async take(last: boolean): Promise<ClientChannel | undefined> {
    const ready = this.next;
    this.next = last || this.off ? undefined : this.open();
    const ch = await ready;
    return ch && !this.dead.has(ch) && this.usable() ? ch : undefined;
  }

  /**
   * Open no more spares and close the waiting one, once the server has confirmed its close: a command
   * refused a channel may have lost the session's last slot to it. True when one was held.
   */
  async drop(): Promise<boolean> {
    this.off = true;
    const pending = this.next;
    this.next = undefined;
    const ch = await pending;
    if (!ch || this.dead.has(ch)) return false;
    await new Promise<void>((resolve) => {
      ch.once("close", () => resolve());
      ch.close();
      setTimeout(resolve, 2000).unref();
    });
    return true;
  }

  private open(): Promise<ClientChannel | undefined> {
    if (!this.usable()) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const gone = () => resolve(undefined);
      const done = (ch?: ClientChannel) => {
        this.client.removeListener("close", gone);
        resolve(ch);
      };
      this.client.once("close", gone);
      try {
        this.client.exec(spareCommand(this.sudo), (err, ch) => {
          if (err) return done(undefined);
          ch.once("close", () => this.dead.add(ch));
          done(ch);
        });
      } catch {
        done(undefined); // ssh2 throws "Not connected" once the session is ending
      }
    });
  }
}
