//! Signature schemes per remote host, in process, with the node's own key signer and
//! receivers that verify real signatures: a host that refuses RFC 9421 (as PeerTube 8.0
//! does) is sent draft-cavage after one refusal, from then on and after a restart; a host
//! that accepts RFC 9421 keeps getting it; NodeInfo of a PeerTube 8 picks cavage before
//! any refusal; a refusal of a cavage POST teaches nothing.

mod common;
mod federation_support;

use federation_support::activity;
use federation_support::signed::SignedReceiver;
use shoal_actors::activitypub::LocalActorKind;
use shoal_actors::config::{ShoalConfig, SignatureScheme};
use shoal_actors::federation::{CavageOnlyBecause, DeliveryOutcome};
use shoal_actors::Shoal;
use shoal_protocol::http_signatures::{PublicKey, Scheme};
use std::path::Path;
use std::time::Duration;

/// The admin's key (`common::test_config` puts the node at http://127.0.0.1:9999).
const ROOT_KEY: &str = "http://127.0.0.1:9999/accounts/root#main-key";
const TIMEOUT: Duration = Duration::from_secs(20);

fn config(dir: &Path, scheme: SignatureScheme) -> ShoalConfig {
    let mut config = common::test_config(dir);
    config.federation.allow_private_addresses = true;
    config.federation.delivery_backoff_initial_ms = 10;
    config.federation.delivery_backoff_max_secs = 1;
    config.federation.fetch_timeout_secs = 5;
    config.federation.signature_scheme = scheme;
    config
}

/// Starts a node with its own key signer; returns it with the public key of `ROOT_KEY`
/// (made on first use, the same after a restart on the same data folder).
async fn start(config: ShoalConfig) -> (Shoal, PublicKey) {
    let shoal = Shoal::start(config).await.expect("start");
    let actor = shoal.activitypub().actor_document(LocalActorKind::Account, "root").await.unwrap().unwrap();
    let pem = actor["publicKey"]["publicKeyPem"].as_str().expect("a public key");
    let key = PublicKey::from_pem(pem).expect("the public key parses");
    (shoal, key)
}

async fn deliver(shoal: &Shoal, to: &SignedReceiver, id: &str) {
    shoal.federation().deliver(id, activity(id), ROOT_KEY, vec![to.inbox("inbox")]).await.unwrap();
    assert!(shoal.federation().wait_until_delivered(TIMEOUT).await, "{id} left the queue");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_refusing_rfc9421_gets_cavage_after_one_refusal_and_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let host = SignedReceiver::start().await;
    host.refuse_rfc9421(true);
    {
        let (shoal, key) = start(config(dir.path(), SignatureScheme::Rfc9421)).await;
        host.trust(key);
        deliver(&shoal, &host, "https://origin.example/1").await;
        assert_eq!(host.attempts(), vec![(Some(Scheme::Rfc9421), 403), (Some(Scheme::Cavage), 202)]);
        assert_eq!(host.accepted(), vec!["https://origin.example/1"]);
        let metrics = shoal.federation().metrics();
        assert_eq!(metrics.signature_fallbacks(&host.host()), 1);
        assert_eq!(metrics.deliveries(&host.host(), DeliveryOutcome::Delivered), 1);
        assert_eq!(metrics.deliveries(&host.host(), DeliveryOutcome::Rejected), 0, "not a final rejection");
        assert_eq!(metrics.deliveries(&host.host(), DeliveryOutcome::Retried), 0, "retried at once, not queued");
        let learnt = shoal.federation().signature_schemes().remembered(&host.host()).expect("remembered");
        assert_eq!(learnt.because, CavageOnlyBecause::Refused);
        // The next one goes out cavage straight away.
        deliver(&shoal, &host, "https://origin.example/2").await;
        assert_eq!(host.attempts().len(), 3);
        assert_eq!(host.attempts()[2], (Some(Scheme::Cavage), 202));
        assert_eq!(shoal.federation().metrics().signature_fallbacks(&host.host()), 1);
        shoal.shutdown().await;
    }
    let (shoal, key) = start(config(dir.path(), SignatureScheme::Rfc9421)).await;
    host.trust(key);
    deliver(&shoal, &host, "https://origin.example/3").await;
    assert_eq!(host.attempts().len(), 4, "no refused attempt after the restart: {:?}", host.attempts());
    assert_eq!(host.attempts()[3], (Some(Scheme::Cavage), 202));
    assert_eq!(host.accepted().len(), 3);
    assert_eq!(shoal.federation().metrics().signature_fallbacks(&host.host()), 0);
    shoal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_accepting_rfc9421_keeps_getting_rfc9421() {
    let dir = tempfile::tempdir().unwrap();
    let host = SignedReceiver::start().await;
    let (shoal, key) = start(config(dir.path(), SignatureScheme::Rfc9421)).await;
    host.trust(key);
    for i in 0..3 {
        deliver(&shoal, &host, &format!("https://origin.example/{i}")).await;
    }
    assert_eq!(host.attempts(), vec![(Some(Scheme::Rfc9421), 202); 3]);
    assert_eq!(host.accepted().len(), 3);
    assert_eq!(shoal.federation().metrics().signature_fallbacks(&host.host()), 0);
    assert_eq!(shoal.federation().signature_schemes().remembered(&host.host()), None);
    shoal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodeinfo_of_peertube_8_picks_cavage_before_any_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let host = SignedReceiver::start().await;
    host.refuse_rfc9421(true);
    let (shoal, key) = start(config(dir.path(), SignatureScheme::Rfc9421)).await;
    host.trust(key);
    let schemes = shoal.federation().signature_schemes();
    assert_eq!(schemes.note_software(&host.host(), "peertube", "8.0.0"), Scheme::Cavage);
    deliver(&shoal, &host, "https://origin.example/1").await;
    assert_eq!(host.attempts(), vec![(Some(Scheme::Cavage), 202)]);
    assert_eq!(shoal.federation().metrics().signature_fallbacks(&host.host()), 0);
    shoal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_cavage_post_is_rejected_and_teaches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let host = SignedReceiver::start().await;
    host.forbid_all(true);
    let (shoal, key) = start(config(dir.path(), SignatureScheme::Cavage)).await;
    host.trust(key);
    deliver(&shoal, &host, "https://origin.example/1").await;
    assert_eq!(host.attempts(), vec![(Some(Scheme::Cavage), 403)]);
    let metrics = shoal.federation().metrics();
    assert_eq!(metrics.deliveries(&host.host(), DeliveryOutcome::Rejected), 1);
    assert_eq!(metrics.signature_fallbacks(&host.host()), 0);
    assert_eq!(shoal.federation().signature_schemes().remembered(&host.host()), None);
    shoal.shutdown().await;
}
