//! The menu machine walked with a fake clock: logins, menus, barge-in, silence, bad keys.

use super::machine::*;
use crate::media::prompts::{Lang, Prompt};
use crate::store::{MailboxMessage, PinCheck};
use std::time::{Duration, Instant};

struct Walk {
    menu: Menu,
    now: Instant,
}

fn p(ps: &[Prompt]) -> Action {
    Action::Play(ps.iter().map(|p| Audio::Prompt(*p)).collect())
}

impl Walk {
    fn new(login: Login) -> Walk {
        Walk {
            menu: Menu::new(login, Lang::Sv, jiff::tz::TimeZone::UTC),
            now: Instant::now(),
        }
    }

    fn actions(&mut self) -> Vec<Action> {
        std::iter::from_fn(|| self.menu.poll_action()).collect()
    }

    fn input(&mut self, i: Input) -> Vec<Action> {
        self.menu.handle(i, self.now);
        self.actions()
    }

    fn keys(&mut self, keys: &str) -> Vec<Action> {
        keys.chars()
            .flat_map(|d| self.input(Input::Digit(d)))
            .collect()
    }

    fn done(&mut self) -> Vec<Action> {
        self.input(Input::PromptDone)
    }

    /// Lets `secs` of silence pass, running any timer that falls due.
    fn wait(&mut self, secs: u64) -> Vec<Action> {
        self.now += Duration::from_secs(secs);
        if self.menu.poll_timeout().is_some_and(|t| t <= self.now) {
            self.menu.handle_timeout(self.now);
        }
        self.actions()
    }
}

fn msg(id: i64, created_at: i64, heard: bool) -> MailboxMessage {
    MailboxMessage {
        id,
        created_at,
        heard,
    }
}

/// 2026-12-07 16:08 UTC and an hour earlier.
const T: i64 = 1_796_659_680;

fn mailbox() -> Mailbox {
    Mailbox {
        messages: vec![msg(2, T, false), msg(1, T - 3600, true)],
        has_greeting: false,
    }
}

/// The owner's login up to the main menu.
fn owner_in_main_menu() -> Walk {
    let mut w = Walk::new(Login::Owner("alice".into()));
    assert_eq!(
        w.actions(),
        vec![Action::Play(vec![
            Audio::Prompt(Prompt::Welcome),
            Audio::Pause(WELCOME_PAUSE)
        ])]
    );
    assert_eq!(w.done(), vec![Action::Open("alice".into())]);
    let a = w.input(Input::Opened(Some(mailbox())));
    assert_eq!(
        a,
        vec![p(&[
            Prompt::YouHave,
            Prompt::Number(1),
            Prompt::NewMessage,
            Prompt::YouHave,
            Prompt::Number(1),
            Prompt::SavedMessage,
        ])]
    );
    assert_eq!(w.done(), vec![p(&[Prompt::MainMenu])]);
    w
}

fn plays_message(a: &[Action], id: i64) -> bool {
    matches!(a.last(), Some(Action::Play(v))
        if v.last() == Some(&Audio::Message(id))
            && v.contains(&Audio::Prompt(Prompt::Received)))
}

#[test]
fn owner_listens_newest_first_marks_heard_and_deletes() {
    let mut w = owner_in_main_menu();
    // Barge-in: 2 during the menu prompt starts the newest message at once.
    let a = w.keys("2");
    assert!(plays_message(&a, 2), "{a:?}");
    // Said in the switch's zone (UTC here): "mottaget sjunde december klockan sexton noll åtta".
    let Action::Play(v) = &a[0] else { panic!() };
    assert!(v.starts_with(&[
        Audio::Prompt(Prompt::Received),
        Audio::Prompt(Prompt::Ordinal(7)),
        Audio::Prompt(Prompt::Month(12)),
        Audio::Prompt(Prompt::At),
        Audio::Prompt(Prompt::Number(16)),
    ]));
    // Played to the end: marked heard, then the message menu.
    assert_eq!(
        w.done(),
        vec![Action::MarkHeard(2), p(&[Prompt::MessageMenu])]
    );
    // Repeat (2) and play to the end again: not marked twice.
    assert!(plays_message(&w.keys("2"), 2));
    assert_eq!(w.done(), vec![p(&[Prompt::MessageMenu])]);
    // Next (3): the older, already heard message.
    assert!(plays_message(&w.keys("3"), 1));
    // 7 during playback deletes it; it was the last one.
    assert_eq!(
        w.keys("7"),
        vec![
            Action::Delete(1),
            p(&[
                Prompt::MessageDeleted,
                Prompt::NoMoreMessages,
                Prompt::MainMenu
            ])
        ]
    );
    // Back in the main menu, 2 plays what is left; 1 at the first message repeats it.
    assert!(plays_message(&w.keys("2"), 2));
    assert!(plays_message(&w.keys("1"), 2));
    // 7 deletes the only one; 2 then says there are none.
    w.keys("7");
    assert_eq!(
        w.keys("2"),
        vec![p(&[Prompt::NoMessages, Prompt::MainMenu])]
    );
    // * says goodbye and hangs up when it has been said.
    assert_eq!(w.keys("*"), vec![p(&[Prompt::Goodbye])]);
    assert_eq!(w.keys("2"), vec![], "keys during goodbye do nothing");
    assert_eq!(w.done(), vec![Action::Hangup]);
}

#[test]
fn deleting_in_the_middle_goes_on_with_the_next_message() {
    let mut w = owner_in_main_menu();
    w.keys("2");
    let a = w.keys("7");
    assert_eq!(a[0], Action::Delete(2));
    let Action::Play(v) = &a[1] else { panic!() };
    assert_eq!(v[0], Audio::Prompt(Prompt::MessageDeleted));
    assert_eq!(v.last(), Some(&Audio::Message(1)));
    // 0 goes back to the main menu, * in the message menu ends the call.
    assert_eq!(w.keys("0"), vec![p(&[Prompt::MainMenu])]);
    w.keys("2");
    assert_eq!(w.keys("*"), vec![p(&[Prompt::Goodbye])]);
}

#[test]
fn skipped_message_stays_new() {
    let mut w = owner_in_main_menu();
    w.keys("2");
    // Next before the end: message 2 is not marked heard.
    assert!(plays_message(&w.keys("3"), 1));
    assert_eq!(w.done(), vec![p(&[Prompt::MessageMenu])]);
    assert_eq!(
        w.keys("3"),
        vec![p(&[Prompt::NoMoreMessages, Prompt::MainMenu])]
    );
}

#[test]
fn garbage_keys_say_invalid_and_the_menu_again() {
    let mut w = owner_in_main_menu();
    for k in ["9", "#", "1", "3", "7", "A"] {
        assert_eq!(
            w.keys(k),
            vec![p(&[Prompt::Invalid, Prompt::MainMenu])],
            "main menu key {k}"
        );
    }
    w.keys("2");
    for k in ["9", "#", "4", "5", "6", "8", "D"] {
        assert_eq!(
            w.keys(k),
            vec![p(&[Prompt::Invalid, Prompt::MessageMenu])],
            "message key {k}"
        );
    }
    // The brief's garbage: 9#9* — invalid, invalid, invalid, then goodbye.
    assert_eq!(w.keys("0"), vec![p(&[Prompt::MainMenu])]);
    let a = w.keys("9#9*");
    assert_eq!(a.len(), 4);
    assert_eq!(a[3], p(&[Prompt::Goodbye]));
}

#[test]
fn silence_repeats_the_menu_then_hangs_up() {
    let mut w = owner_in_main_menu();
    assert_eq!(w.wait(30), vec![], "no timer while the menu plays");
    w.done();
    assert_eq!(w.wait(9), vec![]);
    assert_eq!(w.wait(1), vec![p(&[Prompt::MainMenu])]);
    w.done();
    assert_eq!(w.wait(10), vec![p(&[Prompt::MainMenu])]);
    w.done();
    assert_eq!(w.wait(10), vec![p(&[Prompt::Goodbye])]);
    assert_eq!(w.done(), vec![Action::Hangup]);
    assert!(w.menu.is_done());
}

#[test]
fn a_key_resets_the_silence_count() {
    let mut w = owner_in_main_menu();
    w.done();
    w.wait(10);
    w.done();
    w.wait(10);
    w.keys("0");
    w.done();
    assert_eq!(w.wait(10), vec![p(&[Prompt::MainMenu])]);
    w.done();
    assert_eq!(w.wait(10), vec![p(&[Prompt::MainMenu])]);
}

#[test]
fn greeting_listen_record_and_delete() {
    let mut w = owner_in_main_menu();
    assert_eq!(
        w.keys("4"),
        vec![p(&[Prompt::NoGreeting, Prompt::MainMenu])]
    );
    assert_eq!(
        w.keys("6"),
        vec![p(&[Prompt::NoGreeting, Prompt::MainMenu])]
    );
    assert_eq!(
        w.keys("5"),
        vec![p(&[Prompt::RecordGreeting, Prompt::Beep])]
    );
    assert_eq!(w.keys("1"), vec![], "keys during the record prompt wait");
    assert_eq!(w.done(), vec![Action::Record]);
    // Silence while recording is not "no answer": only the 60 s limit ends it.
    assert_eq!(w.wait(10), vec![]);
    assert_eq!(w.keys("5"), vec![]);
    assert_eq!(w.keys("#"), vec![Action::SaveGreeting]);
    assert_eq!(
        w.input(Input::RecordingDone { saved: true }),
        vec![p(&[Prompt::GreetingSaved, Prompt::MainMenu])]
    );
    assert_eq!(
        w.keys("4"),
        vec![Action::Play(vec![
            Audio::Greeting,
            Audio::Prompt(Prompt::MainMenu)
        ])]
    );
    assert_eq!(
        w.keys("6"),
        vec![
            Action::DeleteGreeting,
            p(&[Prompt::GreetingDeleted, Prompt::MainMenu])
        ]
    );
    // A recording that reaches 60 s is saved by itself; a failed save is said.
    w.keys("5");
    w.done();
    assert_eq!(w.wait(59), vec![]);
    assert_eq!(w.wait(1), vec![Action::SaveGreeting]);
    assert_eq!(
        w.input(Input::RecordingDone { saved: false }),
        vec![p(&[Prompt::CannotRecord, Prompt::MainMenu])]
    );
    // * during the record prompt cancels back to the menu.
    w.keys("5");
    assert_eq!(w.keys("*"), vec![p(&[Prompt::MainMenu])]);
}

#[test]
fn outside_caller_gives_mailbox_and_pin() {
    let mut w = Walk::new(Login::Ask);
    assert_eq!(
        w.actions(),
        vec![p(&[Prompt::Welcome, Prompt::EnterMailbox])]
    );
    // Typing over the prompt stops it (barge-in); digits collect until #.
    assert_eq!(w.keys("1"), vec![Action::Stop]);
    assert_eq!(w.keys("001#"), vec![p(&[Prompt::EnterPin])]);
    assert_eq!(w.keys("4321"), vec![Action::Stop]);
    assert_eq!(
        w.keys("#"),
        vec![Action::CheckPin {
            mailbox: "1001".into(),
            pin: "4321".into()
        }]
    );
    assert_eq!(w.keys("5"), vec![], "keys while the PIN is checked");
    assert_eq!(
        w.input(Input::Pin(PinCheck::Opened)),
        vec![Action::Open("1001".into())]
    );
    let a = w.input(Input::Opened(Some(Mailbox::default())));
    assert_eq!(a, vec![p(&[Prompt::NoMessages])]);
    // A key during "you have …" already chooses from the menu.
    assert_eq!(
        w.keys("2"),
        vec![p(&[Prompt::NoMessages, Prompt::MainMenu])]
    );
}

#[test]
fn wrong_pins_ask_again_then_hang_up_and_locked_says_so() {
    let mut w = Walk::new(Login::Ask);
    w.actions();
    for attempt in 1..=LOGIN_ATTEMPTS {
        w.keys("1001#");
        w.keys("1111#");
        let a = w.input(Input::Pin(PinCheck::Wrong));
        if attempt < LOGIN_ATTEMPTS {
            assert_eq!(a, vec![p(&[Prompt::WrongPin, Prompt::EnterMailbox])]);
        } else {
            assert_eq!(a, vec![p(&[Prompt::WrongPin, Prompt::Goodbye])]);
        }
    }
    assert_eq!(w.done(), vec![Action::Hangup]);

    let mut w = Walk::new(Login::Ask);
    w.actions();
    w.keys("1001#4321#");
    assert_eq!(
        w.input(Input::Pin(PinCheck::Locked)),
        vec![p(&[Prompt::Locked, Prompt::Goodbye])]
    );
    assert_eq!(w.keys("1"), vec![]);
    assert_eq!(w.done(), vec![Action::Hangup]);
}

#[test]
fn entry_mistakes_and_silence() {
    let mut w = Walk::new(Login::Ask);
    w.actions();
    // # with nothing typed, * and letters start the entry over.
    for k in ["#", "*", "B"] {
        assert_eq!(w.keys(k), vec![p(&[Prompt::Invalid, Prompt::EnterMailbox])]);
    }
    w.keys("12*");
    w.done();
    // Digits typed before a silence are forgotten when the prompt repeats.
    w.keys("9");
    assert_eq!(w.wait(10), vec![p(&[Prompt::EnterMailbox])]);
    assert_eq!(w.keys("1001#"), vec![Action::Stop, p(&[Prompt::EnterPin])]);
    assert_eq!(w.keys("#"), vec![p(&[Prompt::Invalid, Prompt::EnterPin])]);
    // An absurdly long PIN is kept bounded (and simply wrong).
    let long = "1".repeat(500);
    w.keys(&long);
    let a = w.keys("#");
    let Some(Action::CheckPin { pin, .. }) = a.last() else {
        panic!("{a:?}")
    };
    assert!(pin.len() <= 20);
}

#[test]
fn owner_presses_star_to_open_another_mailbox() {
    let mut w = Walk::new(Login::Owner("bob".into()));
    w.actions();
    assert_eq!(w.keys("5"), vec![], "other keys during the welcome wait");
    assert_eq!(w.keys("*"), vec![p(&[Prompt::EnterMailbox])]);
    w.keys("1001#");
    let a = w.keys("4321#");
    assert_eq!(
        a.last(),
        Some(&Action::CheckPin {
            mailbox: "1001".into(),
            pin: "4321".into()
        })
    );
}

#[test]
fn star_until_the_menu_starts_opens_another_mailbox() {
    // Pressed while the owner's mailbox is being read.
    let mut w = Walk::new(Login::Owner("bob".into()));
    w.actions();
    assert_eq!(w.done(), vec![Action::Open("bob".into())]);
    assert_eq!(w.keys("*"), vec![]);
    assert_eq!(
        w.input(Input::Opened(Some(mailbox()))),
        vec![p(&[Prompt::EnterMailbox])]
    );
    // Pressed during "you have …".
    let mut w = Walk::new(Login::Owner("bob".into()));
    w.actions();
    w.done();
    w.input(Input::Opened(Some(mailbox())));
    assert_eq!(w.keys("*"), vec![p(&[Prompt::EnterMailbox])]);
    // The other mailbox is a fresh start: what bob's held is forgotten.
    w.keys("1001#");
    w.keys("4321#");
    w.input(Input::Pin(PinCheck::Opened));
    assert_eq!(
        w.input(Input::Opened(Some(Mailbox::default()))),
        vec![p(&[Prompt::NoMessages])]
    );
    // Once the menu plays, * means goodbye.
    w.done();
    assert_eq!(w.keys("*"), vec![p(&[Prompt::Goodbye])]);
}

#[test]
fn unreadable_mailbox_says_goodbye() {
    let mut w = Walk::new(Login::Owner("alice".into()));
    w.actions();
    w.done();
    assert_eq!(w.input(Input::Opened(None)), vec![p(&[Prompt::Goodbye])]);
    // Late or stray answers change nothing.
    assert_eq!(w.input(Input::Pin(PinCheck::Opened)), vec![]);
    assert_eq!(w.input(Input::RecordingDone { saved: true }), vec![]);
    assert_eq!(w.done(), vec![Action::Hangup]);
    assert_eq!(w.done(), vec![], "a second PromptDone is stale");
}
