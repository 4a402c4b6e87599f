//! TLS of the phone's HTTP transport: the OS trust store decides (platform verifier), and a
//! test or a closed deployment can trust exactly its own CA.
//!
//! A rustls server on a loopback port presents a certificate from a CA made here. The OS store
//! of this process does not know that CA; a child process of this test binary gets it through
//! `SSL_CERT_FILE` (what the platform verifier reads on Linux), standing for a CA an
//! administrator installed on a phone.

#![cfg(feature = "http")]
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use danvan_core::sync::{HttpTransport, Transport};

/// A CA and a server (certificate for 127.0.0.1, signed by the CA) on a loopback port that
/// answers every request `200 ok`.
struct TlsServer {
    url: String,
    ca_pem: String,
}

fn start_server() -> TlsServer {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "danvan test CA");
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);

    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params.signed_by(&key, &issuer).unwrap();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    let config = Arc::new(config);

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let config = config.clone();
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, stream);
                // A failed handshake (the client refused the certificate) ends here.
                let _ = answer(&mut tls);
            });
        }
    });
    TlsServer {
        url: format!("https://{addr}"),
        ca_pem: ca_cert.pem(),
    }
}

fn answer(stream: &mut (impl Read + Write)) -> std::io::Result<()> {
    let mut reader = BufReader::new(&mut *stream);
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse().unwrap_or(0);
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")?;
    stream.flush()
}

fn post(t: &HttpTransport) -> Result<u16, String> {
    t.post("/v1/sync", "application/x-danvan-sync", None, b"frame")
        .map(|r| r.status)
        .map_err(|e| e.to_string())
}

const TIMEOUT: Duration = Duration::from_secs(10);

#[test]
fn a_ca_given_explicitly_is_trusted() {
    let server = start_server();
    let t = HttpTransport::with_root_certs(&server.url, TIMEOUT, server.ca_pem.as_bytes()).unwrap();
    assert_eq!(post(&t), Ok(200));
    assert!(HttpTransport::with_root_certs(&server.url, TIMEOUT, b"not a pem").is_err());
}

#[test]
fn a_ca_the_os_does_not_trust_is_refused() {
    if std::env::var_os("SSL_CERT_FILE").is_some() {
        return; // this process's store was changed from outside
    }
    let server = start_server();
    let t = HttpTransport::new(&server.url, TIMEOUT);
    let err = post(&t).unwrap_err();
    assert!(
        err.to_lowercase().contains("certificate") || err.contains("issuer"),
        "{err}"
    );
}

/// The child's half of [`the_os_trust_store_decides`]: runs only when started by it.
#[test]
fn child_trusts_what_the_os_store_trusts() {
    let Ok(url) = std::env::var("DANVAN_TLS_CHILD_URL") else {
        return;
    };
    let t = HttpTransport::new(&url, TIMEOUT);
    assert_eq!(post(&t), Ok(200));
}

#[test]
fn the_os_trust_store_decides() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &server.ca_pem).unwrap();
    // The same test binary, running only the child's test, with the CA in its "OS store".
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_trusts_what_the_os_store_trusts",
            "--nocapture",
        ])
        .env("SSL_CERT_FILE", &ca_file)
        .env_remove("SSL_CERT_DIR")
        .env("DANVAN_TLS_CHILD_URL", &server.url)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "the child refused a CA in the OS store:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
