//! The `vaxel` binary: help text, config check, password hashing.

use std::io::Write;
use std::process::{Command, Stdio};

fn vaxel() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vaxel"))
}

#[test]
fn help_explains_the_switch() {
    let out = vaxel().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--config",
        "registrar",
        "hash-password",
        "password_env",
        "openapi",
    ] {
        assert!(text.contains(needle), "--help lacks {needle:?}:\n{text}");
    }
}

#[test]
fn check_accepts_example_and_rejects_bad_config() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/vaxel.example.toml");
    let out = vaxel()
        .args(["--config", example, "--check"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 users"));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[server]\nsip_bind = \"not an address\"\n").unwrap();
    let out = vaxel()
        .args(["--config", bad.to_str().unwrap(), "--check"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid config"));
}

#[test]
fn hash_password_prints_config_lines_without_the_password() {
    let mut child = vaxel()
        .args(["hash-password", "--username", "alice", "--realm", "koppla"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"s3cret\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!(
        "ha1_md5 = \"{}\"",
        koppla_vaxel::credentials::md5_hex("alice:koppla:s3cret")
    )));
    assert!(text.contains("password_hash = \"$argon2"));
    assert!(!text.contains("s3cret"));
}

#[test]
fn openapi_subcommand_matches_committed_document() {
    let out = vaxel().arg("openapi").output().unwrap();
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json")).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end(),
        committed.trim_end()
    );
}
