//! The one SMTP client of the switch, on lettre's tokio transport with rustls. Certificates are
//! always verified against the public (Mozilla) roots plus an optional company CA; there is
//! deliberately no "accept invalid certificates" switch. AUTH uses PLAIN or LOGIN, whichever
//! the relay offers, and only ever after TLS unless the relay is on this machine.

use super::outbox::Failure;
use super::{valid_address, MailConfig, Security};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;
use std::time::Duration;

/// Why the sender cannot be set up from the `[mail]` section (the switch refuses to start).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("[mail] environment variable {0} (the SMTP password) is not set")]
    MissingPassword(String),
    #[error("[mail] ca_file {path}: {detail}")]
    CaFile { path: PathBuf, detail: String },
    #[error("[mail] TLS for {host}: {detail}")]
    Tls { host: String, detail: String },
    #[error("[mail] from {0:?} is not an e-mail address")]
    BadFrom(String),
}

/// Why one mail was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("recipient {0:?} is not an e-mail address")]
    Recipient(String),
    #[error("attachment content type {0:?} is invalid")]
    ContentType(String),
    #[error("cannot build the mail: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

impl SendError {
    /// Whether a later attempt could succeed: only an SMTP failure that is not a 5xx reply.
    pub fn failure(&self) -> Failure {
        let detail = self.to_string();
        match self {
            SendError::Smtp(e) if !e.is_permanent() => Failure::Transient(detail),
            _ => Failure::Permanent(detail),
        }
    }
}

/// A file to attach, already read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentData {
    pub name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// One mail to deliver: plain UTF-8 text, optionally one attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub attachment: Option<AttachmentData>,
}

/// Sends mail through the configured relay. Holds the password, so it is deliberately not
/// `Debug`.
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpSender {
    /// Builds the transport; reads `password_env` and `ca_file` now so a broken setup fails at
    /// startup rather than at the first voicemail.
    pub fn new(cfg: &MailConfig) -> Result<SmtpSender, SetupError> {
        let host = cfg
            .host
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let from_addr =
            valid_address(&cfg.from).ok_or_else(|| SetupError::BadFrom(cfg.from.clone()))?;
        let from = Mailbox::new(cfg.from_name.clone(), from_addr);
        let tls = match cfg.security {
            Security::None => Tls::None,
            Security::Starttls => Tls::Required(tls_parameters(&host, cfg)?),
            Security::Tls => Tls::Wrapper(tls_parameters(&host, cfg)?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.as_str())
            .port(cfg.port())
            .tls(tls)
            .timeout(Some(Duration::from_secs(cfg.timeout_secs)));
        if let (Some(user), Some(var)) = (&cfg.username, &cfg.password_env) {
            let password =
                std::env::var(var).map_err(|_| SetupError::MissingPassword(var.clone()))?;
            builder = builder
                .credentials(Credentials::new(user.clone(), password))
                .authentication(vec![Mechanism::Plain, Mechanism::Login]);
        }
        Ok(SmtpSender {
            transport: builder.build(),
            from,
        })
    }

    /// Builds the MIME message (text, or text + attachment as base64) without sending it.
    pub fn message(&self, mail: &OutgoingMail) -> Result<Message, SendError> {
        let to = valid_address(&mail.to).ok_or_else(|| SendError::Recipient(mail.to.clone()))?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(mail.subject.clone())
            // A fresh `<random@hostname>`: relays and spam filters frown on mail without one.
            .message_id(None);
        let message = match &mail.attachment {
            None => builder
                .header(ContentType::TEXT_PLAIN)
                .body(mail.body.clone())?,
            Some(a) => {
                let kind = ContentType::parse(&a.content_type)
                    .map_err(|_| SendError::ContentType(a.content_type.clone()))?;
                builder.multipart(
                    MultiPart::mixed()
                        .singlepart(SinglePart::plain(mail.body.clone()))
                        .singlepart(Attachment::new(a.name.clone()).body(a.data.clone(), kind)),
                )?
            }
        };
        Ok(message)
    }

    pub async fn send(&self, mail: &OutgoingMail) -> Result<(), SendError> {
        let message = self.message(mail)?;
        self.transport.send(message).await?;
        Ok(())
    }
}

/// Public roots plus the configured CA file; hostname and chain always checked.
fn tls_parameters(host: &str, cfg: &MailConfig) -> Result<TlsParameters, SetupError> {
    let mut params = TlsParameters::builder(host.to_string());
    if let Some(path) = &cfg.ca_file {
        let ca_err = |detail: String| SetupError::CaFile {
            path: path.clone(),
            detail,
        };
        let pem = std::fs::read(path).map_err(|e| ca_err(e.to_string()))?;
        // lettre accepts a PEM without any certificate silently; a CA file that adds nothing
        // is a mistake worth stopping for.
        use rustls::pki_types::pem::PemObject;
        let count = rustls::pki_types::CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ca_err(e.to_string()))?
            .len();
        if count == 0 {
            return Err(ca_err("no PEM certificate in the file".into()));
        }
        let cert = Certificate::from_pem(&pem).map_err(|e| ca_err(e.to_string()))?;
        params = params.add_root_certificate(cert);
    }
    params.build_rustls().map_err(|e| SetupError::Tls {
        host: host.to_string(),
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sender() -> SmtpSender {
        let mut cfg = MailConfig::new("127.0.0.1", Security::None, "vaxel@example.se");
        cfg.from_name = Some("Koppla Växel".into());
        SmtpSender::new(&cfg).expect("sender")
    }

    fn mail(attachment: Option<AttachmentData>) -> OutgoingMail {
        OutgoingMail {
            to: "bob@example.se".into(),
            subject: "Nytt röstmeddelande från Alice".into(),
            body: "Hej Bob!\nLängd: 0:02\n".into(),
            attachment,
        }
    }

    #[test]
    fn text_and_attachment_mime() {
        let s = sender();
        let plain = String::from_utf8(s.message(&mail(None)).unwrap().formatted()).unwrap();
        assert!(plain.contains("To: bob@example.se\r\n"), "{plain}");
        // "Koppla Växel" as RFC 2047 base64.
        assert!(
            plain.contains("From: =?utf-8?b?S29wcGxhIFbDpHhlbA==?= <vaxel@example.se>\r\n"),
            "{plain}"
        );
        assert!(plain.contains("Subject: Nytt =?utf-8?b?"), "{plain}");
        assert!(plain.contains("Message-ID: <"), "{plain}");
        assert!(
            plain.contains("Content-Type: text/plain; charset=utf-8"),
            "{plain}"
        );
        let wav = AttachmentData {
            name: "rostmeddelande.wav".into(),
            content_type: "audio/wav".into(),
            data: (0..=255u8).collect(),
        };
        let multi = String::from_utf8(s.message(&mail(Some(wav))).unwrap().formatted()).unwrap();
        assert!(multi.contains("multipart/mixed"), "{multi}");
        assert!(multi.contains("Content-Type: audio/wav"), "{multi}");
        assert!(multi.contains("filename=\"rostmeddelande.wav\""), "{multi}");
        assert!(
            multi.contains("Content-Transfer-Encoding: base64"),
            "{multi}"
        );
    }

    #[test]
    fn bad_mail_is_a_permanent_failure() {
        let s = sender();
        let mut m = mail(None);
        m.to = "not an address".into();
        let e = s.message(&m).unwrap_err();
        assert!(matches!(e, SendError::Recipient(_)));
        assert!(matches!(e.failure(), Failure::Permanent(_)));
        let bad_type = AttachmentData {
            name: "x".into(),
            content_type: "no type".into(),
            data: vec![1],
        };
        assert!(matches!(
            s.message(&mail(Some(bad_type))).unwrap_err(),
            SendError::ContentType(_)
        ));
    }

    #[test]
    fn setup_needs_the_password_variable_and_a_real_ca_file() {
        let mut cfg = MailConfig::new("smtp.example.se", Security::Starttls, "vaxel@example.se");
        cfg.username = Some("vaxel".into());
        cfg.password_env = Some("KOPPLA_TEST_MAIL_PASSWORD_NEVER_SET".into());
        assert!(matches!(
            SmtpSender::new(&cfg),
            Err(SetupError::MissingPassword(v)) if v == "KOPPLA_TEST_MAIL_PASSWORD_NEVER_SET"
        ));
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let mut cfg = MailConfig::new("smtp.example.se", Security::Tls, "vaxel@example.se");
        cfg.ca_file = Some(empty);
        assert!(matches!(
            SmtpSender::new(&cfg),
            Err(SetupError::CaFile { .. })
        ));
        cfg.ca_file = Some(dir.path().join("missing.pem"));
        assert!(matches!(
            SmtpSender::new(&cfg),
            Err(SetupError::CaFile { .. })
        ));
        cfg.ca_file = None;
        assert!(SmtpSender::new(&cfg).is_ok());
    }

    #[tokio::test]
    async fn unreachable_relay_is_transient() {
        // A port nobody listens on: connection refused, to be retried.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cfg = MailConfig::new("127.0.0.1", Security::None, "vaxel@example.se");
        cfg.port = Some(port);
        let e = SmtpSender::new(&cfg)
            .unwrap()
            .send(&mail(None))
            .await
            .unwrap_err();
        assert!(matches!(e.failure(), Failure::Transient(_)), "{e}");
    }
}
