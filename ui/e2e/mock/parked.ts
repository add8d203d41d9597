// Parked calls for the mocked backend, like src-tauri parking.rs + Koppla Växel: parking puts
// the call in my personal queue (at most LIMIT), anyone allowed may pick a call up, and every
// change sends the whole list. A colleague's call can be marked so that picking it up is refused.
import type { ParkedCallView } from "../../src/bindings/ParkedCallView";

const LIMIT = 3;
const nowS = () => Math.floor(Date.now() / 1000);
const fail = (code: string, message: string): never => {
  throw { code, message };
};

interface Entry extends ParkedCallView {
  /** The switch refuses picking this one up (a colleague's call I have no permission for). */
  refuse: boolean;
}

export class MockParked {
  private calls: Entry[] = [];
  private nextId = 1;

  constructor(private readonly changed: (list: ParkedCallView[]) => void) {}

  list(): ParkedCallView[] {
    return this.calls.map(({ refuse: _, ...view }) => ({ ...view }));
  }

  private emit() {
    this.changed(this.list());
  }

  /** Parks a caller in `owner`'s personal queue; my own queue refuses a call past the limit. */
  add(caller: string, callerName: string | null, owner: string, ownerName: string, mine: boolean, refuse = false,
    waitedS = 0): ParkedCallView {
    if (mine && this.calls.filter((c) => c.mine).length >= LIMIT) {
      fail("park_full", `your personal queue already holds ${LIMIT} calls`);
    }
    const entry: Entry = { id: `park-${this.nextId++}`, caller, callerName, owner, ownerName, mine,
      since: nowS() - waitedS, refuse };
    this.calls.push(entry);
    this.emit();
    return { ...entry };
  }

  /** Checks that `mine` may take one more call before anything is done (parking.rs park_target). */
  checkRoom() {
    if (this.calls.filter((c) => c.mine).length >= LIMIT) fail("park_full", `your personal queue already holds ${LIMIT} calls`);
  }

  /** Takes a parked call off the list for the picker, or says why the switch refused. */
  pickUp(id: string): ParkedCallView {
    const entry = this.calls.find((c) => c.id === id) ?? fail("parked_gone", `parked call ${id} is gone`);
    if (entry.refuse && !entry.mine) fail("pickup_not_allowed", "you may not pick up other users' parked calls");
    this.calls = this.calls.filter((c) => c !== entry);
    this.emit();
    return { ...entry };
  }

  /** The caller gave up waiting. */
  hangUp(id: string) {
    const before = this.calls.length;
    this.calls = this.calls.filter((c) => c.id !== id);
    if (this.calls.length !== before) this.emit();
  }
}
