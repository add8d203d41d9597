import { useShell } from "../context";
import { useNow } from "../hooks";
import { CallCard } from "./call-card";
import { ParkedList, useParked } from "./parked";

interface Props {
  /** Koppla Växel account: calls can be parked and the parked calls are listed. */
  parking?: boolean;
}

/** Every call with its state, ringing ones first, then the parked calls; hidden when there are none. */
export function CallsPanel({ parking = false }: Props) {
  const { t, calls } = useShell();
  const parked = useParked(parking);
  const now = useNow(parked.length > 0 || calls.some((call) => call.answeredAt !== null && call.phase !== "ended"));
  if (calls.length === 0 && parked.length === 0) return null;
  const rank = (ringing: boolean) => (ringing ? 0 : 1);
  const ordered = [...calls].sort(
    (a, b) =>
      rank(a.direction === "incoming" && a.phase === "ringing") -
        rank(b.direction === "incoming" && b.phase === "ringing") || a.startedAt - b.startedAt,
  );
  return (
    <section class="calls" aria-label={t("call.list")} data-testid="calls">
      {ordered.map((call) => (
        <CallCard key={call.id} call={call} now={now} canPark={parking} />
      ))}
      {parked.length > 0 && <ParkedList parked={parked} nowMs={now} />}
    </section>
  );
}
