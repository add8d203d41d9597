import { useState } from "preact/hooks";
import { useShell } from "../context";
import type { TextKey } from "../i18n";
import { contactDelete, type ContactView } from "../ipc";
import { MessageMenu } from "./message-menu";
import { TransferHereButton } from "./transfer-here";

interface Props {
  contact: ContactView;
  onEdit: () => void;
  onDeleted: () => void;
  onBack: () => void;
}

/** The contact card: details, a call button per number (and "Transfer here" while I hold a
 * call), edit and a confirmed delete. */
export function ContactCard({ contact, onEdit, onDeleted, onBack }: Props) {
  const { t, run, place } = useShell();
  const [confirming, setConfirming] = useState(false);

  const remove = async () => {
    const done = await run(() => contactDelete(contact.id).then(() => true));
    if (done) onDeleted();
  };

  return (
    <article class="card" data-testid="contact-card">
      <button class="link" onClick={onBack}>
        ← {t("contacts.back")}
      </button>
      <h2 data-testid="card-name">{contact.name}</h2>
      <p class="sub">
        <span class={`tag tag-${contact.kind}`}>{t(`contacts.kind.${contact.kind}` as TextKey).split(" (")[0]}</span>
        {[contact.title, contact.company].filter(Boolean).join(", ")}
      </p>
      <ul class="numbers">
        {contact.numbers.map((n) => (
          <li key={`${n.label}-${n.number}`}>
            <span>
              {n.label && <small>{n.label} </small>}
              {n.number}
            </span>
            <span class="number-actions">
              <TransferHereButton target={n.number} name={contact.name} testId="contact-transfer" label="contacts.transfer" />
              <button class="primary" onClick={() => void place(n.number)}>
                {t("contacts.call")}
              </button>
            </span>
          </li>
        ))}
      </ul>
      {contact.emails.length > 0 && (
        <p>
          {contact.emails.map((email) => (
            <a key={email} href={`mailto:${encodeURIComponent(email).replace("%40", "@")}`}>
              {email}{" "}
            </a>
          ))}
        </p>
      )}
      {contact.keywords.length > 0 && <p class="sub">{contact.keywords.join(", ")}</p>}
      {contact.notes && <p class="notes">{contact.notes}</p>}
      {confirming ? (
        <div class="actions confirm" role="alertdialog">
          <span>{t("contacts.confirmDelete", { name: contact.name })}</span>
          <button class="danger" data-testid="contact-delete-confirm" onClick={() => void remove()}>
            {t("contacts.confirmYes")}
          </button>
          <button onClick={() => setConfirming(false)}>{t("contacts.cancel")}</button>
        </div>
      ) : (
        <div class="actions">
          <MessageMenu name={contact.name} emails={contact.emails} />
          <button data-testid="contact-edit" onClick={onEdit}>
            {t("contacts.edit")}
          </button>
          <button class="danger" data-testid="contact-delete" onClick={() => setConfirming(true)}>
            {t("contacts.delete")}
          </button>
        </div>
      )}
    </article>
  );
}
