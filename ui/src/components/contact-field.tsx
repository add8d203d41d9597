import { useEffect, useState } from "preact/hooks";
import { useShell } from "../context";
import { contactsList, type ContactView } from "../ipc";

/** Favourites and VIP on the start page, one click to call (checklist 14, 16). */
export function ContactField() {
  const { t, settings, run, place } = useShell();
  const [contacts, setContacts] = useState<ContactView[]>([]);

  useEffect(() => {
    void run(contactsList).then((list) => list && setContacts(list));
  }, []);

  const shown = contacts
    .filter((c) => c.kind === "favourite" || c.kind === "vip")
    .sort((a, b) => Number(b.kind === "vip") - Number(a.kind === "vip") || a.name.localeCompare(b.name, "sv"));
  if (shown.length === 0) return null;

  return (
    <ul class={settings.minimalContactList ? "rows contact-field minimal" : "rows contact-field"} data-testid="contact-field">
      {shown.map((contact) => {
        const number = contact.numbers[0]?.number;
        return (
          <li key={contact.id} class="row-item">
            <span class="main">
              <span>
                <strong>{contact.name}</strong>{" "}
                <span class={`tag tag-${contact.kind}`}>{t(contact.kind === "vip" ? "hit.vip" : "hit.favourite")}</span>
              </span>
              {!settings.minimalContactList && number && <small class="sub">{number}</small>}
            </span>
            {number && (
              <button title={number} onClick={() => void place(number)}>
                {t("contacts.call")}
              </button>
            )}
          </li>
        );
      })}
    </ul>
  );
}
