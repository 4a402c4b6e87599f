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

/// The methods of the attachment transfer (ADR 0014), after tus: `HEAD` asks how many bytes
/// the server has, `PATCH` appends a piece at an offset, `GET` reads a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobMethod {
    /// `HEAD`: the server answers `Upload-Offset` and `Upload-Length`.
    Head,
    /// `PATCH` with `Upload-Offset`: append the body there.
    Patch,
    /// `GET`, with a `Range` when given.
    Get,
}

/// One request of the attachment transfer.
#[derive(Debug, Clone)]
pub struct BlobRequest<'a> {
    /// Method.
    pub method: BlobMethod,
    /// Path and query, e.g. `/v1/attachments/<sha256>?record=<id>`.
    pub path: &'a str,
    /// `Authorization` header value.
    pub authorization: &'a str,
    /// `Upload-Offset` header (`PATCH`).
    pub upload_offset: Option<u64>,
    /// `Range: bytes=first-last` (`GET`), both inclusive.
    pub range: Option<(u64, u64)>,
    /// Body (`PATCH`; sent as `application/offset+octet-stream`).
    pub body: &'a [u8],
}

/// The answer to a [`BlobRequest`]: status, the `Upload-Offset` header if any, and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobReply {
    /// HTTP status.
    pub status: u16,
    /// The `Upload-Offset` header: bytes the server holds of the file.
    pub upload_offset: Option<u64>,
    /// Body.
    pub body: Vec<u8>,
}

/// Something that can move attachment bytes (implemented by [`HttpTransport`]).
pub trait BlobTransport {
    /// Send `req`; the answer whatever its status, an error only when there is none.
    fn blob(&self, req: &BlobRequest<'_>) -> Result<BlobReply, NetworkError>;
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

#[cfg(feature = "http")]
impl BlobTransport for HttpTransport {
    fn blob(&self, req: &BlobRequest<'_>) -> Result<BlobReply, NetworkError> {
        let url = format!("{}{}", self.base, req.path);
        let net = |e: ureq::Error| NetworkError(e.to_string());
        let mut resp = match req.method {
            BlobMethod::Head => self
                .agent
                .head(&url)
                .header("authorization", req.authorization)
                .header("tus-resumable", "1.0.0")
                .call()
                .map_err(net)?,
            BlobMethod::Get => {
                let mut r = self
                    .agent
                    .get(&url)
                    .header("authorization", req.authorization);
                if let Some((first, last)) = req.range {
                    r = r.header("range", &format!("bytes={first}-{last}"));
                }
                r.call().map_err(net)?
            }
            BlobMethod::Patch => {
                let mut r = self
                    .agent
                    .patch(&url)
                    .header("authorization", req.authorization)
                    .header("tus-resumable", "1.0.0")
                    .header("content-type", "application/offset+octet-stream");
                if let Some(offset) = req.upload_offset {
                    r = r.header("upload-offset", &offset.to_string());
                }
                r.send(req.body).map_err(net)?
            }
        };
        let status = resp.status().as_u16();
        let upload_offset = resp
            .headers()
            .get("upload-offset")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let body = if req.method == BlobMethod::Head {
            Vec::new()
        } else {
            resp.body_mut()
                .with_config()
                .limit(64 * 1024 * 1024)
                .read_to_vec()
                .map_err(net)?
        };
        Ok(BlobReply {
            status,
            upload_offset,
            body,
        })
    }
}
