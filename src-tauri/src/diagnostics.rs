//! Help → Diagnostics: the app log, the last SIP messages, the sound devices and the versions in
//! one zip for support. Every text passes through [`redact`] on its way into the file. The zip is
//! saved in the user's Downloads folder (the app's data folder when there is none) and a mail to
//! support is offered that says where it is, since a `mailto:` link cannot attach a file.

use std::io::Write;
use std::path::{Path, PathBuf};

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use tauri::{AppHandle, Manager};
use zip::write::SimpleFileOptions;

use crate::diagnostics_redact::redact;
use crate::errors::{UiError, UiResult};
use crate::ipc_types::DiagnosticsSaved;
use crate::sip_trace::{self, TraceEntry};

#[derive(Debug, thiserror::Error)]
pub enum DiagnosticsError {
    #[error("could not write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not build the zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("no folder to save the diagnostics file in")]
    NoFolder,
}

/// What goes into the file, before redaction.
pub struct Bundle {
    /// Log files by name, oldest first.
    pub logs: Vec<(String, String)>,
    pub trace: Vec<TraceEntry>,
    /// The sound devices as JSON.
    pub devices: String,
    pub versions: String,
}

/// Writes `bundle` as a zip to `path`, with every text redacted for `passwords`. The file
/// appears whole or not at all: it is written beside `path` and renamed into place.
pub fn write_zip(path: &Path, bundle: &Bundle, passwords: &[&str]) -> Result<(), DiagnosticsError> {
    let partial = path.with_extension("zip.part");
    let io = |source| DiagnosticsError::Write {
        path: partial.clone(),
        source,
    };
    let file = std::fs::File::create(&partial).map_err(io)?;
    let mut zip = zip::ZipWriter::new(file);
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut entries: Vec<(String, String)> = vec![
        ("versions.txt".into(), bundle.versions.clone()),
        ("sip-trace.txt".into(), sip_trace::render(&bundle.trace)),
        ("audio-devices.json".into(), bundle.devices.clone()),
    ];
    for (name, text) in &bundle.logs {
        entries.push((format!("logs/{name}"), text.clone()));
    }
    for (name, text) in entries {
        zip.start_file(name, options)?;
        zip.write_all(redact(&text, passwords).as_bytes())
            .map_err(io)?;
    }
    zip.finish()?;
    std::fs::rename(&partial, path).map_err(|source| DiagnosticsError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// "koppla-diagnostik-20261207-230405.zip", named for when it was made.
fn file_name(now_ms: u64) -> String {
    let stamp: String = sip_trace::utc(now_ms)
        .chars()
        .filter(char::is_ascii_digit)
        .take(14)
        .collect();
    format!(
        "koppla-diagnostik-{}-{}.zip",
        &stamp[..8.min(stamp.len())],
        &stamp[8.min(stamp.len())..]
    )
}

/// The mail to support, in the user's language, saying where the file is.
pub fn mailto(path: &Path, language: &str) -> String {
    let (subject, body) = if language == "en" {
        (
            "Koppla diagnostics",
            format!(
                "Hello,\n\nDescribe the problem here.\n\nThe diagnostics file is saved at:\n{}\nPlease attach it to this mail.\n",
                path.display()
            ),
        )
    } else {
        (
            "Koppla diagnostik",
            format!(
                "Hej,\n\nBeskriv problemet här.\n\nDiagnostikfilen är sparad här:\n{}\nBifoga den till det här mejlet.\n",
                path.display()
            ),
        )
    };
    format!(
        // No recipient: whoever supports Koppla at this company (its IT, the switch's
        // administrator) is the user's to fill in; a made-up address would send logs astray.
        "mailto:?subject={}&body={}",
        utf8_percent_encode(subject, NON_ALPHANUMERIC),
        utf8_percent_encode(&body, NON_ALPHANUMERIC)
    )
}

fn versions(app: &AppHandle) -> String {
    let webview = tauri::webview_version().unwrap_or_else(|err| format!("unknown ({err})"));
    let mut text = format!(
        "Koppla {}\nTauri {}\nWebview {webview}\nOS {} {} ({})\n",
        env!("CARGO_PKG_VERSION"),
        tauri::VERSION,
        std::env::consts::OS,
        std::env::consts::ARCH,
        std::env::consts::FAMILY,
    );
    #[cfg(target_os = "linux")]
    if let Ok(release) = std::fs::read_to_string("/etc/os-release") {
        if let Some(name) = release.lines().find_map(|l| l.strip_prefix("PRETTY_NAME=")) {
            text.push_str(&format!("Distribution {}\n", name.trim_matches('"')));
        }
    }
    let settings = app.state::<crate::AppState>().settings();
    text.push_str(&format!(
        "Language {}\nView {:?}\n",
        settings.language, settings.view_mode
    ));
    text
}

fn read_logs() -> Vec<(String, String)> {
    let Some(dir) = crate::log_file::dir() else {
        return Vec::new();
    };
    crate::log_file::files_in(dir)
        .into_iter()
        .filter_map(|path| {
            let bytes = std::fs::read(&path).ok()?;
            let name = path.file_name()?.to_string_lossy().into_owned();
            Some((name, String::from_utf8_lossy(&bytes).into_owned()))
        })
        .collect()
}

fn save_dir(app: &AppHandle) -> Result<PathBuf, DiagnosticsError> {
    let paths = app.path();
    paths
        .download_dir()
        .ok()
        .filter(|dir| dir.is_dir())
        .or_else(|| paths.app_data_dir().ok())
        .ok_or(DiagnosticsError::NoFolder)
}

impl From<DiagnosticsError> for UiError {
    fn from(err: DiagnosticsError) -> UiError {
        UiError::new("diagnostics_failed", err)
    }
}

/// Help → Diagnostics: writes the zip and answers where, with a mail to support.
#[tauri::command]
pub async fn diagnostics_save(app: AppHandle) -> UiResult<DiagnosticsSaved> {
    let devices = crate::audio::audio_devices().await;
    let devices = serde_json::to_string_pretty(&devices).unwrap_or_default();
    let trace = sip_trace::TRACE.snapshot();
    // The count of what is in the file, not of the ring a moment later.
    let sip_messages = u32::try_from(trace.len()).unwrap_or(u32::MAX);
    let bundle = Bundle {
        logs: read_logs(),
        trace,
        devices,
        versions: versions(&app),
    };
    let saved_password = crate::session::saved_password(&app).await;
    let dir = save_dir(&app)?;
    let path = dir.join(file_name(sip_trace::now_ms()));
    let language = app.state::<crate::AppState>().settings().language;
    let written = path.clone();
    tokio::task::spawn_blocking(move || {
        let passwords: Vec<&str> = saved_password.iter().map(String::as_str).collect();
        write_zip(&written, &bundle, &passwords)
    })
    .await
    .map_err(|err| UiError::new("diagnostics_failed", err))??;
    tracing::info!(path = %path.display(), "diagnostics file saved");
    Ok(DiagnosticsSaved {
        mailto: mailto(&path, &language),
        path: path.display().to_string(),
        sip_messages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip_trace::Direction;
    use std::io::Read;

    const PASSWORD: &str = "Hemligt-Lösen-42";

    fn unzip(path: &Path) -> Vec<(String, String)> {
        let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut file = archive.by_index(i).unwrap();
                let mut text = String::new();
                file.read_to_string(&mut text).unwrap();
                (file.name().to_string(), text)
            })
            .collect()
    }

    /// The "Done when" of issue 14: the zip holds the trace and neither the password nor an
    /// Authorization value.
    #[test]
    fn the_zip_holds_the_trace_and_no_secret() {
        let register = "REGISTER sip:koppla.local SIP/2.0\r\n\
            Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK77\r\n\
            From: <sip:anna@koppla.local>;tag=9\r\nTo: <sip:anna@koppla.local>\r\n\
            Call-ID: diag-1\r\nCSeq: 2 REGISTER\r\n\
            Authorization: Digest username=\"anna\", realm=\"koppla\", nonce=\"c0ffee11\", \
            uri=\"sip:koppla.local\", response=\"9e107d9d372bb6826bd81d3542a419d6\", algorithm=MD5\r\n\
            Content-Length: 0\r\n\r\n";
        let challenge = "SIP/2.0 401 Unauthorized\r\nCall-ID: diag-1\r\n\
            WWW-Authenticate: Digest realm=\"koppla\", nonce=\"c0ffee11\"\r\n\r\n";
        let bundle = Bundle {
            logs: vec![(
                "koppla.log".into(),
                format!("INFO login anna\nDEBUG typed password {PASSWORD}\n"),
            )],
            trace: vec![
                TraceEntry {
                    at_ms: 1_796_684_645_000,
                    direction: Direction::Received,
                    peer: "10.0.0.1:5060".into(),
                    text: challenge.into(),
                },
                TraceEntry {
                    at_ms: 1_796_684_645_100,
                    direction: Direction::Sent,
                    peer: "10.0.0.1:5060".into(),
                    text: register.into(),
                },
            ],
            devices: "{\"inputs\":[\"Mic\"]}".into(),
            versions: "Koppla 0.1.0\n".into(),
        };
        let dir = std::env::temp_dir().join(format!("koppla-diag-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("diag.zip");
        write_zip(&path, &bundle, &[PASSWORD]).unwrap();
        assert!(!path.with_extension("zip.part").exists());

        let files = unzip(&path);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "versions.txt",
                "sip-trace.txt",
                "audio-devices.json",
                "logs/koppla.log"
            ]
        );
        let trace = &files[1].1;
        assert!(trace.contains("REGISTER sip:koppla.local SIP/2.0"));
        assert!(trace.contains("SIP/2.0 401 Unauthorized"));
        assert!(trace.contains("Call-ID: diag-1"));
        assert!(trace.contains("Authorization: Digest username=\"anna\""));
        let raw = std::fs::read(&path).unwrap();
        for (name, text) in &files {
            for secret in [PASSWORD, "c0ffee11", "9e107d9d372bb6826bd81d3542a419d6"] {
                assert!(!text.contains(secret), "{secret} in {name}");
            }
        }
        // Stored files could in theory hold text uncompressed: check the bytes too.
        assert!(!raw
            .windows(PASSWORD.len())
            .any(|w| w == PASSWORD.as_bytes()));
        assert!(files[3].1.contains("typed password [redacted]"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_folder_that_cannot_be_written_is_an_error_not_a_panic() {
        let bundle = Bundle {
            logs: Vec::new(),
            trace: Vec::new(),
            devices: String::new(),
            versions: String::new(),
        };
        let path = Path::new("/nonexistent-koppla-dir/diag.zip");
        assert!(matches!(
            write_zip(path, &bundle, &[]),
            Err(DiagnosticsError::Write { .. })
        ));
    }

    #[test]
    fn the_mail_says_where_the_file_is() {
        let link = mailto(Path::new("/home/anna/Hämtningar/k.zip"), "sv");
        assert!(link.starts_with("mailto:?subject=Koppla%20diagnostik&body="));
        let body = link.split("body=").nth(1).unwrap();
        let body = percent_encoding::percent_decode_str(body)
            .decode_utf8()
            .unwrap();
        assert!(body.contains("/home/anna/Hämtningar/k.zip"));
        assert!(body.contains("Bifoga"));
        assert!(mailto(Path::new("/x.zip"), "en").contains("subject=Koppla%20diagnostics"));
    }

    #[test]
    fn file_names_carry_the_time() {
        assert_eq!(
            file_name(1_796_684_645_123),
            "koppla-diagnostik-20261207-230405.zip"
        );
    }
}
