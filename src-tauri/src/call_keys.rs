//! The in-window call shortcuts (answer, hang up, hold, mute, focus search): which key
//! combinations are allowed. The UI checks the same rules (ui/src/lib/shortcuts.ts) while the user
//! records a combination; this is the guard for whatever reaches the settings.

use crate::ipc_types::CallKeys;

/// Modifiers in the order a combination is written.
const MODIFIERS: [&str; 4] = ["Ctrl", "Alt", "Shift", "Meta"];

const NAMED_KEYS: [&str; 15] = [
    "Enter",
    "Escape",
    "Space",
    "Tab",
    "Backspace",
    "Delete",
    "Insert",
    "Home",
    "End",
    "PageUp",
    "PageDown",
    "ArrowUp",
    "ArrowDown",
    "ArrowLeft",
    "ArrowRight",
];

/// Taken by text editing or by the window itself (Alt+1..4 switch tabs).
const RESERVED: [&str; 10] = [
    "Ctrl+A", "Ctrl+C", "Ctrl+V", "Ctrl+X", "Ctrl+Z", "Ctrl+Y", "Alt+1", "Alt+2", "Alt+3", "Alt+4",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("a combination needs a key besides the modifiers")]
    NoKey,
    #[error("unknown key {0:?}")]
    UnknownKey(String),
    #[error("{0} without Ctrl, Alt or Meta would be typed into text fields")]
    Typing(String),
    #[error("{0} is already used for text editing or by the window")]
    Reserved(String),
    #[error("{0} is the global dial hotkey")]
    GlobalHotkey(String),
    #[error("{0} is used twice")]
    Duplicate(String),
}

fn function_key(key: &str) -> Option<String> {
    let digits = key.strip_prefix('F').or_else(|| key.strip_prefix('f'))?;
    let n: u8 = digits.parse().ok()?;
    (1..=24).contains(&n).then(|| format!("F{n}"))
}

fn canonical_key(key: &str) -> Result<String, KeyError> {
    if let Some(f) = function_key(key) {
        return Ok(f);
    }
    if let Some(named) = NAMED_KEYS.iter().find(|n| n.eq_ignore_ascii_case(key)) {
        return Ok((*named).to_string());
    }
    let mut chars = key.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if !c.is_control() && !c.is_whitespace() && c != '+' => {
            Ok(c.to_uppercase().collect())
        }
        _ => Err(KeyError::UnknownKey(key.to_string())),
    }
}

/// Parses "ctrl+shift+h" into the canonical "Ctrl+Shift+H" and checks it is allowed.
pub fn canonical(combination: &str) -> Result<String, KeyError> {
    let parts: Vec<&str> = combination.split('+').map(str::trim).collect();
    let (key, modifiers) = parts.split_last().ok_or(KeyError::NoKey)?;
    let mut held = [false; 4];
    for part in modifiers {
        let index = MODIFIERS
            .iter()
            .position(|m| m.eq_ignore_ascii_case(part))
            .ok_or_else(|| KeyError::UnknownKey((*part).to_string()))?;
        held[index] = true;
    }
    if key.is_empty() || MODIFIERS.iter().any(|m| m.eq_ignore_ascii_case(key)) {
        return Err(KeyError::NoKey);
    }
    let key = canonical_key(key)?;
    let mut text: Vec<&str> = MODIFIERS
        .iter()
        .zip(held)
        .filter_map(|(name, on)| on.then_some(*name))
        .collect();
    text.push(&key);
    let text = text.join("+");
    let commands = held[0] || held[1] || held[3];
    if !commands && function_key(&key).is_none() {
        return Err(KeyError::Typing(text));
    }
    if RESERVED.contains(&text.as_str()) {
        return Err(KeyError::Reserved(text));
    }
    Ok(text)
}

/// Checks every shortcut; `global` is the dial hotkey, which the OS takes before the window.
pub fn check(keys: &CallKeys, global: &str) -> Vec<(&'static str, KeyError)> {
    let global = canonical(global).unwrap_or_else(|_| global.to_string());
    let mut seen: Vec<String> = Vec::new();
    let mut problems = Vec::new();
    for (action, combination) in entries(keys) {
        if combination.trim().is_empty() {
            continue;
        }
        match canonical(combination) {
            Err(err) => problems.push((action, err)),
            Ok(text) if text.eq_ignore_ascii_case(&global) => {
                problems.push((action, KeyError::GlobalHotkey(text)))
            }
            Ok(text) if seen.contains(&text) => problems.push((action, KeyError::Duplicate(text))),
            Ok(text) => seen.push(text),
        }
    }
    problems
}

fn entries(keys: &CallKeys) -> [(&'static str, &String); 5] {
    [
        ("answer", &keys.answer),
        ("hangup", &keys.hangup),
        ("hold", &keys.hold),
        ("mute", &keys.mute),
        ("focusSearch", &keys.focus_search),
    ]
}

/// Writes every shortcut canonically; one that is not allowed, or repeats an earlier one, is
/// switched off rather than left to fire the wrong action.
pub fn normalise(keys: CallKeys, global: &str) -> CallKeys {
    let bad: Vec<&str> = check(&keys, global)
        .into_iter()
        .map(|(action, _)| action)
        .collect();
    let fix = |action: &str, combination: String| {
        if bad.contains(&action) {
            String::new()
        } else {
            canonical(&combination).unwrap_or_default()
        }
    };
    CallKeys {
        answer: fix("answer", keys.answer),
        hangup: fix("hangup", keys.hangup),
        hold: fix("hold", keys.hold),
        mute: fix("mute", keys.mute),
        focus_search: fix("focusSearch", keys.focus_search),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinations_are_written_one_way() {
        assert_eq!(canonical("shift+ctrl+h").as_deref(), Ok("Ctrl+Shift+H"));
        assert_eq!(canonical("f9").as_deref(), Ok("F9"));
        assert_eq!(canonical("Shift+F24").as_deref(), Ok("Shift+F24"));
        assert_eq!(canonical("alt+pageup").as_deref(), Ok("Alt+PageUp"));
        assert_eq!(canonical("Ctrl+ö").as_deref(), Ok("Ctrl+Ö"));
        assert_eq!(canonical("Meta+Enter").as_deref(), Ok("Meta+Enter"));
    }

    #[test]
    fn keys_that_would_be_typed_are_refused() {
        assert_eq!(canonical("h"), Err(KeyError::Typing("H".into())));
        assert_eq!(
            canonical("Shift+H"),
            Err(KeyError::Typing("Shift+H".into()))
        );
        assert_eq!(canonical("Enter"), Err(KeyError::Typing("Enter".into())));
        assert_eq!(
            canonical("Backspace"),
            Err(KeyError::Typing("Backspace".into()))
        );
        assert_eq!(canonical("F25"), Err(KeyError::UnknownKey("F25".into())));
    }

    #[test]
    fn editing_and_tab_keys_stay_with_the_window() {
        assert_eq!(
            canonical("ctrl+c"),
            Err(KeyError::Reserved("Ctrl+C".into()))
        );
        assert_eq!(canonical("Alt+2"), Err(KeyError::Reserved("Alt+2".into())));
        assert!(canonical("Alt+5").is_ok());
    }

    #[test]
    fn malformed_combinations_are_refused() {
        assert_eq!(canonical("Ctrl+"), Err(KeyError::NoKey));
        assert_eq!(canonical("Ctrl+Shift"), Err(KeyError::NoKey));
        assert_eq!(
            canonical("Hyper+K"),
            Err(KeyError::UnknownKey("Hyper".into()))
        );
        assert_eq!(canonical("Ctrl+ab"), Err(KeyError::UnknownKey("ab".into())));
    }

    #[test]
    fn defaults_are_allowed() {
        assert!(check(&CallKeys::default(), "F8").is_empty());
    }

    #[test]
    fn duplicates_and_the_global_hotkey_are_reported() {
        let keys = CallKeys {
            hangup: "ctrl+shift+a".into(),
            mute: "F8".into(),
            ..CallKeys::default()
        };
        assert_eq!(
            check(&keys, "F8"),
            vec![
                ("hangup", KeyError::Duplicate("Ctrl+Shift+A".into())),
                ("mute", KeyError::GlobalHotkey("F8".into())),
            ]
        );
    }

    #[test]
    fn normalising_switches_off_only_the_bad_shortcuts() {
        let keys = CallKeys {
            answer: "f9".into(),
            hangup: "F9".into(),
            hold: "x".into(),
            mute: String::new(),
            focus_search: "ctrl+k".into(),
        };
        assert_eq!(
            normalise(keys, "F8"),
            CallKeys {
                answer: "F9".into(),
                hangup: String::new(),
                hold: String::new(),
                mute: String::new(),
                focus_search: "Ctrl+K".into(),
            }
        );
    }
}
