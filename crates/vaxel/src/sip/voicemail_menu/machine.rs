//! The dial-in voicemail menu as a sans-IO state machine (decision 0509): fed the caller's
//! DTMF digits, the end of each playback and the answers of storage, plus `now`; polled for
//! what to play, store or delete and when to hang up. The tokio driver in
//! `media/voicemail_menu.rs` does the I/O, so every path through the menu is testable with a
//! fake clock.

use crate::media::prompts::{self, Lang, Prompt};
use crate::store::{MailboxMessage, PinCheck};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Silence after a menu or an entry prompt before it is said again.
pub const SILENCE: Duration = Duration::from_secs(10);
/// Silent periods in a row after which the switch says goodbye and hangs up.
pub const SILENT_LIMIT: u32 = 3;
/// Longest greeting recorded from the menu.
pub const MAX_GREETING: Duration = Duration::from_secs(60);
/// Wrong mailbox/PIN pairs in one call before the switch hangs up (the mailbox's own lockout,
/// counted in storage across calls, usually says Locked first).
pub const LOGIN_ATTEMPTS: u32 = 3;
/// Digits kept of one entry: longer input is wrong anyway and must not grow without bound.
const MAX_DIGITS: usize = 20;
/// The pause after the owner's welcome: time to press `*` for another mailbox (a phone's first
/// key can take a second or two to arrive).
pub const WELCOME_PAUSE: Duration = Duration::from_millis(1500);

/// How the call starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    /// The caller authenticated as this user: their own mailbox opens without a PIN (they may
    /// press `*` during the welcome to open another one).
    Owner(String),
    /// Anyone else (an outside caller through the trunk): mailbox number and PIN.
    Ask,
}

/// One piece of what the caller hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audio {
    Prompt(Prompt),
    /// A stored message, by id.
    Message(i64),
    /// The mailbox's own default greeting.
    Greeting,
    /// Silence.
    Pause(Duration),
}

/// The opened mailbox as the menu needs it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mailbox {
    /// Newest first.
    pub messages: Vec<MailboxMessage>,
    pub has_greeting: bool,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// One DTMF digit: `0`-`9`, `*`, `#` (or `A`-`D`, which no menu uses).
    Digit(char),
    /// The last [`Action::Play`] finished playing.
    PromptDone,
    /// The answer to [`Action::CheckPin`].
    Pin(PinCheck),
    /// The answer to [`Action::Open`]; none when the mailbox could not be read.
    Opened(Option<Mailbox>),
    /// The answer to [`Action::SaveGreeting`]: whether a greeting was stored.
    RecordingDone { saved: bool },
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Play this (replacing whatever plays now), then report [`Input::PromptDone`].
    Play(Vec<Audio>),
    /// Stop playing (the caller started typing over a prompt); no PromptDone follows.
    Stop,
    /// Check a mailbox number's PIN; answer with [`Input::Pin`].
    CheckPin {
        mailbox: String,
        pin: String,
    },
    /// Open a mailbox (a user name, or the number the caller typed); answer with
    /// [`Input::Opened`]. Later actions concern this mailbox.
    Open(String),
    /// Start recording the caller for a new greeting.
    Record,
    /// Stop recording and store it as the default greeting; answer with
    /// [`Input::RecordingDone`].
    SaveGreeting,
    MarkHeard(i64),
    /// Delete a message and its audio.
    Delete(i64),
    DeleteGreeting,
    Hangup,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// The owner hears the welcome; `*` now (or until the menu starts) opens another mailbox
    /// instead.
    Welcome {
        owner: String,
    },
    Mailbox {
        digits: String,
    },
    Pin {
        mailbox: String,
        digits: String,
    },
    Checking {
        mailbox: String,
    },
    /// Waiting for the mailbox; `another` when the caller pressed `*` meanwhile.
    Opening {
        another: bool,
    },
    /// "You have …" plays; `*` still opens another mailbox, other keys choose from the menu.
    Intro,
    Main,
    /// Message `index` (with its "received at") is playing.
    Playing {
        index: usize,
    },
    /// The message menu after message `index`.
    MessageMenu {
        index: usize,
    },
    RecordPrompt,
    Recording {
        until: Instant,
    },
    Saving,
    Bye,
    Done,
}

/// One caller's walk through the menu.
#[derive(Debug)]
pub struct Menu {
    state: State,
    lang: Lang,
    tz: jiff::tz::TimeZone,
    mailbox: Mailbox,
    playing: bool,
    /// When silence since the last prompt counts as no answer.
    wait_until: Option<Instant>,
    silent: u32,
    login_failures: u32,
    actions: VecDeque<Action>,
}

impl Menu {
    /// Starts a call: message times are said in `tz`.
    pub fn new(login: Login, lang: Lang, tz: jiff::tz::TimeZone) -> Menu {
        let mut m = Menu {
            state: State::Done,
            lang,
            tz,
            mailbox: Mailbox::default(),
            playing: false,
            wait_until: None,
            silent: 0,
            login_failures: 0,
            actions: VecDeque::new(),
        };
        match login {
            Login::Owner(owner) => {
                m.state = State::Welcome { owner };
                m.play(&[Prompt::Welcome], &[Audio::Pause(WELCOME_PAUSE)]);
            }
            Login::Ask => {
                m.state = State::Mailbox {
                    digits: String::new(),
                };
                m.play(&[Prompt::Welcome, Prompt::EnterMailbox], &[]);
            }
        }
        m
    }

    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When [`Menu::handle_timeout`] wants to run next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let recording = match self.state {
            State::Recording { until } => Some(until),
            _ => None,
        };
        match (self.wait_until, recording) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The call is over (after [`Action::Hangup`]).
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    pub fn handle(&mut self, input: Input, now: Instant) {
        match input {
            Input::Digit(d) => self.on_digit(d, now),
            Input::PromptDone => self.on_prompt_done(now),
            Input::Pin(check) => self.on_pin(check),
            Input::Opened(mailbox) => self.on_opened(mailbox),
            Input::RecordingDone { saved } => {
                if self.state != State::Saving {
                    return;
                }
                self.state = State::Main;
                if saved {
                    self.mailbox.has_greeting = true;
                    self.play(&[Prompt::GreetingSaved, Prompt::MainMenu], &[]);
                } else {
                    self.play(&[Prompt::CannotRecord, Prompt::MainMenu], &[]);
                }
            }
        }
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if let State::Recording { until } = self.state {
            if now >= until {
                self.finish_recording();
                return;
            }
        }
        let Some(at) = self.wait_until else { return };
        if now < at {
            return;
        }
        self.wait_until = None;
        self.silent += 1;
        if self.silent >= SILENT_LIMIT {
            return self.goodbye(&[]);
        }
        match &mut self.state {
            State::Mailbox { digits } => {
                digits.clear();
                self.play(&[Prompt::EnterMailbox], &[]);
            }
            State::Pin { digits, .. } => {
                digits.clear();
                self.play(&[Prompt::EnterPin], &[]);
            }
            State::Main => self.play(&[Prompt::MainMenu], &[]),
            State::MessageMenu { .. } => self.play(&[Prompt::MessageMenu], &[]),
            _ => {}
        }
    }

    /// Queues `prompts` then `then` as one playback.
    fn play(&mut self, prompts: &[Prompt], then: &[Audio]) {
        let mut audio: Vec<Audio> = prompts.iter().map(|p| Audio::Prompt(*p)).collect();
        audio.extend_from_slice(then);
        self.actions.push_back(Action::Play(audio));
        self.playing = true;
        self.wait_until = None;
    }

    fn goodbye(&mut self, before: &[Prompt]) {
        let mut p = before.to_vec();
        p.push(Prompt::Goodbye);
        self.state = State::Bye;
        self.play(&p, &[]);
    }

    fn on_prompt_done(&mut self, now: Instant) {
        if !self.playing {
            // A report for a playback already replaced or stopped.
            return;
        }
        self.playing = false;
        match std::mem::replace(&mut self.state, State::Done) {
            State::Welcome { owner } => {
                self.actions.push_back(Action::Open(owner));
                self.state = State::Opening { another: false };
            }
            State::Intro => {
                self.state = State::Main;
                self.play(&[Prompt::MainMenu], &[]);
            }
            State::Playing { index } => {
                if let Some(m) = self.mailbox.messages.get_mut(index) {
                    if !m.heard {
                        m.heard = true;
                        self.actions.push_back(Action::MarkHeard(m.id));
                    }
                }
                self.state = State::MessageMenu { index };
                self.play(&[Prompt::MessageMenu], &[]);
            }
            State::RecordPrompt => {
                self.actions.push_back(Action::Record);
                self.state = State::Recording {
                    until: now + MAX_GREETING,
                };
            }
            State::Bye => {
                self.actions.push_back(Action::Hangup);
            }
            other => {
                // Menus and entries now wait for the caller.
                if matches!(
                    other,
                    State::Mailbox { .. }
                        | State::Pin { .. }
                        | State::Main
                        | State::MessageMenu { .. }
                ) {
                    self.wait_until = Some(now + SILENCE);
                }
                self.state = other;
            }
        }
    }

    fn on_digit(&mut self, d: char, now: Instant) {
        self.silent = 0;
        match std::mem::replace(&mut self.state, State::Done) {
            // The welcome and "you have …" are short, and a phone's first key can take a
            // while to arrive: `*` opens another mailbox until the menu itself starts.
            State::Welcome { .. } | State::Intro if d == '*' => self.ask_mailbox(),
            State::Welcome { owner } => self.state = State::Welcome { owner },
            State::Intro => self.main_choice(d),
            State::Opening { .. } => self.state = State::Opening { another: d == '*' },
            State::Mailbox { mut digits } => match d {
                '0'..='9' => {
                    self.barge_in();
                    push_digit(&mut digits, d);
                    self.state = State::Mailbox { digits };
                    self.wait_until = Some(now + SILENCE);
                }
                '#' if !digits.is_empty() => {
                    self.state = State::Pin {
                        mailbox: digits,
                        digits: String::new(),
                    };
                    self.play(&[Prompt::EnterPin], &[]);
                }
                _ => {
                    self.state = State::Mailbox {
                        digits: String::new(),
                    };
                    self.play(&[Prompt::Invalid, Prompt::EnterMailbox], &[]);
                }
            },
            State::Pin {
                mailbox,
                mut digits,
            } => match d {
                '0'..='9' => {
                    self.barge_in();
                    push_digit(&mut digits, d);
                    self.state = State::Pin { mailbox, digits };
                    self.wait_until = Some(now + SILENCE);
                }
                '#' if !digits.is_empty() => {
                    self.barge_in();
                    self.wait_until = None;
                    self.actions.push_back(Action::CheckPin {
                        mailbox: mailbox.clone(),
                        pin: digits,
                    });
                    self.state = State::Checking { mailbox };
                }
                _ => {
                    self.state = State::Pin {
                        mailbox,
                        digits: String::new(),
                    };
                    self.play(&[Prompt::Invalid, Prompt::EnterPin], &[]);
                }
            },
            State::Main => self.main_choice(d),
            State::Playing { index } | State::MessageMenu { index } => {
                self.message_choice(index, d)
            }
            State::RecordPrompt => {
                if d == '*' {
                    self.state = State::Main;
                    self.play(&[Prompt::MainMenu], &[]);
                } else {
                    self.state = State::RecordPrompt;
                }
            }
            State::Recording { until } => {
                self.state = State::Recording { until };
                if d == '#' {
                    self.finish_recording();
                }
            }
            // Storage is answering or the call is ending: keys mean nothing now.
            other => self.state = other,
        }
    }

    /// Typing over an entry prompt silences it.
    fn barge_in(&mut self) {
        if self.playing {
            self.playing = false;
            self.actions.push_back(Action::Stop);
        }
    }

    fn main_choice(&mut self, d: char) {
        self.state = State::Main;
        match d {
            '2' if self.mailbox.messages.is_empty() => {
                self.play(&[Prompt::NoMessages, Prompt::MainMenu], &[])
            }
            '2' => self.play_message(0, &[]),
            '4' if self.mailbox.has_greeting => {
                self.play(&[], &[Audio::Greeting, Audio::Prompt(Prompt::MainMenu)])
            }
            '4' | '6' if !self.mailbox.has_greeting => {
                self.play(&[Prompt::NoGreeting, Prompt::MainMenu], &[])
            }
            '5' => {
                self.state = State::RecordPrompt;
                self.play(&[Prompt::RecordGreeting, Prompt::Beep], &[]);
            }
            '6' => {
                self.mailbox.has_greeting = false;
                self.actions.push_back(Action::DeleteGreeting);
                self.play(&[Prompt::GreetingDeleted, Prompt::MainMenu], &[]);
            }
            '0' => self.play(&[Prompt::MainMenu], &[]),
            '*' => self.goodbye(&[]),
            _ => self.play(&[Prompt::Invalid, Prompt::MainMenu], &[]),
        }
    }

    fn message_choice(&mut self, index: usize, d: char) {
        let len = self.mailbox.messages.len();
        match d {
            '1' => self.play_message(index.saturating_sub(1), &[]),
            '2' => self.play_message(index, &[]),
            '3' if index + 1 < len => self.play_message(index + 1, &[]),
            '3' => {
                self.state = State::Main;
                self.play(&[Prompt::NoMoreMessages, Prompt::MainMenu], &[]);
            }
            '7' if index < len => {
                let gone = self.mailbox.messages.remove(index);
                self.actions.push_back(Action::Delete(gone.id));
                if index < self.mailbox.messages.len() {
                    self.play_message(index, &[Prompt::MessageDeleted]);
                } else {
                    self.state = State::Main;
                    self.play(
                        &[
                            Prompt::MessageDeleted,
                            Prompt::NoMoreMessages,
                            Prompt::MainMenu,
                        ],
                        &[],
                    );
                }
            }
            '0' => {
                self.state = State::Main;
                self.play(&[Prompt::MainMenu], &[]);
            }
            '*' => self.goodbye(&[]),
            _ => {
                self.state = State::MessageMenu { index };
                self.play(&[Prompt::Invalid, Prompt::MessageMenu], &[]);
            }
        }
    }

    /// Plays message `index`, introduced with when it came in the switch's time zone.
    fn play_message(&mut self, index: usize, before: &[Prompt]) {
        let Some(m) = self.mailbox.messages.get(index) else {
            self.state = State::Main;
            return self.play(&[Prompt::NoMoreMessages, Prompt::MainMenu], &[]);
        };
        let mut p = before.to_vec();
        if let Ok(ts) = jiff::Timestamp::from_second(m.created_at) {
            p.extend(prompts::received_at(
                self.lang,
                &ts.to_zoned(self.tz.clone()),
            ));
        }
        let id = m.id;
        self.state = State::Playing { index };
        self.play(&p, &[Audio::Message(id)]);
    }

    fn finish_recording(&mut self) {
        self.actions.push_back(Action::SaveGreeting);
        self.state = State::Saving;
    }

    fn on_pin(&mut self, check: PinCheck) {
        let State::Checking { mailbox } = &self.state else {
            return;
        };
        let mailbox = mailbox.clone();
        match check {
            PinCheck::Opened => {
                self.actions.push_back(Action::Open(mailbox));
                self.state = State::Opening { another: false };
            }
            PinCheck::Locked => self.goodbye(&[Prompt::Locked]),
            PinCheck::Wrong => {
                self.login_failures += 1;
                if self.login_failures >= LOGIN_ATTEMPTS {
                    return self.goodbye(&[Prompt::WrongPin]);
                }
                self.state = State::Mailbox {
                    digits: String::new(),
                };
                self.play(&[Prompt::WrongPin, Prompt::EnterMailbox], &[]);
            }
        }
    }

    fn on_opened(&mut self, mailbox: Option<Mailbox>) {
        let State::Opening { another } = self.state else {
            return;
        };
        if another {
            return self.ask_mailbox();
        }
        let Some(mailbox) = mailbox else {
            return self.goodbye(&[]);
        };
        self.mailbox = mailbox;
        self.state = State::Intro;
        let p = self.summary();
        self.play(&p, &[]);
    }

    fn ask_mailbox(&mut self) {
        self.mailbox = Mailbox::default();
        self.state = State::Mailbox {
            digits: String::new(),
        };
        self.play(&[Prompt::EnterMailbox], &[]);
    }

    /// "You have 2 new messages", then the saved ones; "no messages" when empty.
    fn summary(&self) -> Vec<Prompt> {
        let new = self.mailbox.messages.iter().filter(|m| !m.heard).count();
        let saved = self.mailbox.messages.len() - new;
        let n = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        match (new, saved) {
            (0, 0) => vec![Prompt::NoMessages],
            (0, s) => prompts::count(n(s), Prompt::SavedMessage, Prompt::SavedMessages),
            (new, 0) => prompts::count(n(new), Prompt::NewMessage, Prompt::NewMessages),
            (new, s) => {
                let mut p = prompts::count(n(new), Prompt::NewMessage, Prompt::NewMessages);
                p.extend(prompts::count(
                    n(s),
                    Prompt::SavedMessage,
                    Prompt::SavedMessages,
                ));
                p
            }
        }
    }
}

fn push_digit(digits: &mut String, d: char) {
    if digits.len() < MAX_DIGITS {
        digits.push(d);
    }
}
