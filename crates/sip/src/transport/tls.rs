//! TLS settings for the transport: verified server certificates (the system's trust store plus
//! the Mozilla roots, or custom roots for tests and private switches) and an optional server
//! certificate for inbound TLS.

use super::TransportError;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpStream;

#[derive(Clone, Debug)]
pub struct TlsConfig {
    pub client: Arc<rustls::ClientConfig>,
    pub server: Option<Arc<rustls::ServerConfig>>,
    /// Name to verify the peer certificate against (the SIP domain); falls back to the IP.
    pub server_name: Option<String>,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn client_with_roots(roots: rustls::RootCertStore) -> Result<rustls::ClientConfig, TransportError> {
    Ok(rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TransportError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

impl TlsConfig {
    /// Verify servers against the Mozilla root set.
    pub fn webpki(server_name: Option<String>) -> Result<Self, TransportError> {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        Ok(Self {
            client: Arc::new(client_with_roots(roots)?),
            server: None,
            server_name,
        })
    }

    /// Verify servers against the operating system's trust store, where a company's IT puts
    /// its own CA (on Linux `SSL_CERT_FILE`/`SSL_CERT_DIR` override it), plus the Mozilla
    /// roots so a machine with an empty or unreadable store still reaches public servers.
    pub fn system(server_name: Option<String>) -> Result<Self, TransportError> {
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let native = rustls_native_certs::load_native_certs();
        for err in &native.errors {
            tracing::warn!(%err, "part of the system's certificate store could not be read");
        }
        let (added, ignored) = roots.add_parsable_certificates(native.certs);
        tracing::debug!(added, ignored, "system CA certificates loaded");
        Ok(Self {
            client: Arc::new(client_with_roots(roots)?),
            server: None,
            server_name,
        })
    }

    /// Verify servers against the CA certificates in `pem` only.
    pub fn with_roots_pem(pem: &[u8], server_name: Option<String>) -> Result<Self, TransportError> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| TransportError::Tls(format!("bad CA PEM: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| TransportError::Tls(format!("bad CA certificate: {e}")))?;
        }
        if roots.is_empty() {
            return Err(TransportError::Tls("no CA certificate in PEM".into()));
        }
        Ok(Self {
            client: Arc::new(client_with_roots(roots)?),
            server: None,
            server_name,
        })
    }

    /// Also accept inbound TLS with this certificate chain and key (PEM).
    pub fn with_server_cert(
        mut self,
        chain_pem: &[u8],
        key_pem: &[u8],
    ) -> Result<Self, TransportError> {
        let chain = CertificateDer::pem_slice_iter(chain_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TransportError::Tls(format!("bad certificate PEM: {e}")))?;
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| TransportError::Tls(format!("bad key PEM: {e}")))?;
        let cfg = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TransportError::Tls(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| TransportError::Tls(e.to_string()))?;
        self.server = Some(Arc::new(cfg));
        Ok(self)
    }

    pub(super) fn acceptor(&self) -> Option<tokio_rustls::TlsAcceptor> {
        self.server.clone().map(tokio_rustls::TlsAcceptor::from)
    }

    pub(super) async fn connect(
        &self,
        stream: TcpStream,
        dest: SocketAddr,
    ) -> Result<tokio_rustls::client::TlsStream<TcpStream>, TransportError> {
        let name = match &self.server_name {
            Some(n) => ServerName::try_from(n.clone())
                .map_err(|e| TransportError::Tls(format!("bad server name {n:?}: {e}")))?,
            None => ServerName::IpAddress(dest.ip().into()),
        };
        tokio_rustls::TlsConnector::from(self.client.clone())
            .connect(name, stream)
            .await
            .map_err(|e| TransportError::Io {
                transport: crate::Transport::Tls,
                dest,
                source: e,
            })
    }
}
