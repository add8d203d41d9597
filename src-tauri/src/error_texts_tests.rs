//! Every error code the app can hand the UI has a Swedish and an English text (issue 18): a
//! code without one reaches the user as raw English detail. The codes are the dial crate's
//! `DialError::ALL_CODES` plus those the app's own sources create — `UiError::new("code", …)`
//! and the `=> "code"` arms of the `From<…> for UiError` conversions — read from the files, so a
//! new code cannot be added without its texts.

use std::collections::BTreeSet;
use std::path::Path;

/// The string literal starting right after `prefix` in `text`, if it is a code (`[a-z_]+`).
fn literal_after<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    text.match_indices(prefix)
        .filter_map(|(at, _)| {
            let rest = text[at + prefix.len()..].trim_start();
            let rest = rest.strip_prefix('"')?;
            let code = &rest[..rest.find('"')?];
            (!code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
                .then_some(code)
        })
        .collect()
}

/// Codes of the `=> "code"` arms inside `impl From<…> for UiError` blocks.
fn from_impl_codes(text: &str) -> Vec<&str> {
    let mut codes = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("for UiError {") {
        let block = &rest[start..];
        // The impl ends at the first closing brace at the start of a line.
        let end = block.find("\n}").unwrap_or(block.len());
        codes.extend(literal_after(&block[..end], "=>"));
        rest = &block[end..];
    }
    codes
}

fn app_codes() -> BTreeSet<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut codes: BTreeSet<String> = koppla_dial::DialError::ALL_CODES
        .iter()
        .map(|c| c.to_string())
        .collect();
    for entry in std::fs::read_dir(&src).expect("src-tauri/src") {
        let path = entry.expect("entry").path();
        // This file names the patterns in its comments.
        if path.extension().is_none_or(|e| e != "rs") || path.ends_with("error_texts_tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("source file");
        let found = literal_after(&text, "UiError::new(")
            .into_iter()
            .chain(from_impl_codes(&text));
        codes.extend(found.map(str::to_string));
    }
    codes
}

fn texts(lang: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../ui/src/lang/{lang}.ts"));
    std::fs::read_to_string(path).expect("UI language table")
}

#[test]
fn every_error_code_has_swedish_and_english_text() {
    let codes = app_codes();
    // The scan finds the codes it should (a broken scan must not pass by finding nothing).
    for known in [
        "no_switch",
        "pickup_not_allowed",
        "nothing_ringing",
        "storage",
        "empty",
    ] {
        assert!(codes.contains(known), "{known} not found among {codes:?}");
    }
    for lang in ["sv", "en"] {
        let table = texts(lang);
        let missing: Vec<&String> = codes
            .iter()
            .filter(|c| !table.contains(&format!("\"error.{c}\":")))
            .collect();
        assert!(
            missing.is_empty(),
            "error codes without a text in ui/src/lang/{lang}.ts: {missing:?}"
        );
    }
}
