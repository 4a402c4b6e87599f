//! How frames reach the server: a small trait an app implements with its platform's HTTP stack
//! (OkHttp, URLSession), and a blocking implementation behind the `http` feature.

/// An HTTP answer: status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    /// HTTP status code.
    pub status: u16,
    /// Response body.
    pub body: Vec<u8>,
}

/// The network failed (no answer at all). HTTP error statuses are replies, not errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("network: {0}")]
pub struct NetworkError(pub String);

/// Something that can POST bytes to the server.
pub trait Transport {
    /// POST `body` to `path` (e.g. `/v1/sync`) with the given content type and optional
    /// `Authorization` header value; return the reply whatever its status.
    fn post(
        &self,
        path: &str,
        content_type: &str,
        authorization: Option<&str>,
        body: &[u8],
    ) -> Result<HttpReply, NetworkError>;
}

/// Blocking HTTP(S) transport on `ureq` with rustls (no OpenSSL).
///
/// Server certificates are checked by the platform's verifier (`rustls-platform-verifier`):
/// the OS trust store decides, so an organisation's or a device administrator's CA is trusted
/// where the OS trusts it, and the OS's revocation checks apply (Android, iOS, macOS,
/// Windows; on Linux the system CA bundle, or `SSL_CERT_FILE`/`SSL_CERT_DIR`). On Android the
/// app must initialise the verifier with its JVM context first (see
/// `docs/adr/0006-bindings.md`, "TLS"). Tests and closed deployments may instead trust exactly
/// the CAs they give: [`HttpTransport::with_root_certs`].
#[cfg(feature = "http")]
pub struct HttpTransport {
    base: String,
    agent: ureq::Agent,
}

/// A CA certificate given to [`HttpTransport::with_root_certs`] does not parse.
#[cfg(feature = "http")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad CA certificate: {0}")]
pub struct BadCertificate(pub String);

#[cfg(feature = "http")]
impl HttpTransport {
    /// A transport to `base_url` (e.g. `https://danvan.example.vn`), with a whole-request timeout;
    /// the OS decides which server certificates are trusted.
    pub fn new(base_url: &str, timeout: std::time::Duration) -> HttpTransport {
        Self::build(base_url, timeout, ureq::tls::RootCerts::PlatformVerifier)
    }

    /// A transport that trusts only the CA certificates in `ca_pem` (PEM, one or more), not the
    /// OS store: for tests with a test CA, or a deployment pinned to its own CA.
    pub fn with_root_certs(
        base_url: &str,
        timeout: std::time::Duration,
        ca_pem: &[u8],
    ) -> Result<HttpTransport, BadCertificate> {
        let certs = ureq::tls::parse_pem(ca_pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
                Ok(_) => None,
                Err(e) => Some(Err(BadCertificate(e.to_string()))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if certs.is_empty() {
            return Err(BadCertificate("no certificate in the PEM".into()));
        }
        Ok(Self::build(
            base_url,
            timeout,
            ureq::tls::RootCerts::new_with_certs(&certs),
        ))
    }

    fn build(
        base_url: &str,
        timeout: std::time::Duration,
        roots: ureq::tls::RootCerts,
    ) -> HttpTransport {
        let tls = ureq::tls::TlsConfig::builder().root_certs(roots).build();
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .user_agent("danvan-core")
            .tls_config(tls)
            .build()
            .new_agent();
        HttpTransport {
            base: base_url.trim_end_matches('/').to_string(),
            agent,
        }
    }
}

#[cfg(feature = "http")]
impl Transport for HttpTransport {
    fn post(
        &self,
        path: &str,
        content_type: &str,
        authorization: Option<&str>,
        body: &[u8],
    ) -> Result<HttpReply, NetworkError> {
        let url = format!("{}{}", self.base, path);
        let mut req = self.agent.post(&url).header("content-type", content_type);
        if let Some(a) = authorization {
            req = req.header("authorization", a);
        }
        let mut resp = req.send(body).map_err(|e| NetworkError(e.to_string()))?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(256 * 1024 * 1024)
            .read_to_vec()
            .map_err(|e| NetworkError(e.to_string()))?;
        Ok(HttpReply { status, body })
    }
}
