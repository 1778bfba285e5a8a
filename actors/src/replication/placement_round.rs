//! One placement round of this node: the inputs of [`plan_for`] gathered from the membership
//! table, this node's own catalogue, copies and running jobs, and its answer turned into
//! mirror requests and drops. Pure (no I/O): the `ReplicationActor` calls it on its state.

use super::copies::{CopyReason, CopyRecord};
use super::mirror::MirrorRequest;
use super::net::PeerId;
use shoal_protocol::placement::{
    plan_for, CatalogueVideo as PlacedVideo, CopyFact, CopyState, Liveness, MemberId, MemberView, PlacementError,
    Policy,
};
use shoal_protocol::replication::{Announcement, CatalogueFile, CatalogueVideo, InfoHash, Membership};
use std::collections::{BTreeMap, HashMap};
use url::Url;
use uuid::Uuid;

/// The placement id of a peer: its multihash bytes, the same on every member.
pub fn member_id(peer: &PeerId) -> MemberId {
    MemberId::from(peer.to_bytes())
}

/// What this node knows of itself for a round.
pub struct LocalState<'a> {
    pub peer: PeerId,
    pub capacity_bytes: u64,
    pub public_url: &'a str,
    pub catalogue: &'a [CatalogueVideo],
    /// Complete copies held (every reason).
    pub copies: &'a [CopyRecord],
    /// Files being fetched now, with when the job started (Unix seconds).
    pub fetching: &'a HashMap<InfoHash, u64>,
}

/// What the round decided.
#[derive(Debug, Default)]
pub struct RoundOutcome {
    /// Files to start mirroring (not already held or fetching).
    pub mirror: Vec<MirrorRequest>,
    /// Placement copies (or fetches) of this node that are surplus.
    pub drop: Vec<InfoHash>,
    /// Files of member origins below k live complete copies.
    pub below_k: usize,
    /// Files of member origins with no copy on any live member.
    pub without_copy: usize,
    /// Files of member origins placed in all.
    pub files: usize,
    pub next_check: Option<u64>,
    /// Who holds what among the live members (copies first, then the origin), for the
    /// mirror jobs' sources.
    pub holders: HashMap<InfoHash, Vec<PeerId>>,
}

/// Runs a round at `now` (Unix seconds).
pub fn run_round(
    local: &LocalState<'_>,
    membership: &Membership<PeerId>,
    policy: &Policy,
    mirror_members: bool,
    now: u64,
) -> Result<RoundOutcome, PlacementError> {
    let me = member_id(&local.peer);
    let mut members = vec![MemberView { id: me.clone(), weight: local.capacity_bytes, liveness: Liveness::Live }];
    let mut copies: Vec<CopyFact> = Vec::new();
    let mut holders: HashMap<InfoHash, Vec<PeerId>> = HashMap::new();
    let mut origin_files: Vec<(InfoHash, PeerId)> = Vec::new();
    // Catalogue entries by video URL, so a video is placed once whoever announced it.
    let mut catalogue: BTreeMap<String, (MemberId, String, &CatalogueVideo)> = BTreeMap::new();
    for (peer, state) in membership.iter() {
        if *peer == local.peer {
            continue;
        }
        let id = member_id(peer);
        let announcement: &Announcement = &state.announcement;
        members.push(MemberView { id: id.clone(), weight: announcement.capacity_bytes, liveness: state.liveness });
        for held in &announcement.holds {
            copies.push(CopyFact {
                member: id.clone(),
                info_hash: held.info_hash,
                state: CopyState::Complete,
                created_at: held.since,
            });
            if state.liveness == Liveness::Live {
                holders.entry(held.info_hash).or_default().push(*peer);
            }
        }
        if mirror_members {
            for video in &announcement.catalogue {
                catalogue.entry(video.url.clone()).or_insert((id.clone(), announcement.public_url.clone(), video));
            }
        }
        if state.liveness == Liveness::Live {
            origin_files
                .extend(announcement.catalogue.iter().flat_map(|v| v.files.iter().map(|f| (f.info_hash, *peer))));
        }
    }
    // Live complete copies besides the origin's files: below k, a fetch is a repair.
    let mut live_copies: HashMap<InfoHash, usize> = holders.iter().map(|(h, peers)| (*h, peers.len())).collect();
    for copy in local.copies {
        *live_copies.entry(copy.info_hash).or_default() += 1;
    }
    // A live origin serves its own files too, after the mirrors (which spare it the load).
    for (info_hash, peer) in origin_files {
        holders.entry(info_hash).or_default().push(peer);
    }
    if mirror_members {
        for video in local.catalogue {
            catalogue.entry(video.url.clone()).or_insert((me.clone(), local.public_url.to_string(), video));
        }
    }
    for copy in local.copies {
        copies.push(CopyFact {
            member: me.clone(),
            info_hash: copy.info_hash,
            state: CopyState::Complete,
            created_at: copy.created_at,
        });
    }
    for (info_hash, started) in local.fetching {
        copies.push(CopyFact {
            member: me.clone(),
            info_hash: *info_hash,
            state: CopyState::Fetching,
            created_at: *started,
        });
    }
    let entries: Vec<(MemberId, String, &CatalogueVideo)> = catalogue.into_values().collect();
    let placed: Vec<PlacedVideo> = entries
        .iter()
        .map(|(origin, _, video)| PlacedVideo {
            key: video.url.as_bytes().to_vec(),
            origin: origin.clone(),
            files: video.files.iter().map(|f| f.info_hash).collect(),
        })
        .collect();
    let plan = plan_for(&me, &members, &placed, &copies, policy, now)?;
    let held: HashMap<InfoHash, &CopyRecord> = local.copies.iter().map(|c| (c.info_hash, c)).collect();
    let mut outcome = RoundOutcome {
        below_k: plan.below_k,
        without_copy: plan.without_copy,
        files: placed.iter().map(|v| v.files.len()).sum(),
        next_check: plan.next_check,
        holders,
        ..RoundOutcome::default()
    };
    for (index, info_hash) in plan.fetch {
        if held.contains_key(&info_hash) || local.fetching.contains_key(&info_hash) {
            continue;
        }
        let (_, origin_url, video) = &entries[index];
        let Some(file) = video.files.iter().find(|f| f.info_hash == info_hash) else { continue };
        if let Some(mut request) = mirror_request(video, file, origin_url) {
            request.repair = live_copies.get(&info_hash).copied().unwrap_or(0) < policy.replicas();
            outcome.mirror.push(request);
        }
    }
    for info_hash in plan.drop {
        // Only copies placement made are placement's to drop; strategies and admins keep theirs.
        let placement_copy = held.get(&info_hash).is_none_or(|c| c.reason == CopyReason::Placement);
        if placement_copy {
            outcome.drop.push(info_hash);
        }
    }
    Ok(outcome)
}

/// The mirror request of one catalogue file; `None` when the announcement is unusable (a
/// uuid or URL that does not parse).
fn mirror_request(video: &CatalogueVideo, file: &CatalogueFile, origin_url: &str) -> Option<MirrorRequest> {
    let video_uuid = Uuid::parse_str(&video.uuid).ok()?;
    let origin = Url::parse(origin_url).ok()?;
    let host = origin.host_str()?;
    let origin_host = match origin.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    };
    Some(MirrorRequest {
        repair: false,
        info_hash: file.info_hash,
        video_uuid,
        video_url: video.url.clone(),
        origin_host,
        filename: file.filename.clone(),
        size: file.size,
        torrent_url: file.torrent_url.clone(),
        web_seed_url: file.web_seed_url.clone(),
        reason: CopyReason::Placement,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_protocol::replication::HeldCopy;

    fn origin_announcement(holds: Vec<HeldCopy>) -> Announcement {
        let uuid = "0f6a9f5e-1b2c-4d3e-8f00-123456789abc";
        Announcement {
            seq: 1,
            capacity_bytes: 1 << 30,
            public_url: "https://o.example".into(),
            catalogue: vec![CatalogueVideo {
                uuid: uuid.into(),
                url: format!("https://o.example/videos/watch/{uuid}"),
                name: "v".into(),
                files: vec![CatalogueFile {
                    info_hash: [5; 20],
                    size: 10,
                    resolution: 240,
                    filename: format!("{uuid}-240.mp4"),
                    web_seed_url: format!("https://o.example/static/web-videos/{uuid}-240.mp4"),
                    torrent_url: format!("https://o.example/lazy-static/torrents/{uuid}-240.torrent"),
                }],
            }],
            holds,
        }
    }

    /// This node and an origin; the round's request for the origin's one file.
    fn request_with(k: usize, others: Vec<(PeerId, Announcement)>) -> MirrorRequest {
        let me = PeerId::random();
        let mut membership = Membership::new(30);
        for (peer, announcement) in others {
            membership.observe(peer, announcement, 100);
        }
        let fetching = HashMap::new();
        let local = LocalState {
            peer: me,
            capacity_bytes: 1 << 40,
            public_url: "https://me.example",
            catalogue: &[],
            copies: &[],
            fetching: &fetching,
        };
        let policy = Policy::new(k, k, 0, 0).unwrap();
        let outcome = run_round(&local, &membership, &policy, true, 100).unwrap();
        assert_eq!(outcome.mirror.len(), 1, "{outcome:?}");
        outcome.mirror[0].clone()
    }

    #[test]
    fn a_fetch_for_a_file_below_k_is_a_repair_and_one_at_k_is_not() {
        let origin = (PeerId::random(), origin_announcement(Vec::new()));
        assert!(request_with(1, vec![origin.clone()]).repair, "no copy at all: a repair");
        // One member holds it and k = 1: this node's fetch (it outweighs the holder) is a move.
        let holder = Announcement {
            public_url: "https://h.example".into(),
            catalogue: Vec::new(),
            capacity_bytes: 1,
            ..origin_announcement(vec![HeldCopy { info_hash: [5; 20], since: 1, filename: "x".into() }])
        };
        let request = request_with(1, vec![origin, (PeerId::random(), holder)]);
        assert!(!request.repair, "the file is at k: not a repair");
    }
}
