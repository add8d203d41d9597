// The switch's call queues for the mocked backend, like src-tauri queues.rs + Koppla Växel:
// members start logged in, logging in or out changes the agent counts and tells every client.
import type { QueueView } from "../../src/bindings/QueueView";

const nowS = () => Math.floor(Date.now() / 1000);

function initial(): QueueView[] {
  return [
    { id: "support", number: "7000", name: "Support", waiting: 2, oldestWaitingSince: nowS() - 83,
      agentsLoggedIn: 3, agentsFree: 1, answeredToday: 41, abandonedToday: 2, meMember: true, meLoggedIn: true },
    { id: "sales", number: "7001", name: "Försäljning", waiting: 0, oldestWaitingSince: null,
      agentsLoggedIn: 1, agentsFree: 1, answeredToday: 12, abandonedToday: 0, meMember: true, meLoggedIn: false },
    { id: "switchboard", number: "7002", name: "Växel", waiting: 1, oldestWaitingSince: nowS() - 12,
      agentsLoggedIn: 2, agentsFree: 0, answeredToday: 87, abandonedToday: 5, meMember: false, meLoggedIn: false },
  ];
}

export class MockQueues {
  private queues = initial();

  constructor(private readonly changed: (queue: QueueView) => void) {}

  list(): QueueView[] {
    return this.queues.map((q) => ({ ...q }));
  }

  /** Null for an unknown queue or one I am not a member of (the switch answers 404 or 403). */
  login(id: string, login: boolean): QueueView | null {
    const queue = this.queues.find((q) => q.id === id);
    if (!queue || !queue.meMember) return null;
    if (queue.meLoggedIn !== login) {
      queue.meLoggedIn = login;
      queue.agentsLoggedIn += login ? 1 : -1;
      queue.agentsFree = Math.max(0, Math.min(queue.agentsLoggedIn, queue.agentsFree + (login ? 1 : -1)));
      this.changed({ ...queue });
    }
    return { ...queue };
  }

  /** A caller dials the queue and waits; the first waiting caller sets the arrival time. */
  callerArrives(id: string) {
    const queue = this.queues.find((q) => q.id === id);
    if (!queue) return;
    queue.waiting += 1;
    queue.oldestWaitingSince ??= nowS();
    this.changed({ ...queue });
  }
}
