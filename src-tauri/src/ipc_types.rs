//! Types that cross the IPC boundary. TypeScript twins are generated into `ui/src/bindings/` by
//! ts-rs when the tests run; CI fails if the committed files drift from these definitions.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Where a number to dial came from; decides whether it may be dialled without asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum DialOrigin {
    /// A `tel:`, `callto:` or `sip:` link opened from another program, e.g. a browser.
    Link,
    /// The global hotkey (F8) on a highlighted number.
    Hotkey,
    /// Typed or pasted into Koppla itself.
    Typed,
}

/// A number or address that is safe to dial, in the forms the UI needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DialCandidate {
    /// How a person reads it, e.g. "070-123 45 67" or "alice@example.com".
    pub display: String,
    /// What is sent to the switch: digits for phone numbers, the address for SIP.
    pub dial_string: String,
    /// The number in E.164 when it is a public phone number.
    pub e164: Option<String>,
    /// Extension to send as DTMF after the call is answered.
    pub extension: Option<String>,
    pub is_sip_address: bool,
}

/// The result of checking an input: dialable, or refused with a stable code the UI translates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export)]
pub enum DialOutcome {
    Dialable { candidate: DialCandidate },
    Refused { code: String, message: String },
}

/// A request to dial that arrived from outside the window (link, hotkey).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DialRequest {
    pub id: u32,
    pub origin: DialOrigin,
    /// The input as received, shortened for display.
    pub raw: String,
    pub outcome: DialOutcome,
    /// True when the user's settings allow calling without a confirming keypress.
    pub auto_dial: bool,
}

/// Answer to `hotkey_set`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct HotkeyStatus {
    pub accelerator: String,
    pub registered: bool,
    pub error: Option<String>,
}
