//! `koppla`: headless softphone. `koppla agent ...` reads commands from stdin and writes one
//! JSON event per line to stdout; logs go to stderr. The password comes from KOPPLA_PASSWORD.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use koppla_audio::{AudioSink, AudioSource, EndBehavior, NullSink, NullSource, WavSink, WavSource};
use koppla_media::processing::{processor_for, ProcessingSettings, VoiceProcessor};
use koppla_media::{CodecPrefs, SrtpPolicy};
use koppla_sip::{TlsConfig, Transport, TransportConfig};
use koppla_ua::runtime::{self, AudioFactory, Command, RuntimeConfig};
use koppla_ua::{Account, CallId, Secret, UaConfig};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc;

#[derive(Parser, Debug)]
#[command(name = "koppla", version, about = "Koppla softphone, headless")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum TransportArg {
    Udp,
    Tcp,
    Tls,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run a SIP agent. Commands on stdin, one per line: register, unregister, call <uri>,
    /// answer [id], reject [id], hangup [id], dtmf <digits> [id], hold [id], resume [id],
    /// transfer <uri> [id], attended <id_to_transfer> <id_target>, mute [id], unmute [id],
    /// record <wav> [id], stoprecord [id], voicemail, quit.
    /// Message-waiting (RFC 3842) comes out as `message_waiting` events.
    /// Events on stdout as JSON lines. Password from the KOPPLA_PASSWORD environment variable.
    Agent {
        /// Address of record; its host is the registrar/proxy, e.g. sip:alice@127.0.0.1:5060.
        /// A host name without a port is located by DNS SRV/NAPTR (RFC 3263), e.g.
        /// sip:alice@example.com
        #[arg(long)]
        account: String,
        /// Authentication user name (defaults to the AOR user)
        #[arg(long)]
        auth_user: Option<String>,
        #[arg(long, value_enum, default_value = "udp")]
        transport: TransportArg,
        /// Local SIP address to bind (port 0 = any free port)
        #[arg(long, default_value = "0.0.0.0:0")]
        bind: SocketAddr,
        /// Codec preference list
        #[arg(long, default_value = "opus,g722,pcma,pcmu")]
        codecs: String,
        /// SRTP (SDES) policy: off, optional, required
        #[arg(long, default_value = "off")]
        srtp: String,
        /// WAV file to send as call audio (any rate; converted to 48 kHz mono)
        #[arg(long)]
        play: Option<PathBuf>,
        /// WAV file to record received audio into (second and later calls get -<id> suffixes)
        #[arg(long)]
        record: Option<PathBuf>,
        /// Voice processing on the sent audio: off, all, or a list of aec, agc, ns. Off suits
        /// file audio; real devices want all (needs a build with the `aec` feature).
        #[arg(long, default_value = "off")]
        voice_processing: ProcessingSettings,
        /// Answer incoming calls at once
        #[arg(long)]
        auto_answer: bool,
        /// Reject new incoming calls with 486 Busy Here
        #[arg(long)]
        busy: bool,
        /// Registration expiry to ask for, seconds
        #[arg(long, default_value_t = 3600)]
        expires: u32,
        /// PEM file with CA certificates to trust for TLS instead of the system's trust store
        /// and the public roots
        #[arg(long)]
        ca_file: Option<PathBuf>,
        /// PEM certificate chain for accepting inbound SIP over TLS (with --tls-key)
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// PEM private key for --tls-cert
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Register right after start
        #[arg(long)]
        register: bool,
        /// DNS server (ip:port) to ask instead of the system's, e.g. 127.0.0.1:5353
        #[arg(long)]
        dns: Option<SocketAddr>,
        /// Do not subscribe to message-waiting indication (and refuse the registrar's
        /// unsolicited message-summary NOTIFYs)
        #[arg(long)]
        no_mwi: bool,
        /// Number or URI the `voicemail` command dials; without it, the mailbox account the
        /// server names in its message-waiting NOTIFYs
        #[arg(long)]
        voicemail_number: Option<String>,
        /// Once registered, still take new calls and other requests outside a dialog from any
        /// address. Without it they must come from the registrar / outbound proxy; others get
        /// 403 Forbidden. An agent that never registers takes them from anyone either way.
        #[arg(long)]
        accept_direct_requests: bool,
        /// Seconds without audio (RTP or RTCP) from the other side, while neither side holds
        /// the call, after which it ends as "connection_lost"; 0 turns the check off
        #[arg(long, default_value_t = 20)]
        media_timeout: u64,
        /// Session interval in seconds asked for with RFC 4028 session timers (the call is
        /// refreshed at half of it and ends when a refresh fails); 0 asks for none, else at
        /// least 90
        #[arg(long, default_value_t = 1800)]
        session_expires: u64,
    },
}

struct FileAudio {
    play: Option<PathBuf>,
    record: Option<PathBuf>,
    recorded_first: bool,
    processing: ProcessingSettings,
}

impl AudioFactory for FileAudio {
    fn source(&mut self, call: CallId) -> Box<dyn AudioSource> {
        match &self.play {
            Some(p) => match WavSource::open(p, EndBehavior::Finish) {
                Ok(s) => Box::new(s),
                Err(e) => {
                    tracing::error!(call, "cannot open {}: {e}", p.display());
                    Box::new(NullSource)
                }
            },
            None => Box::new(NullSource),
        }
    }

    fn processor(&mut self, _call: CallId) -> Box<dyn VoiceProcessor> {
        processor_for(self.processing)
    }

    fn sink(&mut self, call: CallId) -> Box<dyn AudioSink> {
        let Some(p) = &self.record else {
            return Box::new(NullSink::default());
        };
        let path = if !self.recorded_first {
            self.recorded_first = true;
            p.clone()
        } else {
            let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("record");
            p.with_file_name(format!("{stem}-{call}.wav"))
        };
        match WavSink::create(&path) {
            Ok(s) => Box::new(s),
            Err(e) => {
                tracing::error!(call, "cannot create {}: {e}", path.display());
                Box::new(NullSink::default())
            }
        }
    }
}

fn emit(v: serde_json::Value) {
    let mut out = std::io::stdout().lock();
    // A closed stdout means nobody listens any more; nothing useful to do with the error.
    let _ = writeln!(out, "{v}");
    let _ = out.flush();
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    if let Err(e) = run(cli).await {
        emit(serde_json::json!({"event": "error", "message": format!("{e:#}")}));
        eprintln!("koppla: {e:#}");
        std::process::exit(1);
    }
    // Exit now: a pending blocking stdin read would otherwise keep the runtime alive.
    std::process::exit(0);
}

async fn run(cli: Cli) -> Result<()> {
    let Cmd::Agent {
        account,
        auth_user,
        transport,
        bind,
        codecs,
        srtp,
        play,
        record,
        voice_processing,
        auto_answer,
        busy,
        expires,
        ca_file,
        tls_cert,
        tls_key,
        register,
        dns,
        no_mwi,
        voicemail_number,
        accept_direct_requests,
        media_timeout,
        session_expires,
    } = cli.cmd;
    if session_expires != 0 && session_expires < u64::from(koppla_ua::events::MIN_SESSION_EXPIRES) {
        bail!(
            "--session-expires {session_expires}: 0 or at least {} seconds (RFC 4028)",
            koppla_ua::events::MIN_SESSION_EXPIRES
        );
    }
    let transport = match transport {
        TransportArg::Udp => Transport::Udp,
        TransportArg::Tcp => Transport::Tcp,
        TransportArg::Tls => Transport::Tls,
    };
    let password = std::env::var("KOPPLA_PASSWORD").ok().map(Secret::new);
    let mut acct = Account::new(&account, auth_user.as_deref(), password, transport)
        .with_context(|| format!("--account {account}"))?;
    acct.expires = expires;
    let mut ua = UaConfig::new(acct, bind);
    ua.codecs = CodecPrefs::from_list(&codecs).map_err(|e| anyhow::anyhow!("--codecs: {e}"))?;
    ua.srtp = srtp
        .parse::<SrtpPolicy>()
        .map_err(|e| anyhow::anyhow!("--srtp: {e}"))?;
    ua.busy = busy;
    ua.mwi = !no_mwi;
    ua.voicemail_number = voicemail_number;
    ua.accept_direct_requests = accept_direct_requests;
    ua.media_timeout = std::time::Duration::from_secs(media_timeout);
    ua.session_expires = std::time::Duration::from_secs(session_expires);
    if let Some(p) = &play {
        if !p.exists() {
            bail!("--play {}: no such file", p.display());
        }
    }
    let mut tcfg = TransportConfig::new(bind);
    if transport == Transport::Tls {
        let host = koppla_ua::SipUri::parse(&account)?.host;
        let name = host.parse::<std::net::IpAddr>().is_err().then_some(host);
        let mut tls = match &ca_file {
            Some(f) => {
                let pem = std::fs::read(f).with_context(|| format!("--ca-file {}", f.display()))?;
                TlsConfig::with_roots_pem(&pem, name)?
            }
            None => TlsConfig::system(name)?,
        };
        if let (Some(c), Some(k)) = (&tls_cert, &tls_key) {
            let cert = std::fs::read(c).with_context(|| format!("--tls-cert {}", c.display()))?;
            let key = std::fs::read(k).with_context(|| format!("--tls-key {}", k.display()))?;
            tls = tls.with_server_cert(&cert, &key)?;
        }
        tcfg.tls = Some(tls);
    }
    let cfg = RuntimeConfig {
        ua,
        transport: tcfg,
        auto_answer,
        dns,
        audio: Box::new(FileAudio {
            play,
            record,
            recorded_first: false,
            processing: voice_processing,
        }),
    };
    let (cmd_tx, cmd_rx) = mpsc::channel(64);
    let (ev_tx, mut ev_rx) = mpsc::channel(256);
    let printer = tokio::spawn(async move {
        while let Some(ev) = ev_rx.recv().await {
            if let Some(v) = koppla_cli::event_json(&ev) {
                emit(v);
            }
        }
    });
    if register {
        let _ = cmd_tx.send(Command::Register).await;
    }
    let err_tx = ev_tx.clone();
    tokio::spawn(async move {
        let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
        loop {
            match lines.next_line().await {
                Ok(Some(line)) => match koppla_cli::parse_command(&line) {
                    Ok(Some(c)) => {
                        let quit = c == Command::Quit;
                        if cmd_tx.send(c).await.is_err() || quit {
                            return;
                        }
                    }
                    Ok(None) => {}
                    Err(e) => {
                        let _ = err_tx
                            .send(koppla_ua::UaEvent::Error {
                                message: e.to_string(),
                            })
                            .await;
                    }
                },
                // End of input (or unreadable stdin) means quit.
                Ok(None) | Err(_) => {
                    let _ = cmd_tx.send(Command::Quit).await;
                    return;
                }
            }
        }
    });
    runtime::run(cfg, cmd_rx, ev_tx).await?;
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), printer).await;
    Ok(())
}
