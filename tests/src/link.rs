//! A loopback TCP proxy standing for the phone's network link: it counts the bytes each way,
//! can hold the link to a rate (a slow rural connection), and can **cut** it after a number of
//! bytes — every open connection is shut, and new ones are refused until the link is restored —
//! so tests and benchmarks can show that a transfer resumes instead of starting again.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;

#[derive(Default)]
struct Shared {
    up: AtomicU64,
    down: AtomicU64,
    /// Bytes (both ways) after which the link is cut; `u64::MAX`: never.
    cut_at: AtomicU64,
    cut: AtomicBool,
    /// Bytes per second each way; 0: unlimited.
    rate: AtomicU64,
    open: Mutex<Vec<TcpStream>>,
}

/// The proxy. Point a device's transport at [`Link::url`].
pub struct Link {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    shared: Arc<Shared>,
}

impl Link {
    /// A link to `target` (the server's address), unlimited and never cut.
    pub fn start(target: SocketAddr) -> Result<Link> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://{}", listener.local_addr()?);
        let shared = Arc::new(Shared {
            cut_at: AtomicU64::new(u64::MAX),
            ..Shared::default()
        });
        let s = shared.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if s.cut.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(target) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
                    continue;
                };
                if let Ok(mut open) = s.open.lock() {
                    open.retain(|c| c.peer_addr().is_ok());
                    for c in [&client, &server] {
                        if let Ok(c) = c.try_clone() {
                            open.push(c);
                        }
                    }
                }
                let (a, b) = (s.clone(), s.clone());
                std::thread::spawn(move || pump(client, server, &a, true));
                std::thread::spawn(move || pump(s2, c2, &b, false));
            }
        });
        Ok(Link { url, shared })
    }

    /// The server address of a `http://host:port` URL.
    pub fn addr_of(url: &str) -> Result<SocketAddr> {
        Ok(url.trim_start_matches("http://").parse()?)
    }

    /// Hold each direction to `bytes_per_second` (0: unlimited).
    pub fn set_rate(&self, bytes_per_second: u64) {
        self.shared.rate.store(bytes_per_second, Ordering::SeqCst);
    }

    /// Cut the link once `more` further bytes (both ways together) have passed.
    pub fn cut_after(&self, more: u64) {
        let (up, down) = self.counts();
        self.shared.cut_at.store(up + down + more, Ordering::SeqCst);
    }

    /// Whether the link has been cut.
    pub fn is_cut(&self) -> bool {
        self.shared.cut.load(Ordering::SeqCst)
    }

    /// Mend the link: new connections pass again, and it is not cut again.
    pub fn restore(&self) {
        self.shared.cut_at.store(u64::MAX, Ordering::SeqCst);
        self.shared.cut.store(false, Ordering::SeqCst);
    }

    /// (bytes up, bytes down) so far.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.shared.up.load(Ordering::SeqCst),
            self.shared.down.load(Ordering::SeqCst),
        )
    }
}

fn cut_all(shared: &Shared) {
    shared.cut.store(true, Ordering::SeqCst);
    if let Ok(mut open) = shared.open.lock() {
        for c in open.drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
    }
}

/// Most bytes a direction may send at once after an idle spell (the token bucket's size):
/// without a cap, a keep-alive connection idle for a minute would then burst at full speed.
const BURST: f64 = 64.0 * 1024.0;

fn pump(mut from: TcpStream, mut to: TcpStream, shared: &Shared, up: bool) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut tokens = BURST;
    let mut last = Instant::now();
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let counter = if up { &shared.up } else { &shared.down };
        let total = counter.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
        let other = if up { &shared.down } else { &shared.up };
        let cut_at = shared.cut_at.load(Ordering::SeqCst);
        let both = total + other.load(Ordering::SeqCst);
        let mut n = n;
        if both >= cut_at {
            // Forward only what fits before the cut, then cut everything.
            n = n.saturating_sub((both - cut_at) as usize);
            let _ = to.write_all(&buf[..n]);
            cut_all(shared);
            break;
        }
        if shared.cut.load(Ordering::SeqCst) || to.write_all(&buf[..n]).is_err() {
            break;
        }
        let rate = shared.rate.load(Ordering::SeqCst) as f64;
        if rate > 0.0 {
            // Token bucket: refill at `rate`, at most BURST; pay for what was sent, and sleep
            // off a debt.
            let now = Instant::now();
            tokens = (tokens + now.duration_since(last).as_secs_f64() * rate).min(BURST);
            last = now;
            tokens -= n as f64;
            if tokens < 0.0 {
                std::thread::sleep(Duration::from_secs_f64(-tokens / rate));
                tokens = 0.0;
                last = Instant::now();
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
