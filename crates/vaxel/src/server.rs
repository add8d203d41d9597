//! Startup and shutdown: seeds users from the config, binds the API and SIP sockets.

use crate::activity::Activities;
use crate::config::{Config, UserConfig};
use crate::credentials::{hash_password, CredentialError, Credentials};
use crate::media::queue::{generated_music, QueueAudio};
use crate::media::voicemail::{load_greeting, VoicemailSettings};
use crate::media::UdpMedia;
use crate::model::UserRecord;
use crate::sip::directory::Numbering;
use crate::sip::driver::load_directory;
use crate::sip::{CallPolicy, ParkPolicy, TransferPolicy, UserCallSettings};
use crate::sip::{CoreConfig, QueueDef, SipCore};
use crate::sms::{sender_from_config, SmsLogin};
use crate::state::{ApiCommands, AppState, Clock, ParkBoard, QueueBoard, Shared, SystemClock};
use crate::store::{Store, StoreError};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

/// Why the switch failed to start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Credentials(#[from] CredentialError),
    #[error("user {user}: environment variable {var} is not set")]
    MissingPasswordEnv { user: String, var: String },
    #[error("{what} TLS: {detail}")]
    Tls { what: &'static str, detail: String },
    #[error("voicemail directory {path}: {source}")]
    VoicemailDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("voicemail greeting {path}: {detail}")]
    Greeting { path: PathBuf, detail: String },
    #[error("queue audio {path}: {detail}")]
    QueueAudio { path: PathBuf, detail: String },
    #[error(transparent)]
    Mail(#[from] crate::mail::sender::SetupError),
    #[error("cannot resolve trunk {uri}: {detail}")]
    Trunk { uri: String, detail: String },
    #[error("cannot bind {what} on {addr}: {source}")]
    Bind {
        what: &'static str,
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Entry point for embedding.
pub struct Vaxel;

/// A running switch. Dropping it does not stop it; call [`VaxelHandle::shutdown`].
pub struct VaxelHandle {
    /// Where the client API listens (`http://{api_addr}/api/v1`).
    pub api_addr: SocketAddr,
    /// Where SIP (UDP) listens.
    pub sip_addr: SocketAddr,
    /// Where SIP over TCP listens, when enabled.
    pub sip_tcp_addr: Option<SocketAddr>,
    /// Where SIP over TLS listens, when enabled.
    pub sip_tls_addr: Option<SocketAddr>,
    pub state: AppState,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

fn record(u: &UserConfig) -> UserRecord {
    UserRecord {
        id: 0,
        username: u.username.clone(),
        name: u.name.clone(),
        title: u.title.clone(),
        department: u.department.clone(),
        email: u.email.clone(),
        mobile: u.mobile.clone(),
        direct: u.direct.clone(),
        short_number: u.short_number.clone(),
        keywords: u.keywords.clone(),
    }
}

fn credentials_for(u: &UserConfig, realm: &str) -> Result<Option<Credentials>, StartError> {
    if let Some(var) = &u.password_env {
        let pw = std::env::var(var).map_err(|_| StartError::MissingPasswordEnv {
            user: u.username.clone(),
            var: var.clone(),
        })?;
        return Ok(Some(hash_password(&u.username, realm, &pw)?));
    }
    match (&u.ha1_md5, &u.ha1_sha256, &u.password_hash) {
        (Some(m), Some(s), Some(p)) => Ok(Some(Credentials {
            ha1_md5: m.clone(),
            ha1_sha256: s.clone(),
            password_hash: p.clone(),
        })),
        _ => Ok(None),
    }
}

/// rustls server config (ring provider, shared with koppla-sip) from PEM files.
fn server_tls(
    what: &'static str,
    files: &crate::config::TlsFiles,
) -> Result<rustls::ServerConfig, StartError> {
    let tls_err = |detail: String| StartError::Tls { what, detail };
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| tls_err(format!("{}: {e}", files.cert.display())))?
        .collect::<Result<_, _>>()
        .map_err(|e| tls_err(format!("{}: {e}", files.cert.display())))?;
    if certs.is_empty() {
        return Err(tls_err(format!("{}: no certificate", files.cert.display())));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| tls_err(format!("{}: {e}", files.key.display())))?;
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| tls_err(e.to_string()))
}

/// The client API's HTTPS settings.
fn api_tls(
    files: &crate::config::TlsFiles,
) -> Result<axum_server::tls_rustls::RustlsConfig, StartError> {
    let mut cfg = server_tls("API", files)?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(axum_server::tls_rustls::RustlsConfig::from_config(
        Arc::new(cfg),
    ))
}

/// Binds a SIP stream listener; returns it with its bound address.
async fn bind_stream(
    what: &'static str,
    addr: SocketAddr,
) -> Result<(tokio::net::TcpListener, SocketAddr), StartError> {
    let err = |source| StartError::Bind { what, addr, source };
    let l = tokio::net::TcpListener::bind(addr).await.map_err(err)?;
    let bound = l.local_addr().map_err(err)?;
    Ok((l, bound))
}

fn call_policy(config: &Config) -> CallPolicy {
    let secs = |s: u32| Duration::from_secs(u64::from(s));
    CallPolicy {
        ring_timeout: secs(config.server.ring_timeout_secs),
        voicemail: config.server.voicemail_dir.is_some(),
        users: config
            .users
            .iter()
            .map(|u| {
                (
                    u.username.clone(),
                    UserCallSettings {
                        ring_timeout: u.ring_timeout_secs.map(secs),
                        voicemail: u.voicemail,
                    },
                )
            })
            .collect(),
        park: ParkPolicy {
            code: config.park.code.clone(),
            recall: secs(config.park.recall_secs),
            limit: usize::try_from(config.park.limit).unwrap_or(usize::MAX),
            pickup_default: config.park.pickup_default,
            pickup: config
                .users
                .iter()
                .filter_map(|u| Some((u.username.clone(), u.pickup?)))
                .collect(),
        },
        transfer: TransferPolicy {
            supervise: config.transfer.supervise,
            recall: secs(config.transfer.recall_secs),
            voicemail_code: config.transfer.voicemail_code.clone(),
        },
        voicemail_number: config.voicemail.number.clone(),
    }
}

/// The zone message times are said (menu) and written (e-mail) in: `[voicemail] time_zone`,
/// else the system's.
fn time_zone(config: &Config) -> Result<jiff::tz::TimeZone, StartError> {
    Ok(match &config.voicemail.time_zone {
        Some(name) => jiff::tz::TimeZone::get(name).map_err(|e| {
            crate::config::ConfigError::Invalid(format!("[voicemail] time_zone {name:?}: {e}"))
        })?,
        None => jiff::tz::TimeZone::system(),
    })
}

/// The dial-in menu's settings (decision 0509); message times are said in the configured
/// zone, else the system's.
fn menu_settings(
    config: &Config,
    state: &AppState,
    dir: PathBuf,
) -> Result<crate::media::voicemail_menu::MenuSettings, StartError> {
    let v = &config.voicemail;
    let tz = time_zone(config)?;
    Ok(crate::media::voicemail_menu::MenuSettings {
        state: state.clone(),
        dir,
        lang: crate::media::prompts::Lang::parse(&v.language),
        tz,
        pin: crate::store::PinPolicy {
            max_failures: v.max_pin_failures,
            lockout_secs: i64::from(v.lockout_secs),
        },
    })
}

/// Resolves the trunk URI's host:port (default 5060) once at startup.
async fn resolve_trunk(uri: &str) -> Result<SocketAddr, StartError> {
    let err = |detail: &str| StartError::Trunk {
        uri: uri.to_string(),
        detail: detail.to_string(),
    };
    let rest = uri
        .strip_prefix("sip:")
        .ok_or_else(|| err("must start with sip:"))?;
    let hostport = rest
        .rsplit('@')
        .next()
        .unwrap_or(rest)
        .split(';')
        .next()
        .unwrap_or("");
    let target = if hostport.contains(':') && !hostport.ends_with(']') {
        hostport.to_string()
    } else {
        format!("{hostport}:5060")
    };
    tokio::net::lookup_host(target)
        .await
        .map_err(|e| err(&e.to_string()))?
        .next()
        .ok_or_else(|| err("no address"))
}

impl Vaxel {
    /// Opens storage, seeds configured users, and starts the API and SIP services.
    pub async fn start(config: Config) -> Result<VaxelHandle, StartError> {
        Vaxel::start_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Like [`Vaxel::start`] with a custom wall clock (tests use this for expiry).
    pub async fn start_with_clock(
        config: Config,
        clock: Arc<dyn Clock>,
    ) -> Result<VaxelHandle, StartError> {
        config.validate()?;
        let store = Store::open(&config.server.database).await?;
        for u in &config.users {
            let creds = credentials_for(u, &config.server.realm)?;
            store.upsert_user(&record(u), creds.as_ref()).await?;
        }
        for c in &config.contacts {
            if !store.shared_contact_exists(&c.name, &c.number).await? {
                store
                    .add_contact(None, c.kind, &c.name, &c.number, c.note.as_deref())
                    .await?;
            }
        }
        // Before anything listens: a missing SMTP password or CA file stops the start.
        let mail_sender = config
            .mail
            .as_ref()
            .map(crate::mail::SmtpSender::new)
            .transpose()?;
        let (events, _) = broadcast::channel(256);
        let (queue_tx, queue_rx) = tokio::sync::mpsc::channel(64);
        let (park_tx, park_rx) = tokio::sync::mpsc::channel(64);
        let policy = call_policy(&config);
        let state: AppState = Arc::new(Shared {
            store,
            activities: Activities::new(config.activities.clone()),
            events,
            sms: SmsLogin::new(config.sms.clone(), sender_from_config(&config.sms.sender)),
            clock,
            token_ttl_secs: i64::try_from(config.server.token_ttl_secs).unwrap_or(i64::MAX),
            realm: config.server.realm.clone(),
            queues: QueueBoard::new(queue_tx),
            parked: ParkBoard::new(policy.park.clone(), park_tx),
            on_call: Default::default(),
            voicemail_dir: config.server.voicemail_dir.clone(),
            // The voicemail menu answers only where messages are kept; the echo test always.
            services: config
                .server
                .voicemail_dir
                .as_ref()
                .map(|_| crate::model::ServiceNumber::voicemail(&config.voicemail.number))
                .into_iter()
                .chain([crate::model::ServiceNumber::echo_test(
                    &config.server.echo_number,
                )])
                .collect(),
            mail: crate::mail::Mailer::new(&config, time_zone(&config)?),
        });
        let (stop, stop_rx) = watch::channel(false);
        let mut tasks = Vec::new();
        if let (Some(sender), Some(m)) = (mail_sender, &config.mail) {
            tasks.push(tokio::spawn(crate::mail::run_worker(
                state.clone(),
                sender,
                m.backoff(),
                stop_rx.clone(),
            )));
        }

        let api_listener = tokio::net::TcpListener::bind(config.server.api_bind)
            .await
            .map_err(|source| StartError::Bind {
                what: "client API",
                addr: config.server.api_bind,
                source,
            })?;
        let api_addr = api_listener
            .local_addr()
            .map_err(|source| StartError::Bind {
                what: "client API",
                addr: config.server.api_bind,
                source,
            })?;
        let app = crate::api::router(state.clone());
        let tls = match &config.server.api_tls {
            Some(files) => Some(api_tls(files)?),
            None => None,
        };
        let mut api_stop = stop_rx.clone();
        match tls {
            None => tasks.push(tokio::spawn(async move {
                let shutdown = async move {
                    let _ = api_stop.wait_for(|s| *s).await;
                };
                if let Err(e) = axum::serve(api_listener, app)
                    .with_graceful_shutdown(shutdown)
                    .await
                {
                    tracing::error!(error = %e, "client API server stopped");
                }
            })),
            Some(tls) => {
                let std_listener = api_listener.into_std().map_err(|source| StartError::Bind {
                    what: "client API",
                    addr: api_addr,
                    source,
                })?;
                let handle = axum_server::Handle::new();
                let stopper = handle.clone();
                tasks.push(tokio::spawn(async move {
                    let _ = api_stop.wait_for(|s| *s).await;
                    stopper.graceful_shutdown(Some(std::time::Duration::from_secs(2)));
                }));
                tasks.push(tokio::spawn(async move {
                    let server = axum_server::from_tcp_rustls(std_listener, tls).handle(handle);
                    if let Err(e) = server.serve(app.into_make_service()).await {
                        tracing::error!(error = %e, "client API (HTTPS) server stopped");
                    }
                }));
            }
        }

        let sip_socket = tokio::net::UdpSocket::bind(config.server.sip_bind)
            .await
            .map_err(|source| StartError::Bind {
                what: "SIP",
                addr: config.server.sip_bind,
                source,
            })?;
        let bound = sip_socket.local_addr().map_err(|source| StartError::Bind {
            what: "SIP",
            addr: config.server.sip_bind,
            source,
        })?;
        // Advertise a concrete address: the public IP when bound to a wildcard.
        let advertise = |a: SocketAddr| {
            if a.ip().is_unspecified() {
                SocketAddr::new(config.server.public_ip, a.port())
            } else {
                a
            }
        };
        let sip_addr = advertise(bound);
        let tcp = match config.server.sip_tcp_bind {
            Some(a) => Some(bind_stream("SIP over TCP", a).await?),
            None => None,
        };
        let tls = match (config.server.sip_tls_bind, &config.server.sip_tls) {
            (Some(a), Some(files)) => {
                let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_tls("SIP", files)?));
                let (l, bound) = bind_stream("SIP over TLS", a).await?;
                Some((l, bound, acceptor))
            }
            _ => None,
        };
        let sip_tcp_addr = tcp.as_ref().map(|(_, a)| advertise(*a));
        let sip_tls_addr = tls.as_ref().map(|(_, a, _)| advertise(*a));
        let trunk = match &config.server.trunk {
            Some(uri) => Some((uri.clone(), resolve_trunk(uri).await?)),
            None => None,
        };
        let core_cfg = CoreConfig {
            local: sip_addr,
            local_tcp: sip_tcp_addr,
            local_tls: sip_tls_addr,
            realm: config.server.realm.clone(),
            algorithms: config
                .server
                .digest_algorithms
                .iter()
                .map(|a| (*a).into())
                .collect(),
            numbering: Numbering {
                echo: config.server.echo_number.clone(),
                whoami: config.server.whoami_number.clone(),
                has_trunk: trunk.is_some(),
            },
            max_expires: config.server.max_expires,
            trunk,
            calls: policy,
        };
        let (done_tx, done_rx) = tokio::sync::mpsc::unbounded_channel();
        let (recorded_tx, recorded_rx) = tokio::sync::mpsc::unbounded_channel();
        let mut media = UdpMedia::new(bound.ip(), config.server.public_ip, done_tx);
        if let Some(dir) = &config.server.voicemail_dir {
            // Stored file paths must not depend on the working directory of a later run.
            let dir_err = |source| StartError::VoicemailDir {
                path: dir.clone(),
                source,
            };
            std::fs::create_dir_all(dir).map_err(dir_err)?;
            let dir = dir.canonicalize().map_err(dir_err)?;
            let greeting = match &config.server.voicemail_greeting {
                Some(path) => load_greeting(path).map_err(|e| StartError::Greeting {
                    path: path.clone(),
                    detail: e.to_string(),
                })?,
                None => Vec::new(),
            };
            media = media.with_voicemail_menu(menu_settings(&config, &state, dir.clone())?);
            media = media.with_voicemail(VoicemailSettings {
                dir,
                max: Duration::from_secs(u64::from(config.server.voicemail_max_secs.max(1))),
                greeting,
                recorded: recorded_tx,
                quota: crate::media::voicemail::Quota {
                    max_messages: config.voicemail.max_messages,
                    max_total: Duration::from_secs(u64::from(config.voicemail.max_total_secs)),
                },
                language: crate::media::prompts::Lang::parse(&config.voicemail.language),
                languages: config
                    .users
                    .iter()
                    .filter_map(|u| {
                        let lang = u.language.as_deref()?;
                        Some((u.username.clone(), crate::media::prompts::Lang::parse(lang)))
                    })
                    .collect(),
            });
        }
        for q in &config.queues {
            let load = |path: &Option<PathBuf>| match path {
                Some(p) => load_greeting(p).map_err(|e| StartError::QueueAudio {
                    path: p.clone(),
                    detail: e.to_string(),
                }),
                None => Ok(Vec::new()),
            };
            let music = load(&q.hold_music)?;
            media = media.with_queue_audio(
                &q.id,
                QueueAudio {
                    announcement: load(&q.announcement)?,
                    music: if music.is_empty() {
                        generated_music()
                    } else {
                        music
                    },
                },
            );
        }
        let directory = load_directory(&state).await?;
        let now_unix = u64::try_from(state.clock.now()).unwrap_or(0);
        let mut core = SipCore::new(
            core_cfg,
            directory,
            state.activities.clone(),
            Box::new(media),
            std::time::Instant::now(),
            now_unix,
        );
        // Devices registered over UDP before a restart are reachable at once (decision 0507).
        let stored = state.store.live_bindings(state.clock.now()).await?;
        tracing::info!(bindings = stored.len(), "registrations restored");
        core.restore_bindings(stored, std::time::Instant::now());
        core.set_media_timeout(std::time::Duration::from_secs(u64::from(
            config.server.media_timeout_secs,
        )));
        for (u, _, _) in state.store.users().await? {
            let (new, old) = state.store.voicemail_counts(u.id).await?;
            core.mwi_changed(&u.username, new, old, std::time::Instant::now());
        }
        core.set_queues(
            config.queues.iter().map(QueueDef::from).collect(),
            std::time::Instant::now(),
        );
        for q in &config.queues {
            let stored = state.store.queue_state(&q.id).await?;
            core.restore_queue(&q.id, &stored, std::time::Instant::now());
        }
        for s in core.queue_statuses(std::time::Instant::now()) {
            state.queues.update(s);
        }
        let listeners = crate::sip::driver::Listeners {
            udp: sip_socket,
            tcp: tcp.map(|(l, _)| l),
            tls: tls.map(|(l, _, acceptor)| (l, acceptor)),
            stream_limits: config.server.stream_limits(),
        };
        tasks.push(tokio::spawn(crate::sip::driver::run(
            listeners,
            core,
            state.clone(),
            done_rx,
            recorded_rx,
            ApiCommands {
                queue: queue_rx,
                park: park_rx,
            },
            stop_rx.clone(),
        )));
        tracing::info!(%api_addr, %sip_addr, ?sip_tcp_addr, ?sip_tls_addr, "vaxel started");
        Ok(VaxelHandle {
            api_addr,
            sip_addr,
            sip_tcp_addr,
            sip_tls_addr,
            state,
            stop,
            tasks,
        })
    }
}

impl VaxelHandle {
    /// Adds or updates a user at runtime (e.g. the app's first-start "use the built-in switch"
    /// flow); with a password, SIP and API credentials are set. Takes effect immediately.
    pub async fn upsert_user(
        &self,
        user: &UserRecord,
        password: Option<String>,
    ) -> Result<i64, crate::state::UserError> {
        self.state.upsert_user(user, password).await
    }

    /// Stops all services and waits for them to finish.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), t).await;
        }
    }
}
