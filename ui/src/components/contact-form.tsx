import { useState } from "preact/hooks";
import { useShell } from "../context";
import type { TextKey } from "../i18n";
import { contactSave, type ContactInput, type ContactView } from "../ipc";
import type { ContactKindView } from "../bindings/ContactKindView";
import { splitList } from "../lib/format";

export const KINDS: ContactKindView[] = ["favourite", "vip", "contact", "blocked"];

interface Props {
  contact: ContactView | null;
  onSaved: (contact: ContactView) => void;
  onCancel: () => void;
}

const EMPTY: ContactInput = {
  name: "",
  company: "",
  title: "",
  emails: [],
  numbers: [{ label: "", number: "" }],
  keywords: [],
  kind: "favourite",
  notes: "",
};

/** Create or edit a local contact (checklist 16-17). */
export function ContactForm({ contact, onSaved, onCancel }: Props) {
  const { t, run } = useShell();
  const start = contact ?? EMPTY;
  const [form, setForm] = useState<ContactInput>({
    ...start,
    numbers: start.numbers.length > 0 ? start.numbers : [{ label: "", number: "" }],
  });
  const [emails, setEmails] = useState(start.emails.join(", "));
  const [keywords, setKeywords] = useState(start.keywords.join(", "));
  const [problem, setProblem] = useState<TextKey | null>(null);

  const set = <K extends keyof ContactInput>(key: K, value: ContactInput[K]) => setForm((f) => ({ ...f, [key]: value }));
  const setNumber = (index: number, field: "label" | "number", value: string) =>
    set("numbers", form.numbers.map((n, i) => (i === index ? { ...n, [field]: value } : n)));

  const submit = async (event: Event) => {
    event.preventDefault();
    const input: ContactInput = {
      ...form,
      name: form.name.trim(),
      company: form.company.trim(),
      title: form.title.trim(),
      numbers: form.numbers
        .map((n) => ({ label: n.label.trim(), number: n.number.trim() }))
        .filter((n) => n.number.length > 0),
      emails: splitList(emails),
      keywords: splitList(keywords),
    };
    if (!input.name) return setProblem("contacts.nameRequired");
    if (input.numbers.length === 0 && input.emails.length === 0) return setProblem("contacts.numberRequired");
    setProblem(null);
    const saved = await run(() => contactSave(contact?.id ?? null, input));
    if (saved) onSaved(saved);
  };

  return (
    <form class="form contact-form" data-testid="contact-form" onSubmit={submit}>
      <label>
        {t("contacts.name")}
        <input data-testid="contact-name" value={form.name} onInput={(e) => set("name", e.currentTarget.value)} />
      </label>
      <label>
        {t("contacts.kind")}
        <select
          data-testid="contact-kind"
          value={form.kind}
          onChange={(e) => set("kind", e.currentTarget.value as ContactKindView)}
        >
          {KINDS.map((kind) => (
            <option key={kind} value={kind}>
              {t(`contacts.kind.${kind}` as TextKey)}
            </option>
          ))}
        </select>
      </label>
      <fieldset>
        <legend>{t("contacts.numbers")}</legend>
        {form.numbers.map((n, index) => (
          <div class="row" key={index}>
            <input
              class="label-input"
              aria-label={t("contacts.numberLabel")}
              placeholder={t("contacts.numberLabel")}
              value={n.label}
              onInput={(e) => setNumber(index, "label", e.currentTarget.value)}
            />
            <input
              class="grow"
              type="tel"
              data-testid={`contact-number-${index}`}
              aria-label={t("contacts.number")}
              placeholder={t("contacts.number")}
              value={n.number}
              onInput={(e) => setNumber(index, "number", e.currentTarget.value)}
            />
            {form.numbers.length > 1 && (
              <button
                type="button"
                aria-label={t("contacts.removeNumber")}
                title={t("contacts.removeNumber")}
                onClick={() => set("numbers", form.numbers.filter((_, i) => i !== index))}
              >
                ✕
              </button>
            )}
          </div>
        ))}
        <button type="button" onClick={() => set("numbers", [...form.numbers, { label: "", number: "" }])}>
          {t("contacts.addNumber")}
        </button>
      </fieldset>
      <label>
        {t("contacts.company")}
        <input value={form.company} onInput={(e) => set("company", e.currentTarget.value)} />
      </label>
      <label>
        {t("contacts.title")}
        <input value={form.title} onInput={(e) => set("title", e.currentTarget.value)} />
      </label>
      <label>
        {t("contacts.emails")}
        <input value={emails} onInput={(e) => setEmails(e.currentTarget.value)} />
      </label>
      <label>
        {t("contacts.keywords")}
        <input value={keywords} onInput={(e) => setKeywords(e.currentTarget.value)} />
      </label>
      <label>
        {t("contacts.notes")}
        <textarea rows={3} value={form.notes} onInput={(e) => set("notes", e.currentTarget.value)} />
      </label>
      {problem && (
        <p class="error" role="alert">
          {t(problem)}
        </p>
      )}
      <div class="actions">
        <button type="submit" class="primary" data-testid="contact-save">
          {t("contacts.save")}
        </button>
        <button type="button" onClick={onCancel}>
          {t("contacts.cancel")}
        </button>
      </div>
    </form>
  );
}
