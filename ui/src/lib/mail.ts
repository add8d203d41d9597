// mailto: links for "Send message" (a template to one contact) and "E-mail selected" (several
// contacts at once). The separator between addresses is a setting because Outlook only accepts
// ";" while RFC 6068 and most other mail clients use ",".
import type { EmailSeparator } from "../bindings/EmailSeparator";

const SEPARATORS: Record<EmailSeparator, string> = { semicolon: ";", comma: "," };

/** Plain addresses only: one "@", no spaces, nothing that could end the address part of a link. */
export function isEmailAddress(text: string): boolean {
  return /^[^\s@;,?&#<>"]+@[^\s@;,?&#<>"]+$/.test(text);
}

/** Encodes an address for the part before "?" while keeping "@" readable. */
const encodeAddress = (address: string) => encodeURIComponent(address).replace(/%40/g, "@");

/**
 * A mailto: link to every valid address (each once), with the template as subject and body.
 * Null when no valid address is left, so the UI can say so instead of opening an empty mail.
 */
export function mailtoLink(addresses: readonly string[], separator: EmailSeparator, template?: string): string | null {
  const unique = [...new Set(addresses.map((address) => address.trim()).filter(isEmailAddress))];
  if (unique.length === 0) return null;
  const to = unique.map(encodeAddress).join(SEPARATORS[separator]);
  const text = template?.trim();
  if (!text) return `mailto:${to}`;
  const encoded = encodeURIComponent(text);
  return `mailto:${to}?subject=${encoded}&body=${encoded}`;
}
