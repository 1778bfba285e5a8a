//! Placement figures (`cargo bench -p shoal-protocol --bench placement`): the time to place a
//! catalogue of 100,000 videos over 1,000 members with k = 2 (`place_all`, one thread), and
//! the memory per held copy, counted by a global allocator that tracks live and peak heap
//! bytes (exact, unlike RSS): the peak while placing, and what the result keeps.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use shoal_protocol::placement::{place_all, Member, MemberId, Members, VideoDigest};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn main() {
    let (n_members, n_videos, k) = (1_000usize, 100_000usize, 2usize);
    let members = Members::new((0..n_members).map(|i| Member {
        id: MemberId::from(format!("12D3KooWmember{i:06}").into_bytes()),
        // Capacities from 10 GiB to 1 TiB, spread evenly.
        weight: (10u64 << 30) + (i as u64 % 100) * (10u64 << 30),
    }))
    .expect("distinct ids");
    let videos: Vec<VideoDigest> =
        (0..n_videos).map(|i| VideoDigest::of(format!("https://origin.example/videos/{i}").as_bytes())).collect();
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let mut best = f64::INFINITY;
    let mut assignment = None;
    for _ in 0..3 {
        let start = Instant::now();
        let a = black_box(place_all(&members, &videos, k).expect("k > 0"));
        best = best.min(start.elapsed().as_secs_f64());
        assignment = Some(a);
    }
    let a = assignment.expect("ran");
    let peak = PEAK.load(Ordering::Relaxed) - base;
    let kept = LIVE.load(Ordering::Relaxed) - base;
    let copies = a.copies();
    println!("place_all: {n_videos} videos over {n_members} members, k = {k}, one thread");
    println!(
        "  time (best of 3)          {:>10.3} s  ({:.1} ns per video-member pair)",
        best,
        best * 1e9 / (n_videos * n_members) as f64
    );
    println!("  copies placed             {:>10}", copies);
    println!("  result heap               {:>10} bytes = {:.2} bytes per held copy", kept, kept as f64 / copies as f64);
    println!(
        "  peak heap while placing   {:>10} bytes = {:.2} bytes per held copy (beyond the inputs)",
        peak,
        peak as f64 / copies as f64
    );
    let inputs = videos.capacity() * std::mem::size_of::<VideoDigest>();
    println!(
        "  video digests (input)     {:>10} bytes = {:.2} bytes per held copy",
        inputs,
        inputs as f64 / copies as f64
    );
    let counts: Vec<usize> = (0..n_members).map(|m| a.of_member(m).len()).collect();
    let total_w: u64 = members.weights().iter().sum();
    let worst = (0..n_members)
        .map(|m| {
            let share = (k * n_videos) as f64 * members.weights()[m] as f64 / total_w as f64;
            (counts[m] as f64 - share).abs() / share
        })
        .fold(0.0, f64::max);
    println!("  worst member vs its weight share: {:.1} % off", worst * 100.0);
}
