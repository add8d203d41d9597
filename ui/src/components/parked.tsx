import { useEffect, useState } from "preact/hooks";
import { useShell } from "../context";
import { translateErrorCode } from "../i18n";
import { asUiError, onParked, parkedList, parkedPickUp, type ParkedCallView, type UiError } from "../ipc";
import { formatWait } from "./queues";

/** Seconds parked call `call` has waited at `nowMs`, from the time the switch parked it. */
export function parkedSeconds(call: ParkedCallView, nowMs: number): number {
  return Math.max(0, Math.floor(nowMs / 1000) - call.since);
}

/**
 * The parked calls I may see, loaded once and then replaced by every `parked-changed` event.
 * Nothing is asked for without a switch (`enabled` false): plain SIP has no parking.
 */
export function useParked(enabled: boolean): ParkedCallView[] {
  const { run } = useShell();
  const [parked, setParked] = useState<ParkedCallView[]>([]);
  useEffect(() => {
    if (!enabled) {
      setParked([]);
      return;
    }
    // An event is the whole list and newer than any answer still on its way.
    let live = false;
    const stop = onParked((list) => {
      live = true;
      setParked(list);
    });
    void run(parkedList).then((list) => {
      if (list && !live) setParked(list);
    });
    return () => void stop.then((unlisten) => unlisten());
  }, [enabled]);
  return parked;
}

interface Props {
  parked: readonly ParkedCallView[];
  nowMs: number;
}

/** Calls waiting in personal queues, with their wait and a button to take each one. */
export function ParkedList({ parked, nowMs }: Props) {
  const { t, lang } = useShell();
  const [taking, setTaking] = useState<string | null>(null);
  const [error, setError] = useState<UiError | null>(null);

  const pickUp = async (call: ParkedCallView) => {
    setTaking(call.id);
    setError(null);
    try {
      // The call then rings in and is answered by the app; it shows up among my calls.
      await parkedPickUp(call.id);
    } catch (failure) {
      setError(asUiError(failure));
    } finally {
      setTaking(null);
    }
  };

  return (
    <section class="parked" data-testid="parked" aria-labelledby="parked-heading">
      <h3 id="parked-heading">{t("parked.heading")}</h3>
      {error && (
        <p class="parked-error" role="alert" data-testid="parked-error">
          <span>{t("parked.failed", { message: translateErrorCode(lang, error.code, error.message) })}</span>
          <button class="link" aria-label={t("error.dismiss")} title={t("error.dismiss")} onClick={() => setError(null)}>
            ×
          </button>
        </p>
      )}
      <ul>
        {parked.map((call) => {
          const who = call.callerName ?? call.caller;
          return (
            <li key={call.id} class={call.mine ? "parked-call mine" : "parked-call"} data-testid={`parked-${call.id}`}>
              <div class="parked-who">
                <strong data-testid="parked-caller">{who}</strong>
                <small data-testid="parked-owner">
                  {call.mine ? t("parked.mine") : t("parked.owner", { name: call.ownerName || call.owner })}
                  {call.callerName && <span class="number"> · {call.caller}</span>}
                </small>
              </div>
              <time class="parked-wait" title={t("parked.waited")} data-testid="parked-wait">
                {formatWait(parkedSeconds(call, nowMs))}
              </time>
              <button
                class="primary"
                data-testid="parked-pick-up"
                aria-label={t("parked.pickUpLabel", { name: who })}
                disabled={taking !== null}
                onClick={() => void pickUp(call)}
              >
                {t("parked.pickUp")}
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
