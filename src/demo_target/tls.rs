//! `--tls`: a self-signed certificate for `localhost` and `127.0.0.1`, made at start.

use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// Why the TLS setup failed (both are bugs or a broken crypto provider, not user errors).
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("generating the self-signed certificate failed: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("building the TLS server configuration failed: {0}")]
    Config(#[from] rustls::Error),
}

impl From<TlsSetupError> for std::io::Error {
    fn from(e: TlsSetupError) -> Self {
        std::io::Error::other(e)
    }
}

/// An acceptor that offers HTTP/2 and HTTP/1.1 by ALPN with a fresh self-signed certificate.
pub fn self_signed_acceptor() -> Result<TlsAcceptor, TlsSetupError> {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    // The ring provider explicitly: rustls is built without a process-wide default.
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![certified.cert.der().clone()], key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn acceptor_builds() {
        super::self_signed_acceptor().expect("self-signed TLS config");
    }
}
