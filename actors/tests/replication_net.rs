//! The replication transport between real nodes in one process, over QUIC on loopback: nodes
//! connect and exchange announcements, ranges of a file arrive byte-identical, torrents are
//! fetched, a stranger gets nothing and has no say, a bootstrap member that comes up late is
//! redialled, serving is throttled, and the identity survives a restart.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use shoal_actors::replication::net::{
    load_or_create_identity, FileResolver, Keypair, Multiaddr, NetConfig, NetError, NetEvent, PeerId, ReplicationNet,
    IDENTITY_FILE,
};
use shoal_protocol::replication::{Announcement, HeldCopy, InfoHash};
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(20);

/// Files on disk by info-hash, with a torrent each.
#[derive(Default)]
struct Files {
    by_hash: HashMap<InfoHash, (PathBuf, u64, Vec<u8>)>,
}

impl FileResolver for Files {
    fn complete_file(&self, info_hash: &InfoHash) -> Option<(PathBuf, u64)> {
        self.by_hash.get(info_hash).map(|(p, s, _)| (p.clone(), *s))
    }

    fn torrent(&self, info_hash: &InfoHash) -> Option<Vec<u8>> {
        self.by_hash.get(info_hash).map(|(_, _, t)| t.clone())
    }
}

/// `len` pseudo-random bytes (xorshift64*), different for every seed.
fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    out.truncate(len);
    out
}

fn write_file(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    path
}

fn loopback() -> Multiaddr {
    "/ip4/127.0.0.1/udp/0/quic-v1".parse().unwrap()
}

fn announcement(seq: u64, url: &str) -> Announcement {
    Announcement {
        seq,
        capacity_bytes: 1 << 30,
        public_url: url.into(),
        catalogue: vec![],
        holds: vec![HeldCopy { info_hash: [seq as u8; 20], since: 1_700_000_000, filename: format!("v{seq}.mp4") }],
    }
}

struct Node {
    net: ReplicationNet,
    events: mpsc::Receiver<NetEvent>,
}

async fn start(
    keypair: &Keypair,
    trusted: &[PeerId],
    bootstrap: Vec<Multiaddr>,
    files: Files,
    max_bytes_per_second: u64,
) -> Node {
    start_on(loopback(), keypair, trusted, bootstrap, files, max_bytes_per_second).await
}

async fn start_on(
    listen: Multiaddr,
    keypair: &Keypair,
    trusted: &[PeerId],
    bootstrap: Vec<Multiaddr>,
    files: Files,
    max_bytes_per_second: u64,
) -> Node {
    try_start_on(listen, keypair, trusted, bootstrap, Arc::new(files), max_bytes_per_second).await.unwrap()
}

async fn try_start_on(
    listen: Multiaddr,
    keypair: &Keypair,
    trusted: &[PeerId],
    bootstrap: Vec<Multiaddr>,
    files: Arc<Files>,
    max_bytes_per_second: u64,
) -> Result<Node, NetError> {
    let config = NetConfig {
        listen,
        bootstrap,
        trusted: trusted.iter().copied().collect::<HashSet<_>>(),
        keypair: keypair.clone(),
        max_bytes_per_second,
        files,
    };
    let (net, events) = ReplicationNet::start(config).await?;
    Ok(Node { net, events })
}

fn id(k: &Keypair) -> PeerId {
    k.public().to_peer_id()
}

/// Waits for the first event that `f` maps to `Some`, skipping others.
async fn wait_for<T>(
    events: &mut mpsc::Receiver<NetEvent>,
    what: &str,
    mut f: impl FnMut(&NetEvent) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(e)) => {
                if let Some(t) = f(&e) {
                    return t;
                }
            }
            Ok(None) => panic!("event channel closed while waiting for {what}"),
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

async fn connected(node: &mut Node, peer: PeerId) {
    wait_for(&mut node.events, "connection", |e| matches!(e, NetEvent::Connected(p) if *p == peer).then_some(())).await;
}

async fn collect(stream: shoal_actors::replication::net::RangeStream) -> Result<Vec<u8>, NetError> {
    let mut out = Vec::new();
    let mut stream = stream;
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk?);
    }
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_members_connect_announce_and_transfer_ranges_and_torrents() {
    let dir = tempfile::tempdir().unwrap();
    let data = bytes(8 << 20, 11);
    let hash: InfoHash = [0x42; 20];
    let torrent = b"d8:announce4:none4:infod6:lengthi8388608eee".to_vec();
    let mut files = Files::default();
    files.by_hash.insert(hash, (write_file(dir.path(), "a.mp4", &data), data.len() as u64, torrent.clone()));

    let (ka, kb) = (Keypair::generate_ed25519(), Keypair::generate_ed25519());
    let trusted = [id(&ka), id(&kb)];
    let mut a = start(&ka, &trusted, vec![], files, 0).await;
    let a_addr = a.net.listen_addrs().await.into_iter().next().expect("a listens");
    let mut b = start(&kb, &trusted, vec![a_addr], Files::default(), 0).await;
    connected(&mut a, id(&kb)).await;
    connected(&mut b, id(&ka)).await;
    assert!(b.net.connected_peers().await.contains(&id(&ka)));

    // Announcements both ways.
    a.net.announce(announcement(1, "https://a.example")).await.unwrap();
    let got = wait_for(&mut b.events, "a's announcement", |e| match e {
        NetEvent::Announcement { from, announcement } if *from == id(&ka) => Some(announcement.clone()),
        _ => None,
    })
    .await;
    assert_eq!(got, announcement(1, "https://a.example"));
    b.net.announce(announcement(2, "https://b.example")).await.unwrap();
    let got = wait_for(&mut a.events, "b's announcement", |e| match e {
        NetEvent::Announcement { from, announcement } if *from == id(&kb) => Some(announcement.clone()),
        _ => None,
    })
    .await;
    assert_eq!(got.public_url, "https://b.example");

    // The whole file, then a sub-range, byte-identical.
    let whole = collect(b.net.fetch_range(id(&ka), hash, 0, data.len() as u64).await.unwrap()).await.unwrap();
    assert!(whole == data, "8 MiB range differs ({} bytes)", whole.len());
    let (offset, len) = (1_000_003u64, 777_777u64);
    let part = b.net.fetch_range_bytes(id(&ka), hash, offset, len).await.unwrap();
    assert_eq!(&part[..], &data[offset as usize..(offset + len) as usize]);
    let tail = b.net.fetch_range_bytes(id(&ka), hash, data.len() as u64 - 1, 1).await.unwrap();
    assert_eq!(&tail[..], &data[data.len() - 1..]);
    assert!(a.net.metrics().bytes_served() >= data.len() as u64 + len);
    assert_eq!(a.net.metrics().ranges_served("ok"), 3);

    // Errors the server names.
    let past = b.net.fetch_range(id(&ka), hash, data.len() as u64 - 10, 11).await.err().unwrap();
    assert!(matches!(past, NetError::OutOfRange { size } if size == data.len() as u64), "{past}");
    let unknown = b.net.fetch_range(id(&ka), [1; 20], 0, 10).await.err().unwrap();
    assert!(matches!(unknown, NetError::NotFound), "{unknown}");
    // a holds nothing of b's.
    let none = a.net.fetch_range(id(&kb), hash, 0, 10).await.err().unwrap();
    assert!(matches!(none, NetError::NotFound), "{none}");

    // A server whose file is shorter than it claims: the requester gets an error, never a
    // short range passed off as complete.
    let lying_hash: InfoHash = [0x43; 20];
    let short = write_file(dir.path(), "short.mp4", &data[..100_000]);
    let mut lying = Files::default();
    lying.by_hash.insert(lying_hash, (short, 4 << 20, vec![]));
    let kl = Keypair::generate_ed25519();
    let liar = start(&kl, &[id(&kl), id(&kb)], vec![], lying, 0).await;
    let liar_addr = liar.net.listen_addrs().await.remove(0);
    b.net.dial(liar_addr).await.unwrap();
    let deadline = Instant::now() + WAIT;
    while !b.net.connected_peers().await.contains(&id(&kl)) {
        assert!(Instant::now() < deadline, "b never connected to the liar");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let result = match b.net.fetch_range(id(&kl), lying_hash, 0, 1 << 20).await {
        Ok(stream) => collect(stream).await,
        Err(e) => Err(e),
    };
    assert!(matches!(result, Err(NetError::Truncated { .. }) | Err(NetError::Io(_))), "{:?}", result.map(|v| v.len()));
    liar.net.shutdown().await;

    // Torrents.
    assert_eq!(b.net.fetch_torrent(id(&ka), hash).await.unwrap(), torrent);
    assert!(matches!(b.net.fetch_torrent(id(&ka), [9; 20]).await, Err(NetError::NotFound)));

    b.net.shutdown().await;
    wait_for(&mut a.events, "b's disconnection", |e| {
        matches!(e, NetEvent::Disconnected(p) if *p == id(&kb)).then_some(())
    })
    .await;
    a.net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_members_hear_each_other_and_a_late_one_gets_the_last_announcement() {
    let keys: Vec<Keypair> = (0..3).map(|_| Keypair::generate_ed25519()).collect();
    let trusted: Vec<PeerId> = keys.iter().map(id).collect();
    let mut a = start(&keys[0], &trusted, vec![], Files::default(), 0).await;
    let a_addr = a.net.listen_addrs().await.remove(0);
    let mut b = start(&keys[1], &trusted, vec![a_addr.clone()], Files::default(), 0).await;
    connected(&mut a, trusted[1]).await;
    // a announces before c exists: c still gets it when it connects.
    a.net.announce(announcement(5, "https://a.example")).await.unwrap();
    wait_for(&mut b.events, "a's announcement at b", |e| {
        matches!(e, NetEvent::Announcement { from, .. } if *from == trusted[0]).then_some(())
    })
    .await;
    let b_addr = b.net.listen_addrs().await.remove(0);
    let mut c = start(&keys[2], &trusted, vec![a_addr, b_addr], Files::default(), 0).await;
    let got = wait_for(&mut c.events, "a's announcement at c", |e| match e {
        NetEvent::Announcement { from, announcement } if *from == trusted[0] => Some(announcement.seq),
        _ => None,
    })
    .await;
    assert_eq!(got, 5);
    connected(&mut b, trusted[2]).await;
    c.net.announce(announcement(6, "https://c.example")).await.unwrap();
    for node in [&mut a, &mut b] {
        wait_for(&mut node.events, "c's announcement", |e| {
            matches!(e, NetEvent::Announcement { from, announcement } if *from == trusted[2] && announcement.seq == 6)
                .then_some(())
        })
        .await;
    }
    for n in [&a, &b, &c] {
        n.net.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_connects_but_gets_no_file_no_torrent_and_no_say() {
    let dir = tempfile::tempdir().unwrap();
    let data = bytes(1 << 20, 3);
    let hash: InfoHash = [0x17; 20];
    let mut files = Files::default();
    files.by_hash.insert(hash, (write_file(dir.path(), "f.mp4", &data), data.len() as u64, b"de".to_vec()));

    let (ka, kb, ks) = (Keypair::generate_ed25519(), Keypair::generate_ed25519(), Keypair::generate_ed25519());
    // a trusts b only; the stranger trusts a (so it would accept a's files).
    let mut a = start(&ka, &[id(&ka), id(&kb)], vec![], files, 0).await;
    let a_addr = a.net.listen_addrs().await.remove(0);
    let mut s = start(&ks, &[id(&ka)], vec![a_addr.clone()], Files::default(), 0).await;
    connected(&mut s, id(&ka)).await;

    let refused = s.net.fetch_range(id(&ka), hash, 0, 100).await.err().unwrap();
    assert!(matches!(&refused, NetError::Refused(r) if r == "not trusted"), "{refused}");
    let refused = s.net.fetch_torrent(id(&ka), hash).await.unwrap_err();
    assert!(matches!(&refused, NetError::Refused(_)), "{refused}");
    s.net.announce(announcement(9, "https://stranger.example")).await.unwrap();
    let deadline = Instant::now() + WAIT;
    while a.net.metrics().strangers_refused("announce") == 0 {
        assert!(Instant::now() < deadline, "the stranger's announcement never arrived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(a.net.metrics().strangers_refused("range"), 1);
    assert_eq!(a.net.metrics().strangers_refused("torrent"), 1);
    assert_eq!(a.net.metrics().ranges_served("ok"), 0);
    assert_eq!(a.net.metrics().bytes_served(), 0);

    // A trusted member announces after the stranger: everything a reports up to it is
    // refusals of the stranger, never its announcement.
    let mut b = start(&kb, &[id(&ka)], vec![a_addr], Files::default(), 0).await;
    connected(&mut b, id(&ka)).await;
    b.net.announce(announcement(1, "https://b.example")).await.unwrap();
    let mut refusals = 0;
    wait_for(&mut a.events, "b's announcement", |e| match e {
        NetEvent::Announcement { from, .. } if *from == id(&ks) => panic!("the stranger's announcement was delivered"),
        NetEvent::Announcement { from, .. } if *from == id(&kb) => Some(()),
        NetEvent::StrangerRefused(p) => {
            assert_eq!(*p, id(&ks));
            refusals += 1;
            None
        }
        NetEvent::Connected(p) => {
            assert_ne!(*p, id(&ks), "a stranger is not reported as a member");
            None
        }
        _ => None,
    })
    .await;
    assert_eq!(refusals, 3, "range, torrent and announcement refusals are reported");
    // And b, trusted, does get the file.
    assert_eq!(b.net.fetch_range_bytes(id(&ka), hash, 0, 1000).await.unwrap(), &data[..1000]);
    for n in [&a, &b, &s] {
        n.net.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bootstrap_member_that_comes_up_late_is_redialled() {
    let (ka, kb) = (Keypair::generate_ed25519(), Keypair::generate_ed25519());
    let trusted = [id(&ka), id(&kb)];
    // A free UDP port for a, which starts only after b has tried (and failed) to dial it.
    let port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let a_listen: Multiaddr = format!("/ip4/127.0.0.1/udp/{port}/quic-v1").parse().unwrap();
    let a_bootstrap = a_listen.clone().with_p2p(id(&ka)).unwrap();
    let mut b = start(&kb, &trusted, vec![a_bootstrap], Files::default(), 0).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(b.net.connected_peers().await.is_empty());
    let mut a = start_on(a_listen, &ka, &trusted, vec![], Files::default(), 0).await;
    connected(&mut b, id(&ka)).await;
    connected(&mut a, id(&kb)).await;
    // a goes away and comes back on the same port: b reconnects.
    a.net.shutdown().await;
    wait_for(&mut b.events, "a's disconnection", |e| {
        matches!(e, NetEvent::Disconnected(p) if *p == id(&ka)).then_some(())
    })
    .await;
    // The old endpoint may hold the port for a moment after shutdown.
    let a_listen: Multiaddr = format!("/ip4/127.0.0.1/udp/{port}/quic-v1").parse().unwrap();
    let deadline = Instant::now() + WAIT;
    let a2 = loop {
        match try_start_on(a_listen.clone(), &ka, &trusted, vec![], Arc::new(Files::default()), 0).await {
            Ok(node) => break node,
            Err(e) if Instant::now() < deadline => {
                eprintln!("restart on port {port}: {e}; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("cannot restart a on port {port}: {e}"),
        }
    };
    connected(&mut b, id(&ka)).await;
    a2.net.shutdown().await;
    b.net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serving_is_throttled_to_max_bytes_per_second() {
    let dir = tempfile::tempdir().unwrap();
    let data = bytes(5 << 19, 5); // 2.5 MiB
    let hash: InfoHash = [0x33; 20];
    let mut files = Files::default();
    files.by_hash.insert(hash, (write_file(dir.path(), "t.mp4", &data), data.len() as u64, vec![]));
    let (ka, kb) = (Keypair::generate_ed25519(), Keypair::generate_ed25519());
    let trusted = [id(&ka), id(&kb)];
    let rate = 1 << 20;
    let a = start(&ka, &trusted, vec![], files, rate).await;
    let a_addr = a.net.listen_addrs().await.remove(0);
    let mut b = start(&kb, &trusted, vec![a_addr], Files::default(), 0).await;
    connected(&mut b, id(&ka)).await;
    let started = Instant::now();
    let got = b.net.fetch_range_bytes(id(&ka), hash, 0, data.len() as u64).await.unwrap();
    let elapsed = started.elapsed();
    assert!(got == data);
    // One second of burst (1 MiB), then 1.5 MiB at 1 MiB/s.
    assert!(elapsed >= Duration::from_millis(1300), "2.5 MiB at 1 MiB/s took only {elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    a.net.shutdown().await;
    b.net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_identity_survives_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("redundancy");
    let first = load_or_create_identity(&dir).unwrap();
    let node = start(&first, &[], vec![], Files::default(), 0).await;
    let peer = node.net.local_peer_id();
    assert_eq!(peer, id(&first));
    assert!(node.net.listen_addrs().await[0].to_string().ends_with(&format!("/p2p/{peer}")));
    node.net.shutdown().await;
    drop(node);

    let again = load_or_create_identity(&dir).unwrap();
    let node = start(&again, &[], vec![], Files::default(), 0).await;
    assert_eq!(node.net.local_peer_id(), peer, "same peer id from the same folder");
    node.net.shutdown().await;
    assert!(dir.join(IDENTITY_FILE).is_file());
    let other = load_or_create_identity(&data.path().join("elsewhere")).unwrap();
    assert_ne!(id(&other), peer);
}
