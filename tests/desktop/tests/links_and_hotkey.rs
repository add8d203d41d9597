//! The real app binary under Xvfb: a second instance hands its `tel:` link to the first, links
//! never dial without confirmation, and F8 reads the PRIMARY selection.

use std::process::Stdio;
use std::time::Duration;

use koppla_desktop_tests::{require_tool, Desktop, ProcessGuard, RunningApp};

const WAIT: Duration = Duration::from_secs(20);

fn second_instance(desktop: &Desktop, arg: &str) {
    let status = desktop
        .command(koppla_desktop_tests::app_binary())
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run a second instance");
    assert!(status.success(), "second instance exited with {status}");
}

#[test]
fn second_instance_hands_tel_link_to_running_app() {
    let desktop = Desktop::start();
    let app = RunningApp::start(&desktop, &[]);
    second_instance(&desktop, "tel:+46-70-123-45-67");
    assert!(
        app.wait_for_line(
            &[
                "dial request accepted",
                "Link",
                "auto_dial=false",
                "701234567"
            ],
            WAIT
        ),
        "the running app did not get the link; log:\n{}",
        app.log_text()
    );
    assert!(
        app.log_text().contains("second instance started"),
        "the link was not delivered through the single-instance hand-over"
    );
}

#[test]
fn link_that_started_the_app_is_not_lost() {
    let desktop = Desktop::start();
    let app = RunningApp::start(&desktop, &["callto://0812345678"]);
    assert!(
        app.wait_for_line(&["dial request accepted", "Link", "812345678"], WAIT),
        "the launch link was lost; log:\n{}",
        app.log_text()
    );
}

#[test]
fn hostile_link_is_refused_not_dialled() {
    let desktop = Desktop::start();
    let app = RunningApp::start(&desktop, &[]);
    second_instance(&desktop, "tel:javascript:alert(1)");
    assert!(
        app.wait_for_line(&["dial request refused", "Link"], WAIT),
        "a hostile link was not refused; log:\n{}",
        app.log_text()
    );
    assert!(!app.log_text().contains("dial request accepted"));
}

#[test]
fn hotkey_dials_the_primary_selection() {
    require_tool("xclip", "xclip");
    require_tool("xdotool", "xdotool");
    let desktop = Desktop::start();
    let app = RunningApp::start(&desktop, &[]);
    assert!(
        app.wait_for_log("dial hotkey registered", WAIT),
        "F8 was not registered; log:\n{}",
        app.log_text()
    );
    // The window hidden in the tray: the hotkey must still work.
    let hidden = desktop
        .command("xdotool")
        .args([
            "search",
            "--sync",
            "--onlyvisible",
            "--name",
            "^Koppla$",
            "windowunmap",
        ])
        .status()
        .expect("run xdotool");
    assert!(hidden.success(), "could not hide the Koppla window");
    // xclip keeps serving the selection until another client takes it.
    let mut xclip = desktop
        .command("xclip")
        .args(["-selection", "primary", "-loops", "20"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start xclip");
    {
        use std::io::Write;
        let mut stdin = xclip.stdin.take().expect("xclip stdin");
        stdin
            .write_all("Ring mig på 070\u{2011}123 45 67, tack".as_bytes())
            .expect("write selection");
    }
    let _xclip = ProcessGuard(xclip);
    // Press F8 only once the selection is really being served.
    let served = koppla_desktop_tests::wait_until(WAIT, || {
        desktop
            .command("xclip")
            .args(["-o", "-selection", "primary"])
            .output()
            .map(|out| String::from_utf8_lossy(&out.stdout).contains("45 67"))
            .unwrap_or(false)
    });
    assert!(served, "xclip never served the PRIMARY selection");
    let status = desktop
        .command("xdotool")
        .args(["key", "F8"])
        .status()
        .expect("run xdotool");
    assert!(status.success());
    assert!(
        app.wait_for_line(
            &[
                "dial request accepted",
                "Hotkey",
                "auto_dial=true",
                "701234567"
            ],
            WAIT
        ),
        "F8 did not dial the highlighted number; log:\n{}",
        app.log_text()
    );
}
