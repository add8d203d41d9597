// The mock's fixed company directory and a search over it plus saved contacts, returning the
// same shape as the Rust `search` command: char-offset spans into the matched field.
import type { ContactView } from "../../src/bindings/ContactView";
import type { SearchHitView } from "../../src/bindings/SearchHitView";
import type { SearchResultsView } from "../../src/bindings/SearchResultsView";

interface Person {
  id: string;
  /** The switch user name (what its personal queue and camp-on go by). */
  username: string;
  name: string;
  title: string;
  company: string;
  department: string;
  number: string;
  email: string;
  presence: { label: string; color: string; reachable: boolean; note: string | null };
  /** On a call now, as the switch says (its on_call_changed events). */
  onCall?: boolean;
}

export const DIRECTORY: Person[] = [
  { id: "u1", username: "annal", name: "Anna Lindqvist", title: "Ekonom", company: "Exempel AB", department: "Ekonomi", number: "1001", email: "anna.lindqvist@exempel.se",
    presence: { label: "Tillgänglig", color: "#2e7d32", reachable: true, note: null } },
  { id: "u2", username: "johanna", name: "Johanna Berg", title: "Säljare", company: "Exempel AB", department: "Sälj", number: "1002", email: "johanna.berg@exempel.se",
    presence: { label: "Lunch", color: "#f9a825", reachable: false, note: "Tillbaka 13:00" } },
  { id: "u3", username: "anders", name: "Anders Öberg", title: "Tekniker", company: "Exempel AB", department: "Drift", number: "1003", email: "anders.oberg@exempel.se",
    presence: { label: "Möte", color: "#c62828", reachable: false, note: "Styrelsemöte" } },
  { id: "u4", username: "karin", name: "Karin Svensson", title: "Växeltelefonist", company: "Exempel AB", department: "Reception", number: "1000", email: "karin.svensson@exempel.se",
    presence: { label: "Tillgänglig", color: "#2e7d32", reachable: true, note: null } },
];

/** The colleague a number or user name reaches through the switch (its directory lookup). */
export const colleagueBy = (dialled: string): Person | undefined =>
  DIRECTORY.find((person) => person.number === dialled.trim() || person.username === dialled.trim());

/** A colleague started or stopped being on a call (ringing or talking). */
export function setColleagueOnCall(entryId: string, onCall: boolean): void {
  const person = DIRECTORY.find((p) => p.id === entryId);
  if (!person) throw new Error(`mock: no colleague ${entryId}`);
  person.onCall = onCall;
}

function charSpan(text: string, query: string): [number, number] | null {
  const at = text.toLowerCase().indexOf(query.toLowerCase());
  if (at < 0) return null;
  const start = Array.from(text.slice(0, at)).length;
  return [start, start + Array.from(query).length];
}

function firstMatch(fields: [string, string][], query: string) {
  for (const [field, text] of fields) {
    const span = charSpan(text, query);
    if (span) return { field, fieldText: text, spans: [span] as [number, number][] };
  }
  return null;
}

export function searchAll(query: string, limit: number, contacts: ContactView[]): SearchResultsView {
  const q = query.trim();
  if (!q) return { query, hits: [], total: 0 };
  const hits: SearchHitView[] = [];
  for (const person of DIRECTORY) {
    const match = firstMatch(
      [["name", person.name], ["title", person.title], ["department", person.department], ["number", person.number]],
      q,
    );
    if (match) {
      hits.push({ entryId: person.id, name: person.name, subtitle: `${person.title}, ${person.company}`,
        source: "colleague", kind: "normal", ...match, number: person.number,
        presence: { ...person.presence, until: null, onCall: person.onCall ?? false }, emails: [person.email] });
    }
  }
  for (const contact of contacts) {
    const match = firstMatch(
      [["name", contact.name], ["company", contact.company], ["title", contact.title],
        ...contact.keywords.map((k): [string, string] => ["keyword", k]),
        ...contact.emails.map((e): [string, string] => ["email", e]),
        ...contact.numbers.map((n): [string, string] => ["number", n.number])],
      q,
    );
    if (match) {
      hits.push({ entryId: `c${contact.id}`, name: contact.name,
        subtitle: [contact.title, contact.company].filter(Boolean).join(", "), source: "contact",
        kind: contact.kind === "contact" ? "normal" : contact.kind, ...match,
        number: contact.numbers[0]?.number ?? null, presence: null, emails: [...contact.emails] });
    }
  }
  return { query, hits: hits.slice(0, limit), total: hits.length };
}
