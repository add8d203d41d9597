// What the login form decides without drawing anything: when it can be sent, and which one
// message it shows. Two messages at once ("fill in all fields" above an older "wrong password")
// left new users guessing which one was current, so the newest replaces the last.
import type { AccountKind } from "../bindings/AccountKind";
import { translateErrorCode, type Lang } from "../i18n";

/** The one message under the form: missing fields, or why the last login failed. */
export type LoginMessage = { kind: "missing" } | { kind: "failed"; error: string } | null;

export interface LoginFields {
  kind: AccountKind;
  server: string;
  username: string;
  password: string;
}

/** A user name and a password are always needed; a server address except for the built-in switch. */
export const fieldsMissing = (fields: LoginFields): boolean =>
  !fields.username.trim() || !fields.password || (fields.kind !== "builtin" && !fields.server.trim());

/**
 * The message to show. Until the user sends the form, why the session's last attempt failed
 * (e.g. the automatic login at start, which may end after the form is up); after that the form's
 * own newest message, so an older failure never sits next to a newer one.
 */
export function shownMessage(own: LoginMessage, sent: boolean, sessionError: string | null | undefined): LoginMessage {
  if (own || sent) return own;
  return sessionError ? { kind: "failed", error: sessionError } : null;
}

/** The code a login the user cancelled answers with (session.rs `CANCELLED`). */
export const CANCELLED = "cancelled";

/**
 * What a refused login leaves under the form: nothing when the user cancelled it (they asked
 * for that), else the reason in their language.
 */
export function messageAfterRefusal(lang: Lang, code: string, message: string): LoginMessage {
  return code === CANCELLED ? null : { kind: "failed", error: translateErrorCode(lang, code, message) };
}

/**
 * Whether the typed password stays in the form after a refusal: after Cancel the user only
 * stopped waiting and will try again as typed; a refused password has to be typed again.
 */
export const keepsPassword = (code: string): boolean => code === CANCELLED;
