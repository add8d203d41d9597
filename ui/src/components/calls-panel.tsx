import { useShell } from "../context";
import { useNow } from "../hooks";
import { CallCard } from "./call-card";

/** Every call with its state, ringing ones first; hidden when there are none. */
export function CallsPanel() {
  const { t, calls } = useShell();
  const now = useNow(calls.some((call) => call.answeredAt !== null && call.phase !== "ended"));
  if (calls.length === 0) return null;
  const rank = (ringing: boolean) => (ringing ? 0 : 1);
  const ordered = [...calls].sort(
    (a, b) =>
      rank(a.direction === "incoming" && a.phase === "ringing") -
        rank(b.direction === "incoming" && b.phase === "ringing") || a.startedAt - b.startedAt,
  );
  return (
    <section class="calls" aria-label={t("call.list")} data-testid="calls">
      {ordered.map((call) => (
        <CallCard key={call.id} call={call} now={now} />
      ))}
    </section>
  );
}
