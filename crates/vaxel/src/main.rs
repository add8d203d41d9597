//! `vaxel`: the Koppla Växel SIP switch as a standalone server.

use clap::{Parser, Subcommand};
use koppla_vaxel::{Config, Vaxel};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

/// Koppla Växel: a small standards-based SIP switch for Koppla softphones and desk phones.
///
/// It is a SIP registrar (digest auth, several devices per user) over UDP, TCP and TLS
/// (`sip_bind`, `sip_tcp_bind`, `sip_tls_bind` with `sip_tls` certificate and key files;
/// devices registered over TCP/TLS are reached over their own connection), a call proxy that
/// routes by user name, short number (e.g. 1001) or E.164 number, with a media relay for phones
/// behind NAT, an echo test number and a "you are user X" number, presence
/// (PUBLISH/SUBSCRIBE/NOTIFY with PIDF + RPID activities), missed calls and voicemail (calls
/// unanswered within `ring_timeout_secs` are recorded to WAV under `voicemail_dir`; message
/// waiting over SUBSCRIBE message-summary), call queues (`[[queues]]`: the switch answers the
/// queue number, plays hold music and offers the call to free logged-in members by
/// `ring_all`, `round_robin` or `longest_idle`, with overflow to busy, voicemail or another
/// number after `max_wait_secs`), and a JSON client API (login, directory, activities,
/// contacts, missed calls, voicemail, queue login/logout and counters, live events over
/// WebSocket) for the Koppla app.
///
/// Everything is configured in one TOML file; see vaxel.example.toml next to the source for
/// every setting with comments. Passwords never go in that file: give each user a
/// `password_env` (an environment variable read at startup) or hashes printed by
/// `vaxel hash-password`.
#[derive(Parser)]
#[command(
    name = "vaxel",
    version,
    after_help = "Examples:\n  VAXEL_DEMO_PASSWORD=secret vaxel --config vaxel.example.toml\n  echo -n secret | vaxel hash-password --username alice --realm koppla\n  vaxel openapi > openapi.json\n\nLogging: set RUST_LOG (e.g. RUST_LOG=koppla_vaxel=debug)."
)]
struct Cli {
    /// Path of the TOML configuration file (without one, built-in defaults: 127.0.0.1:5060 for
    /// SIP, 127.0.0.1:8080 for the API, an in-memory database and no users).
    #[arg(short, long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Check the configuration and exit.
    #[arg(long)]
    check: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Read a password from stdin and print the ha1_md5 / ha1_sha256 / password_hash lines to
    /// paste into a [[users]] entry.
    HashPassword {
        #[arg(long)]
        username: String,
        /// Must match server.realm in the config.
        #[arg(long, default_value = "koppla")]
        realm: String,
    },
    /// Print the client API's OpenAPI document (JSON).
    Openapi,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Openapi) => {
            println!("{}", koppla_vaxel::api::openapi_json());
            return ExitCode::SUCCESS;
        }
        Some(Command::HashPassword { username, realm }) => {
            let mut line = String::new();
            if std::io::stdin().lock().read_line(&mut line).is_err() {
                eprintln!("error: cannot read the password from stdin");
                return ExitCode::FAILURE;
            }
            let pw = line.trim_end_matches(['\r', '\n']);
            if pw.is_empty() {
                eprintln!("error: empty password");
                return ExitCode::FAILURE;
            }
            match koppla_vaxel::credentials::hash_password(&username, &realm, pw) {
                Ok(c) => {
                    println!(
                        "ha1_md5 = \"{}\"\nha1_sha256 = \"{}\"\npassword_hash = \"{}\"",
                        c.ha1_md5, c.ha1_sha256, c.password_hash
                    );
                    return ExitCode::SUCCESS;
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        None => {}
    }
    let config = match &cli.config {
        Some(p) => match Config::load(p) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => Config::default(),
    };
    if cli.check {
        println!(
            "configuration OK: {} users, {} activities",
            config.users.len(),
            config.activities.len()
        );
        return ExitCode::SUCCESS;
    }
    let handle = match Vaxel::start(config).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "vaxel: SIP on udp:{}  client API on http://{}/api/v1",
        handle.sip_addr, handle.api_addr
    );
    wait_for_stop_signal().await;
    handle.shutdown().await;
    ExitCode::SUCCESS
}

/// Ctrl-C, or SIGTERM from a service manager or test harness.
async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
