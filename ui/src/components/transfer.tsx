import { useState } from "preact/hooks";
import { useShell } from "../context";
import { callAction, type CallView } from "../ipc";
import { isTalking } from "../lib/calls";

interface Props {
  call: CallView;
  onDone: () => void;
}

/** Blind transfer to a typed target, or attended transfer joining this call with another one. */
export function TransferPanel({ call, onDone }: Props) {
  const { t, calls, run } = useShell();
  const [target, setTarget] = useState("");
  const others = calls.filter((other) => other.id !== call.id && isTalking(other));

  const blind = async (event: Event) => {
    event.preventDefault();
    if (!target.trim()) return;
    const done = await run(() => callAction(call.id, { blindTransfer: { target: target.trim() } }).then(() => true));
    if (done) onDone();
  };

  return (
    <div class="transfer" data-testid="transfer">
      <form class="row" onSubmit={blind}>
        <label class="grow">
          <small>{t("call.blindHeading")}</small>
          <input
            data-testid="transfer-target"
            value={target}
            placeholder={t("call.blindTarget")}
            onInput={(e) => setTarget(e.currentTarget.value)}
          />
        </label>
        <button type="submit" data-testid="transfer-blind">
          {t("call.blindSubmit")}
        </button>
      </form>
      <small>{t("call.attendedHeading")}</small>
      {others.length === 0 ? (
        <p class="hint">{t("call.attendedNone")}</p>
      ) : (
        others.map((other) => (
          <button
            key={other.id}
            data-testid={`transfer-attended-${other.id}`}
            onClick={() =>
              void run(() => callAction(call.id, { attendedTransfer: { other: other.id } }).then(() => true)).then(
                (done) => done && onDone(),
              )
            }
          >
            {t("call.attendedSubmit", { name: other.remoteName ?? other.remote })}
          </button>
        ))
      )}
    </div>
  );
}
