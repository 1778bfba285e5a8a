//! Replication throughput between two nodes on loopback, in one run:
//! (a) `ReplicationNet::fetch_range` (libp2p QUIC + libp2p-stream, the node's real serving path:
//!     positional reads on blocking threads, one chunk ahead), with libp2p's default windows and
//!     with the windows given by the knobs;
//! (b) a plain quinn 0.11 sender/receiver of the same bytes: one bidirectional stream, the server
//!     reading the same file the same way, quinn's default transport config; once with rustls's
//!     default cipher order (AES-256-GCM is negotiated) and once with libp2p-tls's order
//!     (ChaCha20-Poly1305 first, what libp2p's QUIC negotiates), which isolates the transport's
//!     own cost from the cipher's.
//! For each: MB/s (1 MB = 10^6 bytes) and MB per CPU-second (getrusage of this process, which
//! holds both ends), best of the rounds; then the ratio libp2p / quinn.
//!
//! Knobs: SHOAL_BENCH_BYTES (default 268435456 = 256 MiB), SHOAL_BENCH_ROUNDS (3),
//! SHOAL_BENCH_CHUNK (bytes per read/write, 262144), SHOAL_BENCH_STREAM_WINDOW and
//! SHOAL_BENCH_CONN_WINDOW (the tuned libp2p run's max_stream_data / max_connection_data,
//! default 16 MiB / 32 MiB).
//! Run: `cargo bench --workspace --bench replication_throughput`.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use shoal_actors::replication::net::{
    FileResolver, Keypair, Multiaddr, NetConfig, NetEvent, NetOptions, PeerId, ReplicationNet,
};
use shoal_protocol::replication::InfoHash;

const HASH: InfoHash = [0x5a; 20];

fn knob(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// CPU seconds (user + system) of this process so far.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

#[derive(Clone, Copy, Default)]
struct Run {
    bytes: u64,
    wall: f64,
    cpu: f64,
}

impl Run {
    fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.wall
    }
    fn mb_per_cpu_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.cpu
    }
    fn better(self, other: Run) -> Run {
        if other.wall > 0.0 && (self.wall == 0.0 || other.wall < self.wall) {
            other
        } else {
            self
        }
    }
}

async fn measure<F: std::future::Future<Output = u64>>(f: F) -> Run {
    let (t0, c0) = (Instant::now(), cpu_seconds());
    let bytes = f.await;
    Run { bytes, wall: t0.elapsed().as_secs_f64(), cpu: cpu_seconds() - c0 }
}

struct OneFile {
    path: PathBuf,
    size: u64,
}

impl FileResolver for OneFile {
    fn complete_file(&self, info_hash: &InfoHash) -> Option<(PathBuf, u64)> {
        (*info_hash == HASH).then(|| (self.path.clone(), self.size))
    }
    fn torrent(&self, _: &InfoHash) -> Option<Vec<u8>> {
        None
    }
}

fn write_file(path: &Path, size: u64) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("bench file"));
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut block = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        for w in block.chunks_exact_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            w.copy_from_slice(&x.to_le_bytes());
        }
        let n = left.min(block.len() as u64) as usize;
        f.write_all(&block[..n]).expect("bench file");
        left -= n as u64;
    }
    f.flush().expect("bench file");
}

/// Two ReplicationNet nodes; returns the fetching node, the serving node's id, and both nets.
async fn libp2p_pair(path: &Path, size: u64, options: NetOptions) -> (ReplicationNet, ReplicationNet, PeerId) {
    let (ka, kb) = (Keypair::generate_ed25519(), Keypair::generate_ed25519());
    let trusted: HashSet<PeerId> = [ka.public().to_peer_id(), kb.public().to_peer_id()].into();
    let listen: Multiaddr = "/ip4/127.0.0.1/udp/0/quic-v1".parse().expect("multiaddr");
    let files = Arc::new(OneFile { path: path.to_path_buf(), size });
    let config = |keypair: &Keypair, bootstrap: Vec<Multiaddr>| NetConfig {
        listen: listen.clone(),
        bootstrap,
        trusted: trusted.clone(),
        keypair: keypair.clone(),
        max_bytes_per_second: 0,
        files: files.clone(),
    };
    let (a, _a_events) = ReplicationNet::start_with(config(&ka, vec![]), options.clone()).await.expect("start a");
    let addr = a.listen_addrs().await.remove(0);
    let (b, mut b_events) = ReplicationNet::start_with(config(&kb, vec![addr]), options).await.expect("start b");
    let a_id = a.local_peer_id();
    while let Some(e) = b_events.recv().await {
        if matches!(e, NetEvent::Connected(p) if p == a_id) {
            break;
        }
    }
    (b, a, a_id)
}

async fn libp2p_fetch(b: &ReplicationNet, a: PeerId, size: u64) -> u64 {
    let mut stream = b.fetch_range(a, HASH, 0, size).await.expect("fetch_range");
    let mut got = 0;
    while let Some(chunk) = stream.next().await {
        got += chunk.expect("chunk").len() as u64;
    }
    assert_eq!(got, size);
    got
}

/// The plain quinn pair: a server that answers each bi stream's 16-byte (offset, len) request
/// with that range of the file, read like the node reads it; and a connected client.
/// With `libp2p_ciphers`, TLS offers the cipher suites in libp2p-tls's order (ChaCha20-Poly1305
/// first, so that is what is negotiated) instead of rustls's default order (AES-256-GCM first).
async fn quinn_pair(path: &Path, chunk: usize, libp2p_ciphers: bool) -> (quinn::Endpoint, quinn::Connection) {
    use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
    use quinn::rustls::crypto::ring::{cipher_suite, default_provider};
    use quinn::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("cert");
    let cert_der = cert.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_pair.serialize_der()));
    let mut provider = default_provider();
    if libp2p_ciphers {
        provider.cipher_suites = vec![
            cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
            cipher_suite::TLS13_AES_256_GCM_SHA384,
            cipher_suite::TLS13_AES_128_GCM_SHA256,
        ];
    }
    let provider = Arc::new(provider);
    let tls13: &[&quinn::rustls::SupportedProtocolVersion] = &[&quinn::rustls::version::TLS13];
    let server_tls = quinn::rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(tls13)
        .expect("tls 1.3")
        .with_no_client_auth()
        .with_single_cert(vec![cert_der.clone()], key)
        .expect("server cert");
    let server_config =
        quinn::ServerConfig::with_crypto(Arc::new(QuicServerConfig::try_from(server_tls).expect("quic server")));
    let any: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    let server = quinn::Endpoint::server(server_config, any).expect("server");
    let addr = server.local_addr().expect("addr");
    let file = Arc::new(std::fs::File::open(path).expect("open"));
    tokio::spawn(async move {
        while let Some(incoming) = server.accept().await {
            let Ok(conn) = incoming.await else { continue };
            let file = file.clone();
            tokio::spawn(async move {
                while let Ok((mut send, mut recv)) = conn.accept_bi().await {
                    let file = file.clone();
                    tokio::spawn(async move {
                        let mut req = [0u8; 16];
                        if recv.read_exact(&mut req).await.is_err() {
                            return;
                        }
                        let offset = u64::from_be_bytes(req[..8].try_into().unwrap_or_default());
                        let len = u64::from_be_bytes(req[8..].try_into().unwrap_or_default());
                        let end = offset + len;
                        let read = |pos: u64| {
                            let file = file.clone();
                            let n = (chunk as u64).min(end - pos) as usize;
                            tokio::task::spawn_blocking(move || {
                                use std::os::unix::fs::FileExt;
                                let mut buf = vec![0u8; n];
                                file.read_exact_at(&mut buf, pos).map(|_| buf)
                            })
                        };
                        let mut pos = offset;
                        let mut next = (pos < end).then(|| read(pos));
                        while let Some(pending) = next.take() {
                            let Ok(Ok(buf)) = pending.await else { return };
                            pos += buf.len() as u64;
                            if pos < end {
                                next = Some(read(pos));
                            }
                            if send.write_all(&buf).await.is_err() {
                                return;
                            }
                        }
                        let _ = send.finish();
                        let _ = send.stopped().await;
                    });
                }
            });
        }
    });
    let mut roots = quinn::rustls::RootCertStore::empty();
    roots.add(cert_der).expect("root");
    let client_tls = quinn::rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(tls13)
        .expect("tls 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let client_config =
        quinn::ClientConfig::new(Arc::new(QuicClientConfig::try_from(client_tls).expect("quic client")));
    let mut client = quinn::Endpoint::client(any).expect("client");
    client.set_default_client_config(client_config);
    let conn = client.connect(addr, "localhost").expect("connect").await.expect("handshake");
    (client, conn)
}

async fn quinn_fetch(conn: &quinn::Connection, size: u64, chunk: usize) -> u64 {
    let (mut send, mut recv) = conn.open_bi().await.expect("open_bi");
    let mut req = [0u8; 16];
    req[8..].copy_from_slice(&size.to_be_bytes());
    send.write_all(&req).await.expect("request");
    let _ = send.finish();
    let mut got = 0u64;
    // The same receive shape as the node: fill chunk-sized buffers.
    loop {
        let mut buf = vec![0u8; chunk.min((size - got).max(1) as usize)];
        let mut filled = 0;
        while filled < buf.len() {
            match recv.read(&mut buf[filled..]).await.expect("read") {
                Some(n) => filled += n,
                None => break,
            }
        }
        got += filled as u64;
        let bytes = bytes::Bytes::from(buf);
        std::hint::black_box(&bytes);
        if filled == 0 || got >= size {
            break;
        }
    }
    assert_eq!(got, size);
    got
}

fn print(name: &str, r: Run) {
    println!(
        "{name:<44} {:>9.1} MB/s {:>9.1} MB/CPU-s   ({:.1} MB in {:.3} s, {:.3} CPU-s)",
        r.mb_per_s(),
        r.mb_per_cpu_s(),
        r.bytes as f64 / 1e6,
        r.wall,
        r.cpu
    );
}

fn main() {
    let size = knob("SHOAL_BENCH_BYTES", 256 << 20).max(1);
    let rounds = knob("SHOAL_BENCH_ROUNDS", 3).max(1);
    let chunk = knob("SHOAL_BENCH_CHUNK", 256 << 10).max(1) as usize;
    let stream_window = knob("SHOAL_BENCH_STREAM_WINDOW", 16 << 20) as u32;
    let conn_window = knob("SHOAL_BENCH_CONN_WINDOW", 32 << 20) as u32;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bench.bin");
    write_file(&path, size);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let defaults = NetOptions { chunk_size: chunk, ..NetOptions::default() };
        let tuned = NetOptions {
            chunk_size: chunk,
            max_stream_data: stream_window,
            max_connection_data: conn_window,
            ..NetOptions::default()
        };
        let default_label = format!(
            "libp2p fetch_range (windows {}/{} MB)",
            defaults.max_stream_data / 1_000_000,
            defaults.max_connection_data / 1_000_000
        );
        let tuned_label = format!(
            "libp2p fetch_range (windows {:.1}/{:.1} MB)",
            stream_window as f64 / 1e6,
            conn_window as f64 / 1e6
        );
        let (b1, a1, a1_id) = libp2p_pair(&path, size, defaults).await;
        let (b2, a2, a2_id) = libp2p_pair(&path, size, tuned).await;
        let (_client, conn) = quinn_pair(&path, chunk, false).await;
        let (_client_chacha, conn_chacha) = quinn_pair(&path, chunk, true).await;
        // Warm-up (page cache, congestion windows), not measured.
        let warm = size.min(16 << 20);
        libp2p_fetch(&b1, a1_id, warm).await;
        libp2p_fetch(&b2, a2_id, warm).await;
        quinn_fetch(&conn, warm, chunk).await;
        quinn_fetch(&conn_chacha, warm, chunk).await;

        let mut results: HashMap<&str, Run> = HashMap::new();
        for round in 0..rounds {
            let r1 = measure(libp2p_fetch(&b1, a1_id, size)).await;
            let r2 = measure(libp2p_fetch(&b2, a2_id, size)).await;
            let rq = measure(quinn_fetch(&conn, size, chunk)).await;
            let rc = measure(quinn_fetch(&conn_chacha, size, chunk)).await;
            eprintln!(
                "round {round}: libp2p default {:.1} MB/s, libp2p tuned {:.1} MB/s, quinn {:.1} MB/s, quinn chacha {:.1} MB/s",
                r1.mb_per_s(),
                r2.mb_per_s(),
                rq.mb_per_s(),
                rc.mb_per_s()
            );
            for (k, r) in [("default", r1), ("tuned", r2), ("quinn", rq), ("chacha", rc)] {
                let e = results.entry(k).or_default();
                *e = e.better(r);
            }
        }
        println!(
            "replication throughput, {:.1} MB per transfer, best of {rounds} rounds, chunk {chunk} B",
            size as f64 / 1e6
        );
        let quinn_label = "quinn 0.11 plain (defaults: AES-256-GCM)";
        let chacha_label = "quinn 0.11 plain (libp2p-tls order: ChaCha20)";
        print(&default_label, results["default"]);
        print(&tuned_label, results["tuned"]);
        print(quinn_label, results["quinn"]);
        print(chacha_label, results["chacha"]);
        for (label, k) in [(default_label.as_str(), "default"), (tuned_label.as_str(), "tuned")] {
            for (base_label, base) in [(quinn_label, "quinn"), (chacha_label, "chacha")] {
                let (r, q) = (results[k], results[base]);
                println!(
                    "ratio {label} / {base_label}: {:.2}x MB/s, {:.2}x MB/CPU-s",
                    r.mb_per_s() / q.mb_per_s(),
                    r.mb_per_cpu_s() / q.mb_per_cpu_s()
                );
            }
        }
        for n in [&a1, &b1, &a2, &b2] {
            n.shutdown().await;
        }
        conn.close(0u32.into(), b"done");
        conn_chacha.close(0u32.into(), b"done");
    });
}
