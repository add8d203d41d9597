import { useEffect, useState } from "preact/hooks";
import { useShell } from "../context";
import { onQueue, queueLogin, queuesList, type QueueView } from "../ipc";

/** A wait as mm:ss (minutes keep counting past 59: a queue is never waited on for hours). */
export function formatWait(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(Math.floor(whole / 60))}:${pad(whole % 60)}`;
}

/** Seconds the longest-waiting caller has waited at `nowMs`, from the arrival the switch sent. */
export function waitedSeconds(queue: QueueView, nowMs: number): number {
  if (queue.waiting === 0 || queue.oldestWaitingSince === null) return 0;
  return Math.max(0, Math.floor(nowMs / 1000) - queue.oldestWaitingSince);
}

/** Replaces the queue with the same id, keeping the switch's order; a new one goes last. */
export function mergeQueue(list: readonly QueueView[], queue: QueueView): QueueView[] {
  return list.some((q) => q.id === queue.id) ? list.map((q) => (q.id === queue.id ? queue : q)) : [...list, queue];
}

/** Keeps the switch's queues and ticks once a second while someone waits. */
function useQueues() {
  const { run } = useShell();
  const [queues, setQueues] = useState<QueueView[]>([]);
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    const stop = onQueue((queue) => setQueues((list) => mergeQueue(list, queue)));
    void run(queuesList).then((list) => {
      // Events that arrived while the list loaded are newer than it.
      if (list) setQueues((live) => live.reduce(mergeQueue, list));
    });
    return () => void stop.then((unlisten) => unlisten());
  }, []);

  const ticking = queues.some((q) => q.waiting > 0);
  useEffect(() => {
    if (!ticking) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [ticking]);

  const setLogin = async (queue: QueueView, login: boolean) => {
    const updated = await run(() => queueLogin(queue.id, login));
    if (updated) setQueues((list) => mergeQueue(list, updated));
  };
  return { queues, now, setLogin };
}

/** The switch's call queues with live counters and my login; nothing without queues (plain SIP). */
export function QueuesPanel({ prominent }: { prominent: boolean }) {
  const { queues, now, setLogin } = useQueues();
  if (queues.length === 0) return null;
  return <QueueList queues={queues} nowMs={now} prominent={prominent} onLogin={setLogin} />;
}

interface ListProps {
  queues: readonly QueueView[];
  nowMs: number;
  prominent: boolean;
  onLogin: (queue: QueueView, login: boolean) => void;
}

export function QueueList({ queues, nowMs, prominent, onLogin }: ListProps) {
  const { t } = useShell();
  return (
    <section class={prominent ? "queues prominent" : "queues"} data-testid="queues" aria-labelledby="queues-heading">
      <h3 id="queues-heading">{t("queues.heading")}</h3>
      <ul>
        {queues.map((queue) => {
          const busy = queue.waiting > 0;
          return (
            <li key={queue.id} class={busy ? "queue busy" : "queue"} data-testid={`queue-${queue.id}`}>
              <div class="queue-name">
                <strong>{queue.name}</strong> <small>{queue.number}</small>
              </div>
              <dl>
                <div class="queue-waiting">
                  <dt>{t("queues.waiting")}</dt>
                  <dd data-testid="queue-waiting">{queue.waiting}</dd>
                </div>
                <div>
                  <dt>{t("queues.longestWait")}</dt>
                  <dd data-testid="queue-longest">{formatWait(waitedSeconds(queue, nowMs))}</dd>
                </div>
                <div>
                  <dt>{t("queues.agents")}</dt>
                  <dd data-testid="queue-agents">
                    {t("queues.agentsValue", { free: String(queue.agentsFree), loggedIn: String(queue.agentsLoggedIn) })}
                  </dd>
                </div>
                <div>
                  <dt>{t("queues.today")}</dt>
                  <dd data-testid="queue-today">
                    {t("queues.todayValue", {
                      answered: String(queue.answeredToday),
                      abandoned: String(queue.abandonedToday),
                    })}
                  </dd>
                </div>
              </dl>
              {queue.meMember && (
                <button
                  class="queue-login"
                  role="switch"
                  aria-checked={queue.meLoggedIn}
                  aria-label={t("queues.toggle", { name: queue.name })}
                  data-testid="queue-login"
                  onClick={() => onLogin(queue, !queue.meLoggedIn)}
                >
                  {t(queue.meLoggedIn ? "queues.loggedIn" : "queues.loggedOut")}
                </button>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
