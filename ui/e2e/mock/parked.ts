// Held calls for the mocked backend, like src-tauri parking.rs + Koppla Växel: parking puts
// the call in my personal queue (at most LIMIT), camping puts it in a busy colleague's, a blind
// transfer to a colleague rings them under the switch's watch and comes back to me unanswered
// (state "recalled"), anyone allowed may pick a call up (a ringing transfer is taken back), and
// every change sends the whole list. A colleague's call can be marked so that picking it up is
// refused.
import type { ParkedCallView } from "../../src/bindings/ParkedCallView";

const LIMIT = 3;
/** How long a supervised transfer rings the colleague before it comes back (the switch's 30 s). */
export const RECALL_MS = 30_000;
const nowS = () => Math.floor(Date.now() / 1000);
const fail = (code: string, message: string): never => {
  throw { code, message };
};

interface Entry extends ParkedCallView {
  /** The switch refuses picking this one up (a colleague's call I have no permission for). */
  refuse: boolean;
}

/** Who is asking, as the session says. */
export interface Me {
  username: string;
  name: string;
}

export interface AddOptions {
  refuse?: boolean;
  waitedS?: number;
  state?: ParkedCallView["state"];
  by?: string | null;
  target?: string | null;
  targetName?: string | null;
}

export class MockParked {
  private calls: Entry[] = [];
  private nextId = 1;
  private recalls = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly changed: (list: ParkedCallView[]) => void,
    private readonly me: () => Me,
  ) {}

  list(): ParkedCallView[] {
    return this.calls.map(({ refuse: _, ...view }) => ({ ...view }));
  }

  private emit() {
    this.changed(this.list());
  }

  /** Calls waiting in `owner`'s queue: ringing transfers are not in it yet (parking.rs queued_for). */
  private queued(owner: string) {
    return this.calls.filter((c) => c.owner === owner && c.state !== "ringing").length;
  }

  /** Puts a caller in `owner`'s personal queue (or a transfer of theirs ringing `target`). */
  add(caller: string, callerName: string | null, owner: string, ownerName: string,
    { refuse = false, waitedS = 0, state = "parked", by = null, target = null, targetName = null }: AddOptions = {}):
    ParkedCallView {
    const me = this.me().username;
    if (state !== "ringing" && this.queued(owner) >= LIMIT) {
      fail(owner === me ? "park_full" : "camp_full", `${owner}'s personal queue already holds ${LIMIT} calls`);
    }
    const entry: Entry = { id: `park-${this.nextId++}`, caller, callerName, owner, ownerName, mine: owner === me,
      since: nowS() - waitedS, state, by, byMe: by !== null && by === me, target, targetName, refuse };
    this.calls.push(entry);
    if (state === "ringing") this.recalls.set(entry.id, setTimeout(() => this.recall(entry.id), RECALL_MS));
    this.emit();
    return { ...entry };
  }

  /** Checks that `owner`'s queue may take one more call before anything is done (park_target). */
  checkRoom(owner: string) {
    if (this.queued(owner) >= LIMIT) {
      fail(owner === this.me().username ? "park_full" : "camp_full", `${owner}'s personal queue already holds ${LIMIT} calls`);
    }
  }

  /** A ringing transfer was not answered in time (or the colleague was busy): back with its owner. */
  recall(id: string): boolean {
    const entry = this.calls.find((c) => c.id === id && c.state === "ringing");
    if (!entry) return false;
    this.stopTimer(id);
    entry.state = "recalled";
    this.emit();
    return true;
  }

  /** The colleague answered the transfer (or a camped call): it leaves the list. */
  answered(id: string): boolean {
    return this.remove(id);
  }

  /** The newest transfer still ringing, for tests that do not know its id. */
  newestRinging(): string | null {
    return [...this.calls].reverse().find((c) => c.state === "ringing")?.id ?? null;
  }

  /** Takes a held call off the list for the picker, or says why the switch refused. */
  pickUp(id: string): ParkedCallView {
    const entry = this.calls.find((c) => c.id === id) ?? fail("parked_gone", `parked call ${id} is gone`);
    if (entry.refuse && !entry.mine) fail("pickup_not_allowed", "you may not pick up other users' parked calls");
    this.remove(id);
    return { ...entry };
  }

  /** The caller gave up waiting. */
  hangUp(id: string) {
    this.remove(id);
  }

  private remove(id: string): boolean {
    const before = this.calls.length;
    this.stopTimer(id);
    this.calls = this.calls.filter((c) => c.id !== id);
    if (this.calls.length === before) return false;
    this.emit();
    return true;
  }

  private stopTimer(id: string) {
    const timer = this.recalls.get(id);
    if (timer !== undefined) clearTimeout(timer);
    this.recalls.delete(id);
  }
}
