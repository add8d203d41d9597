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

/// A number or address that is safe to dial, as the UI shows it. What is sent to the switch
/// stays in Rust under the request's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DialCandidate {
    /// How a person reads it, e.g. "070-123 45 67" or "alice@example.com".
    pub display: String,
    /// The number in E.164 when it is a public phone number.
    pub e164: Option<String>,
    /// Extension to send as DTMF after the call is answered.
    pub extension: Option<String>,
    pub is_sip_address: bool,
    /// The host of a SIP address that is not the logged-in company's own domain: the prompt
    /// shows it in full and says the call goes outside the company (a link's text can make
    /// `sip:reception@evil.example` look like a colleague). None for numbers, for the company's
    /// own addresses, and before any login.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub outside_host: Option<String>,
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
    /// What `dial_request_call` takes to call this request's number, for a few minutes.
    pub id: u32,
    pub origin: DialOrigin,
    /// The input as received, shortened for display.
    pub raw: String,
    pub outcome: DialOutcome,
    /// True when the app is already calling it (the hotkey, or links when the user chose to
    /// call them at once); the UI only shows the start page then.
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

/// What a link from another program does (checklist: tel:/callto: handling).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum LinkAction {
    /// Show the number, prefilled, and call on Enter (the default).
    #[default]
    Ask,
    /// Call at once. Only when the user chose it.
    CallAtOnce,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum ViewMode {
    #[default]
    Normal,
    Operator,
    /// Compact queue view, always on top.
    Acd,
}

/// Keyboard shortcuts inside the window for call handling, as "Ctrl+Shift+H"-style combinations
/// (modifiers in the order Ctrl, Alt, Shift, Meta, then the key). Empty means no shortcut.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct CallKeys {
    pub answer: String,
    pub hangup: String,
    /// Holds the active call, or resumes the held one when none is active.
    pub hold: String,
    pub mute: String,
    pub focus_search: String,
}

impl Default for CallKeys {
    fn default() -> Self {
        CallKeys {
            answer: "Ctrl+Shift+A".into(),
            hangup: "Ctrl+Shift+E".into(),
            hold: "Ctrl+Shift+H".into(),
            mute: "Ctrl+Shift+M".into(),
            focus_search: "Ctrl+F".into(),
        }
    }
}

/// When the external application opens by itself for an incoming call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum ExternalAppOpen {
    /// Only by the button on the call.
    #[default]
    Off,
    WhenRinging,
    WhenAnswered,
}

/// What goes between addresses when e-mailing several contacts; Outlook wants ";".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum EmailSeparator {
    #[default]
    Semicolon,
    Comma,
}

/// Client-side settings, persisted in the local database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct AppSettings {
    /// "sv" or "en".
    pub language: String,
    pub link_action: LinkAction,
    pub hotkey: String,
    pub answer_with_enter: bool,
    pub auto_answer: bool,
    /// Take calls sent straight to this computer from any address, not only those that come
    /// through the server the app is logged in to (decision 0303). Off: the server's rules
    /// (blocked callers, forwarding) cannot be bypassed and scanners cannot ring the phone.
    pub accept_direct_calls: bool,
    pub incoming_popup: bool,
    pub notifications: bool,
    /// Debounce of the search box in milliseconds; never below 50.
    pub search_delay_ms: u32,
    /// Voice processing of the microphone (Settings → Audio), each switched live.
    pub echo_cancellation: bool,
    pub noise_suppression: bool,
    /// Automatic microphone level.
    pub gain_control: bool,
    /// The one switch older versions had (`agc`, gain control): read from their files, folded
    /// into `gain_control` by `settings::normalise`, never written back. (Not a serde alias:
    /// ts-rs cannot parse one and warns on every build.)
    #[serde(rename = "agc", skip_serializing)]
    #[ts(skip)]
    pub legacy_agc: Option<bool>,
    pub minimal_contact_list: bool,
    pub autostart: bool,
    pub stay_logged_in: bool,
    pub view_mode: ViewMode,
    /// Opened with the caller's number on incoming calls or by a button; `{number}` is replaced.
    pub external_app_url: Option<String>,
    /// Sound devices by name (Settings → Audio); none follows the system default.
    pub audio_input: Option<String>,
    pub audio_output: Option<String>,
    pub audio_ringtone: Option<String>,
    /// Call volume in percent, 0-100.
    pub volume: u8,
    pub call_keys: CallKeys,
    pub external_app_open: ExternalAppOpen,
    /// Short texts offered by "Send message" on a contact; each becomes a mail's subject and body.
    pub message_templates: Vec<String>,
    pub email_separator: EmailSeparator,
    /// A call I camped on a colleague blinks in the held list every this many seconds while it
    /// still waits; 0 turns the reminder off.
    pub camp_on_reminder_secs: u32,
    /// What "Call voicemail" dials when the server does not say (RFC 3842 Message-Account) and
    /// the account has no Koppla Växel: e.g. Asterisk's `*97`.
    pub voicemail_number: Option<String>,
    /// The start page's first-run hint (call the echo test) was closed for good.
    pub echo_hint_dismissed: bool,
    /// How long an ended call's card stays to say how the call ended, in seconds; 0 removes it
    /// at once (the reason is in history either way).
    pub ended_card_secs: u32,
}

impl Default for AppSettings {
    fn default() -> Self {
        AppSettings {
            language: "sv".into(),
            link_action: LinkAction::Ask,
            hotkey: "F8".into(),
            answer_with_enter: true,
            auto_answer: false,
            accept_direct_calls: false,
            incoming_popup: true,
            notifications: true,
            search_delay_ms: 80,
            echo_cancellation: true,
            noise_suppression: true,
            gain_control: true,
            legacy_agc: None,
            minimal_contact_list: false,
            autostart: false,
            stay_logged_in: true,
            view_mode: ViewMode::Normal,
            external_app_url: None,
            audio_input: None,
            audio_output: None,
            audio_ringtone: None,
            volume: 100,
            call_keys: CallKeys::default(),
            external_app_open: ExternalAppOpen::Off,
            message_templates: vec![
                "Ring mig när du kan".into(),
                "Jag sitter i möte, återkommer".into(),
            ],
            email_separator: EmailSeparator::Semicolon,
            camp_on_reminder_secs: 30,
            voicemail_number: None,
            echo_hint_dismissed: false,
            ended_card_secs: 3,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum AccountKind {
    /// Koppla Växel running inside the app.
    Builtin,
    /// Koppla Växel on a server (client API + SIP).
    Vaxel,
    /// Any standard SIP server: calling only.
    Sip,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct LoginRequest {
    pub kind: AccountKind,
    /// `host[:port]` of the SIP server or switch; ignored for the built-in switch.
    pub server: Option<String>,
    pub username: String,
    pub password: String,
    /// "udp", "tcp" or "tls"; UDP when absent.
    pub transport: Option<String>,
    pub stay_logged_in: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "state", rename_all = "camelCase")]
#[ts(export)]
pub enum SessionView {
    LoggedOut {
        /// Why the last attempt failed, e.g. "wrong password".
        error: Option<String>,
        /// That reason's error code, so the form can say it in the user's language (an automatic
        /// login at start fails with no UI call to answer).
        #[serde(skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        error_code: Option<String>,
        /// The last account, to prefill the login form.
        last_username: Option<String>,
        last_kind: Option<AccountKind>,
    },
    Connecting {
        username: String,
    },
    Online {
        kind: AccountKind,
        username: String,
        display_name: Option<String>,
        registered: bool,
        registration_error: Option<String>,
        /// That failure's error code (`wrong_password`, `network`, `registration_failed`), so
        /// the status bar says it in the user's language; the engine's own words stay in
        /// `registration_error` for the tooltip.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        registration_error_code: Option<String>,
        /// Activity, directory and voicemail exist only with Koppla Växel.
        switch_features: bool,
        /// The switch's echo-test number (Koppla Växel's service list), for the start page's
        /// "call it to test your sound" hint; none with other servers.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        echo_number: Option<String>,
        /// Why "stay logged in" could not keep the password in the OS keychain: the start page
        /// says the next start will ask for it. None when it was kept or not asked for.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        password_not_saved: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum CallDirection {
    Incoming,
    Outgoing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum CallPhase {
    Calling,
    Ringing,
    Early,
    Established,
    Held,
    RemoteHeld,
    Ended,
}

/// One call as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CallView {
    pub id: u32,
    pub direction: CallDirection,
    /// The other party's address or number.
    pub remote: String,
    pub remote_name: Option<String>,
    /// Who an incoming call came through: a switch queue or a forwarding colleague.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub via: Option<String>,
    pub phase: CallPhase,
    /// Why it ended: "busy", "declined", "notFound", "cancelled", "hangup", "failed"...
    pub end_reason: Option<String>,
    /// Unix milliseconds.
    #[ts(type = "number")]
    pub started_at: i64,
    #[ts(type = "number | null")]
    pub answered_at: Option<i64>,
    pub muted: bool,
    pub recording: bool,
    /// How many calls are in the local conference this call is part of; absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub conference: Option<u32>,
    /// `true` for a call coming back to me: a transfer of mine nobody answered (the switch
    /// marks it with an RFC 7462 recall alert); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub recall: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum CallAction {
    Answer,
    Reject,
    Hangup,
    Hold,
    Resume,
    Mute,
    Unmute,
    StartRecording,
    StopRecording,
    Dtmf {
        digits: String,
    },
    BlindTransfer {
        target: String,
    },
    /// Connects this call with `other` (attended transfer).
    AttendedTransfer {
        other: u32,
    },
    /// Parks the call in my personal queue on the switch (the caller hears hold music and
    /// anyone allowed may take it from the parked list).
    Park,
    /// Camps the call on a busy colleague: it waits in their personal queue on the switch and
    /// rings them as soon as their current call ends. `user` is their user name or a number
    /// the switch's directory knows them by (e.g. their extension).
    CampOn {
        user: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PresenceView {
    pub label: String,
    pub color: Option<String>,
    pub reachable: bool,
    pub until: Option<String>,
    pub note: Option<String>,
    /// On a call now (ringing or talking), as the switch last said.
    pub on_call: bool,
}

/// The system's sound devices for Settings → Audio; empty lists with `error` when there are
/// none (e.g. a headless machine).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AudioDevicesView {
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    pub default_input: Option<String>,
    pub default_output: Option<String>,
    pub error: Option<String>,
    /// Whether this build can process the microphone (echo cancellation, noise suppression,
    /// gain); the app always says, so the settings can explain switches that would do nothing.
    #[ts(optional)]
    pub voice_processing: Option<bool>,
}

impl AudioDevicesView {
    pub fn empty(error: String) -> AudioDevicesView {
        AudioDevicesView {
            inputs: Vec::new(),
            outputs: Vec::new(),
            default_input: None,
            default_output: None,
            error: Some(error),
            voice_processing: Some(crate::audio::VOICE_PROCESSING),
        }
    }
}

/// An activity (presence) as the switch reports it: mine on the start page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ActivityView {
    pub id: String,
    /// The switch's (English) label; the UI prefers the option's Swedish label when it has one.
    pub label: String,
    pub color: String,
    pub reachable: bool,
    /// RFC 3339 UTC end time; the switch reverts to the default activity after it.
    pub until: Option<String>,
    pub note: Option<String>,
}

/// One of the activities configured on the switch, offered in the picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ActivityOptionView {
    pub id: String,
    pub label: String,
    pub label_sv: Option<String>,
    pub color: String,
    pub reachable: bool,
}

/// What the picker saves: an activity id, an optional end time (RFC 3339) and note.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ActivityChange {
    pub id: String,
    pub until: Option<String>,
    pub note: Option<String>,
}

/// One search result; `spans` are `[start, end)` char offsets into `fieldText`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SearchHitView {
    pub entry_id: String,
    pub name: String,
    /// Title and company, for the second line.
    pub subtitle: String,
    /// "colleague", "contact" or "addressBook".
    pub source: String,
    /// "normal", "favourite", "vip" or "blocked".
    pub kind: String,
    /// "name", "company", "title", "department", "keyword", "email" or "number".
    pub field: String,
    pub field_text: String,
    pub spans: Vec<(u32, u32)>,
    pub number: Option<String>,
    pub presence: Option<PresenceView>,
    /// For "Send message" on a hit.
    pub emails: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SearchResultsView {
    pub query: String,
    pub hits: Vec<SearchHitView>,
    pub total: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct NumberView {
    pub label: String,
    pub number: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum ContactKindView {
    Favourite,
    Contact,
    Vip,
    Blocked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ContactInput {
    pub name: String,
    pub company: String,
    pub title: String,
    pub emails: Vec<String>,
    pub numbers: Vec<NumberView>,
    pub keywords: Vec<String>,
    pub kind: ContactKindView,
    pub notes: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ContactView {
    #[ts(type = "number")]
    pub id: i64,
    #[serde(flatten)]
    pub data: ContactInput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum HistoryFilter {
    All,
    Missed,
    Recordings,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct HistoryRow {
    #[ts(type = "number")]
    pub id: i64,
    pub direction: CallDirection,
    pub remote: String,
    pub display_name: Option<String>,
    #[ts(type = "number")]
    pub started_at: i64,
    #[ts(type = "number | null")]
    pub answered_at: Option<i64>,
    #[ts(type = "number | null")]
    pub ended_at: Option<i64>,
    pub end_reason: Option<String>,
    pub missed: bool,
    pub recording_path: Option<String>,
    pub seen: bool,
}

/// Where a call the switch holds for someone stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum ParkedState {
    /// Waiting in the owner's personal queue with hold music (parked, or camped on the owner).
    Parked,
    /// Blindly transferred by the owner and ringing `target`; it comes back unanswered.
    Ringing,
    /// The transfer was not answered (or the target was busy): back with the owner, waiting.
    Recalled,
}

/// A call the switch holds for someone: waiting in a personal queue (parked, or camped on a
/// busy colleague) or transferred and not answered yet, as the Calls tab lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ParkedCallView {
    /// The switch's id for the parked call (what `parked_pick_up` takes).
    pub id: String,
    /// The waiting caller's number or user name, and display name when known.
    pub caller: String,
    pub caller_name: Option<String>,
    /// Whose personal queue the call waits in (user name and display name).
    pub owner: String,
    pub owner_name: String,
    /// Whether it waits in my own personal queue (or is a transfer of mine that may come back).
    pub mine: bool,
    /// Unix seconds the call was parked; the UI counts the wait up from it.
    #[ts(type = "number")]
    pub since: i64,
    pub state: ParkedState,
    /// User name of who put it there (parked, camped or transferred it), when known.
    pub by: Option<String>,
    /// Whether I put it there (e.g. camped it on a colleague).
    pub by_me: bool,
    /// The colleague a transfer rings (`ringing`) or rang (`recalled`): user name and display
    /// name.
    pub target: Option<String>,
    pub target_name: Option<String>,
}

/// A call queue on the switch, for the queues panel (`queues_list`, event `queue-changed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct QueueView {
    pub id: String,
    pub number: String,
    pub name: String,
    pub waiting: u32,
    /// Unix seconds the longest-waiting caller arrived; the UI counts the wait up from it.
    #[ts(type = "number | null")]
    pub oldest_waiting_since: Option<i64>,
    pub agents_logged_in: u32,
    pub agents_free: u32,
    pub answered_today: u32,
    pub abandoned_today: u32,
    /// Whether I may log in to the queue (a member); others only watch its counters.
    pub me_member: bool,
    /// Whether I am logged in to the queue (calls are offered to me).
    pub me_logged_in: bool,
}

/// An error the UI shows; `code` is stable for translation, `message` is English detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct UiError {
    pub code: String,
    pub message: String,
}

/// One voicemail message the switch keeps for me, as the voicemail tab lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VoicemailView {
    /// The switch's id (what the voicemail commands take).
    #[ts(type = "number")]
    pub id: i64,
    /// The caller's number or user name, and the name I know them by (contacts, colleagues,
    /// address books) when there is one.
    pub caller: String,
    pub caller_name: Option<String>,
    /// RFC 3339 time the message was left.
    pub at: String,
    #[ts(type = "number")]
    pub duration_ms: u64,
    pub heard: bool,
}

/// My mailbox: the messages (with Koppla Växel) and the message-waiting counts (any server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct MailboxView {
    /// Whether the messages themselves can be listed and played here (Koppla Växel); a plain
    /// SIP server only says how many there are.
    pub listed: bool,
    pub messages: Vec<VoicemailView>,
    /// New (unheard) and old messages; from the list when there is one, else from the server's
    /// message-waiting notifications.
    pub new: u32,
    pub old: u32,
    /// What "Call voicemail" dials; none when nobody said.
    pub call_target: Option<String>,
}

/// Where the message being played stands (event `voicemail-playback`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PlaybackView {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub position_ms: u64,
    #[ts(type = "number")]
    pub duration_ms: u64,
    pub playing: bool,
    /// Played to the end.
    pub finished: bool,
}

/// Which greeting callers hear: for a busy line, when nobody answers, or otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum GreetingKindView {
    Default,
    Busy,
    NoAnswer,
}

/// One of my greetings as the voicemail settings show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct GreetingView {
    pub kind: GreetingKindView,
    /// Whether I recorded or uploaded one (otherwise callers hear the next in line).
    pub stored: bool,
    /// Its length; none when it is missing or the stored file is unreadable.
    #[ts(type = "number | null")]
    pub duration_ms: Option<u64>,
}

/// My e-mail notice of new voicemail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VoicemailNotifyView {
    pub enabled: bool,
    /// My own address; none means the directory's.
    pub address: Option<String>,
    pub directory_email: String,
    pub attach_audio: bool,
    /// False when the switch has no mail server: nothing is sent whatever is set here.
    pub mail_configured: bool,
}

/// My mailbox's settings on Koppla Växel: PIN, greetings, e-mail notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VoicemailSettingsView {
    /// Without a PIN the mailbox opens only from my own phones.
    pub pin_set: bool,
    /// Default, busy and no-answer, in that order.
    pub greetings: Vec<GreetingView>,
    /// None from a switch without the e-mail notice.
    pub notify: Option<VoicemailNotifyView>,
}

/// Where a menu bar item takes the window (event `menu://navigate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum MenuTarget {
    /// Settings, scrolled to the account (log out) group.
    Account,
    /// Settings, scrolled to the sound devices.
    Audio,
    Settings,
    /// Contacts with a new, empty contact form.
    CreateContact,
    /// The voicemail inbox.
    Inbox,
    /// The activity picker (diversion: where my calls go while I am away).
    Activity,
    About,
    /// The short user guide kept in the app (there is no manual on a web page to open).
    Help,
    Privacy,
    Diagnostics,
}

/// A call shortcut run from the Call menu (event `menu://call`): the same actions as the
/// in-window call keys, named as in [`CallKeys`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum MenuCall {
    Answer,
    Hangup,
    Hold,
    Mute,
    FocusSearch,
}

/// One third-party component and its licence, as listed in Help → About.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ComponentLicence {
    pub name: String,
    pub version: String,
    /// An SPDX expression, e.g. "MIT OR Apache-2.0"; "unknown" when the package names none.
    pub license: String,
}

/// Help → About: the version Cargo built and the licences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AboutView {
    pub version: String,
    /// Koppla's own licence (SPDX).
    pub license: String,
    /// Rust crates compiled into the app.
    pub crates: Vec<ComponentLicence>,
    /// npm packages bundled into the window.
    pub npm: Vec<ComponentLicence>,
    /// Where history, contacts and settings are kept (for Help → Privacy).
    pub data_dir: String,
    /// Where the log files are; none before the log folder could be opened.
    pub log_dir: Option<String>,
}

/// A diagnostics file that was written, and a mail to support that says where it is (a
/// `mailto:` link cannot attach files).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DiagnosticsSaved {
    pub path: String,
    pub mailto: String,
    /// SIP messages the file holds.
    pub sip_messages: u32,
}

/// Which protocol an address book the user added speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum AddressBookKind {
    CardDav,
    Ldap,
}

/// An address book in Settings → Address books. Its password is not here: it lives only in the
/// OS keychain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AddressBookConfig {
    /// Empty when adding; the app assigns one.
    pub id: String,
    pub kind: AddressBookKind,
    /// What search hits show as the source, e.g. "Företagskatalogen".
    pub name: String,
    pub url: String,
    /// The CardDAV user name, or the LDAP bind DN (empty for an anonymous bind).
    pub username: String,
    /// LDAP only: where the people are, e.g. `ou=people,dc=example,dc=se`.
    #[serde(default)]
    pub base_dn: String,
    /// LDAP only: which entries are people; empty means `(objectClass=person)`.
    #[serde(default)]
    pub filter: String,
}

/// Adding, editing or testing an address book.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AddressBookInput {
    pub config: AddressBookConfig,
    /// `null` keeps the password already stored for this address book.
    pub password: Option<String>,
}

/// An address book and how its last read went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AddressBookView {
    pub config: AddressBookConfig,
    /// False when the keychain refused the password: the book works until Koppla closes.
    pub password_saved: bool,
    /// People read at the last successful refresh; `null` before the first.
    pub entries: Option<u32>,
    pub loading: bool,
    pub error: Option<UiError>,
}
