//! Replication frames and membership, by property: arbitrary bytes never panic a decoder (and
//! mutated valid frames are decoded or refused with a typed error), every message round-trips,
//! and a member is lost exactly when it has been silent past the timeout.

use proptest::collection::vec;
use proptest::prelude::*;
use shoal_protocol::placement::{Liveness, MemberId};
use shoal_protocol::replication::frames::{self, LENGTH_PREFIX};
use shoal_protocol::replication::*;

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9:/._ -]{0,40}"
}

fn info_hash() -> impl Strategy<Value = [u8; 20]> {
    any::<[u8; 20]>()
}

fn catalogue_file() -> impl Strategy<Value = CatalogueFile> {
    (info_hash(), any::<u64>(), any::<u32>(), text(), text(), text()).prop_map(
        |(info_hash, size, resolution, filename, web_seed_url, torrent_url)| CatalogueFile {
            info_hash,
            size,
            resolution,
            filename,
            web_seed_url,
            torrent_url,
        },
    )
}

fn announcement() -> impl Strategy<Value = Announcement> {
    let video = (text(), text(), text(), vec(catalogue_file(), 0..3))
        .prop_map(|(uuid, url, name, files)| CatalogueVideo { uuid, url, name, files });
    let held = (info_hash(), any::<u64>(), text()).prop_map(|(info_hash, since, filename)| HeldCopy {
        info_hash,
        since,
        filename,
    });
    (any::<u64>(), any::<u64>(), text(), vec(video, 0..4), vec(held, 0..5)).prop_map(
        |(seq, capacity_bytes, public_url, catalogue, holds)| Announcement {
            seq,
            capacity_bytes,
            public_url,
            catalogue,
            holds,
        },
    )
}

fn control_request() -> impl Strategy<Value = ControlRequest> {
    prop_oneof![
        announcement().prop_map(ControlRequest::Announce),
        info_hash().prop_map(|info_hash| ControlRequest::GetTorrent { info_hash }),
    ]
}

fn control_response() -> impl Strategy<Value = ControlResponse> {
    prop_oneof![
        Just(ControlResponse::Ack),
        vec(any::<u8>(), 0..300).prop_map(ControlResponse::Torrent),
        Just(ControlResponse::NotFound),
        "[a-z ]{0,200}".prop_map(|reason| ControlResponse::Refused { reason }),
    ]
}

fn range_request() -> impl Strategy<Value = RangeRequest> {
    (info_hash(), any::<u64>(), 1..=u64::MAX).prop_map(|(info_hash, offset, len)| RangeRequest {
        info_hash,
        offset: offset.min(u64::MAX - len),
        len,
    })
}

fn range_response() -> impl Strategy<Value = RangeResponse> {
    prop_oneof![
        any::<u64>().prop_map(|len| RangeStatus::Ok { len }),
        Just(RangeStatus::NotFound),
        any::<u64>().prop_map(|size| RangeStatus::OutOfRange { size }),
        "[a-z ]{0,200}".prop_map(|reason| RangeStatus::Refused { reason }),
    ]
    .prop_map(|status| RangeResponse { status })
}

/// Decodes `bytes` as every kind, both as a whole frame and as a bare body: never a panic.
fn decode_all(bytes: &[u8]) {
    let _ = frames::decode::<ControlRequest>(bytes);
    let _ = frames::decode::<ControlResponse>(bytes);
    let _ = frames::decode::<RangeRequest>(bytes);
    let _ = frames::decode::<RangeResponse>(bytes);
    let _ = frames::decode_body::<ControlRequest>(bytes);
    let _ = frames::decode_body::<ControlResponse>(bytes);
    let _ = frames::decode_body::<RangeRequest>(bytes);
    let _ = frames::decode_body::<RangeResponse>(bytes);
}

fn round_trip<F: Frame + PartialEq + std::fmt::Debug>(message: &F) -> Result<(), TestCaseError> {
    let bytes = frames::encode(message).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let prefix: [u8; LENGTH_PREFIX] = bytes[..LENGTH_PREFIX].try_into().unwrap();
    prop_assert_eq!(frames::body_len::<F>(prefix), Ok(bytes.len() - LENGTH_PREFIX));
    let (decoded, used) = frames::decode::<F>(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&decoded, message);
    prop_assert_eq!(used, bytes.len());
    // Every strict prefix is reported as truncated, never misread.
    for cut in [0, 1, LENGTH_PREFIX, bytes.len() - 1] {
        prop_assert!(matches!(frames::decode::<F>(&bytes[..cut]), Err(FrameError::Truncated { .. })), "cut at {}", cut);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic_a_decoder(bytes in vec(any::<u8>(), 0..600)) {
        decode_all(&bytes);
    }

    #[test]
    fn arbitrary_bodies_behind_a_valid_prefix_never_panic(body in vec(any::<u8>(), 1..600)) {
        let mut bytes = (body.len() as u32).to_be_bytes().to_vec();
        bytes.extend_from_slice(&body);
        decode_all(&bytes);
    }

    #[test]
    fn mutated_frames_are_decoded_or_refused(
        request in control_request(),
        edits in vec((any::<u8>(), any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut bytes = frames::encode(&request).unwrap();
        for (kind, at, byte) in edits {
            let i = at.index(bytes.len() + 1);
            match kind % 3 {
                0 if i < bytes.len() => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ if i < bytes.len() => { bytes.remove(i); }
                _ => {}
            }
        }
        decode_all(&bytes);
        decode_all(bytes.get(LENGTH_PREFIX..).unwrap_or_default());
    }

    #[test]
    fn control_requests_round_trip(message in control_request()) {
        round_trip(&message)?;
    }

    #[test]
    fn control_responses_round_trip(message in control_response()) {
        round_trip(&message)?;
    }

    #[test]
    fn range_headers_round_trip(request in range_request(), response in range_response()) {
        round_trip(&request)?;
        round_trip(&response)?;
    }

    /// Random announcements at random times, ticks in between: a member is live after a tick
    /// exactly when it was heard within `timeout`, `Lost` is emitted once on the tick where it
    /// went silent past the timeout, and its loss time is `last_heard + timeout`.
    #[test]
    fn a_member_is_lost_exactly_when_silent_past_the_timeout(
        timeout in 1u64..50,
        steps in vec((0u8..3, 0u64..40, 0u8..4), 1..80),
    ) {
        let mut m = Membership::new(timeout);
        let mut now = 0u64;
        let mut last_heard: std::collections::BTreeMap<u8, u64> = Default::default();
        let mut seq = 0;
        for (peer, dt, action) in steps {
            now += dt;
            let was_lost = matches!(m.liveness(&peer), Some(Liveness::Lost { .. }));
            if action == 0 {
                seq += 1;
                let a = Announcement { seq, capacity_bytes: peer as u64 + 1, public_url: String::new(), catalogue: vec![], holds: vec![] };
                m.observe(peer, a, now);
                let first = last_heard.insert(peer, now).is_none();
                let events = m.tick(now);
                if first {
                    prop_assert_eq!(events.first(), Some(&MembershipEvent::Joined(peer)));
                } else if was_lost {
                    prop_assert_eq!(events.first(), Some(&MembershipEvent::Returned(peer)));
                }
            } else {
                let before: Vec<(u8, Option<Liveness>)> = last_heard.keys().map(|p| (*p, m.liveness(p))).collect();
                let events = m.tick(now);
                for (p, liveness) in before {
                    let silent = now - last_heard[&p] > timeout;
                    let lost_now = events.contains(&MembershipEvent::Lost(p));
                    prop_assert_eq!(lost_now, silent && liveness == Some(Liveness::Live), "peer {} at {}", p, now);
                }
            }
            for (p, heard) in &last_heard {
                let expected = if now - heard > timeout { Liveness::Lost { since: heard + timeout } } else { Liveness::Live };
                prop_assert_eq!(m.liveness(p), Some(expected), "peer {} at {}", p, now);
            }
            let live: Vec<MemberId> = m.live_members(|p| MemberId::from(vec![*p])).into_iter().map(|x| x.id).collect();
            let expected: Vec<MemberId> = last_heard.iter().filter(|(_, h)| now - **h <= timeout).map(|(p, _)| MemberId::from(vec![*p])).collect();
            prop_assert_eq!(live, expected);
        }
    }
}
