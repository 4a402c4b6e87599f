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
#[cfg(feature = "http")]
pub struct HttpTransport {
    base: String,
    agent: ureq::Agent,
}

#[cfg(feature = "http")]
impl HttpTransport {
    /// A transport to `base_url` (e.g. `https://danvan.example.vn`), with a whole-request timeout.
    pub fn new(base_url: &str, timeout: std::time::Duration) -> HttpTransport {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .user_agent("danvan-core")
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
