//! Parse throughput of the protocol formats (no criterion: `cargo bench -p shoal-protocol`
//! prints one line per case). Inputs are what a node sees: a 2000-piece torrent (a ~31 GiB
//! file at the default piece size, the largest Shoal writes), a web-seed Range header, a
//! magnet URI and a shortUUID.

use std::hint::black_box;
use std::time::{Duration, Instant};

use shoal_protocol::magnet::MagnetLink;
use shoal_protocol::range::parse_range;
use shoal_protocol::short_uuid;
use shoal_protocol::torrent::{piece_length_for, pieces_for, Info, Metainfo, PieceHasher};

/// Runs `f` repeatedly for about `budget` and prints the mean time per call.
fn bench(name: &str, bytes_per_call: usize, budget: Duration, mut f: impl FnMut()) {
    let start = Instant::now();
    let mut calls = 0u64;
    while start.elapsed() < budget {
        for _ in 0..16 {
            f();
        }
        calls += 16;
    }
    let per_call = start.elapsed().as_secs_f64() / calls as f64;
    let rate = if bytes_per_call > 0 {
        format!(", {:.0} MB/s", bytes_per_call as f64 / per_call / 1e6)
    } else {
        String::new()
    };
    println!("{name:<32} {:>10.3} µs/call{rate}", per_call * 1e6);
}

fn main() {
    let budget = Duration::from_millis(500);
    let length = 31 * 1024 * 1024 * 1024u64;
    let piece_length = piece_length_for(length);
    let count = pieces_for(length, piece_length) as usize;
    let mut metainfo = Metainfo::new(Info {
        name: "video-720.mp4".into(),
        piece_length,
        pieces: (0..count).map(|i| [(i % 251) as u8; 20]).collect(),
        length,
    });
    metainfo.announce = Some("http://127.0.0.1:9000/tracker/announce".into());
    metainfo.url_list = vec!["http://127.0.0.1:9000/static/web-videos/video-720.mp4".into()];
    let bytes = metainfo.to_bytes();
    bench(&format!("torrent from_bytes ({count} pieces)"), bytes.len(), budget, || {
        black_box(Metainfo::from_bytes(black_box(&bytes)).is_ok());
    });
    bench("torrent info_hash", 0, budget, || {
        black_box(metainfo.info_hash());
    });
    let uri = MagnetLink::from_metainfo(&metainfo).to_uri();
    bench("magnet parse", uri.len(), budget, || {
        black_box(MagnetLink::parse(black_box(&uri)).is_ok());
    });
    bench("range parse (1 range)", 0, budget, || {
        black_box(parse_range(black_box("bytes=1048576-2097151"), length));
    });
    bench("range parse (16 ranges)", 0, budget, || {
        black_box(parse_range(
            black_box("bytes=0-1,4-5,8-9,12-13,16-17,20-21,24-25,28-29,32-33,36-37,40-41,44-45,48-49,52-53,56-57,-1"),
            length,
        ));
    });
    let id = short_uuid::encode(uuid::Uuid::from_u128(0x3cc8fa5f7a6b4b529f4a1f7b0c1c9e2d));
    bench("short_uuid decode", 0, budget, || {
        black_box(short_uuid::decode(black_box(&id)));
    });
    let chunk = vec![7u8; 1 << 20];
    bench("PieceHasher 1 MiB", chunk.len(), budget, || {
        let mut hasher = PieceHasher::new(piece_length);
        hasher.update(black_box(&chunk));
        black_box(hasher.finish());
    });
}
