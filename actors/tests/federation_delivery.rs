//! The delivery queue end to end, in process: order per host, retries, rejections, the
//! circuit breaker, expiry, and durability across a restart on the same data folder.

mod common;
mod federation_support;

use federation_support::{activity, reserve_port, Receiver, TestSigner};
use shoal_actors::config::ShoalConfig;
use shoal_actors::federation::{BreakerState, DeliveryOutcome};
use shoal_actors::Shoal;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const KEY: &str = "http://127.0.0.1:9999/accounts/peertube#main-key";

fn config(dir: &Path) -> ShoalConfig {
    let mut config = common::test_config(dir);
    config.federation.allow_private_addresses = true;
    config.federation.delivery_backoff_initial_ms = 10;
    config.federation.delivery_backoff_max_secs = 1;
    config.federation.fetch_timeout_secs = 5;
    config
}

async fn start(config: ShoalConfig) -> Shoal {
    Shoal::start_with_signer(config, Arc::new(TestSigner)).await.expect("start")
}

async fn wait(what: &str, timeout: Duration, done: impl Fn() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn ids(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}/{i}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_inbox_gets_every_activity_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let shoal = start(config(dir.path())).await;
    let (a, b) = (Receiver::start().await, Receiver::start().await);
    let inboxes = vec![a.inbox("inbox"), a.inbox("users/x/inbox"), b.inbox("inbox"), a.inbox("inbox")];
    let sent = ids("https://origin.example/activities", 30);
    for id in &sent {
        let queued = shoal.federation().deliver(id, activity(id), KEY, inboxes.clone()).await.unwrap();
        assert_eq!(queued, 3, "the duplicate inbox is queued once");
    }
    assert!(shoal.federation().wait_until_delivered(Duration::from_secs(20)).await);
    assert_eq!(a.ids_at("/inbox"), sent);
    assert_eq!(a.ids_at("/users/x/inbox"), sent);
    assert_eq!(b.ids_at("/inbox"), sent);
    assert!(a.accepted().iter().all(|r| r.signed_as == KEY));
    let stats = shoal.federation().stats();
    assert_eq!(stats.delivered_total, 90);
    assert_eq!(stats.queued_total, 0);
    let host_a = stats.hosts.iter().find(|h| h.host == a.host()).unwrap();
    assert_eq!((host_a.delivered_total, host_a.state), (60, BreakerState::Closed));
    assert!(shoal.federation().deliver("x", activity("x"), KEY, vec!["not a url".into()]).await.is_err());
    shoal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_gets_everything_exactly_once_in_order_after_retries() {
    let dir = tempfile::tempdir().unwrap();
    let shoal = start(config(dir.path())).await;
    let r = Receiver::start().await;
    r.fail_next(4, 503);
    let sent = ids("https://origin.example/a", 8);
    for id in &sent {
        shoal.federation().deliver(id, activity(id), KEY, vec![r.inbox("inbox")]).await.unwrap();
    }
    assert!(shoal.federation().wait_until_delivered(Duration::from_secs(20)).await);
    assert_eq!(r.ids_at("/inbox"), sent);
    assert_eq!(r.attempts(), 12);
    let host = shoal.federation().stats().hosts.into_iter().next().unwrap();
    assert_eq!((host.failed_total, host.delivered_total, host.consecutive_failures), (4, 8, 0));
    assert_eq!(host.last_error.as_deref(), Some("HTTP 503 Service Unavailable"));
    assert_eq!(shoal.federation().metrics().deliveries(&r.host(), DeliveryOutcome::Retried), 4);
    // 429 and 408 are retried too.
    r.fail_next(1, 429);
    shoal.federation().deliver("late", activity("late"), KEY, vec![r.inbox("inbox")]).await.unwrap();
    assert!(shoal.federation().wait_until_delivered(Duration::from_secs(20)).await);
    assert_eq!(r.ids_at("/inbox").last().map(String::as_str), Some("late"));
    shoal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_activity_is_dropped_and_does_not_block_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let shoal = start(config(dir.path())).await;
    let r = Receiver::start().await;
    r.state.reject.lock().unwrap().insert("bad".into());
    for id in ["one", "bad", "two"] {
        shoal.federation().deliver(id, activity(id), KEY, vec![r.inbox("inbox")]).await.unwrap();
    }
    assert!(shoal.federation().wait_until_delivered(Duration::from_secs(20)).await);
    assert_eq!(r.ids_at("/inbox"), vec!["one", "two"]);
    assert_eq!(r.attempts(), 3, "a 400 is not retried");
    assert_eq!(shoal.federation().metrics().deliveries(&r.host(), DeliveryOutcome::Rejected), 1);
    assert_eq!(shoal.federation().stats().dropped_total, 1);
    shoal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_breaker_opens_after_consecutive_failures_and_probes_after_the_open_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.federation.circuit_breaker_failures = 3;
    config.federation.circuit_breaker_open_secs = 2;
    let shoal = start(config).await;
    let r = Receiver::start().await;
    r.fail_next(usize::MAX, 502);
    shoal.federation().deliver("x", activity("x"), KEY, vec![r.inbox("inbox")]).await.unwrap();
    let federation = shoal.federation().clone();
    wait("the breaker to open", Duration::from_secs(10), || federation.stats().hosts_open == 1).await;
    let opened = Instant::now();
    assert_eq!(r.attempts(), 3);
    r.fail_next(0, 502);
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(r.attempts(), 3, "no attempt while the breaker is open");
    assert!(shoal.federation().wait_until_delivered(Duration::from_secs(10)).await);
    assert!(opened.elapsed() >= Duration::from_millis(1_900), "probed after {:?}", opened.elapsed());
    assert_eq!(r.attempts(), 4, "one probe");
    let host = shoal.federation().stats().hosts.into_iter().next().unwrap();
    assert_eq!((host.state, host.consecutive_failures, host.delivered_total), (BreakerState::Closed, 0, 1));
    shoal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_past_its_maximum_age_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.federation.delivery_max_age_secs = 0;
    let shoal = start(config).await;
    let down = reserve_port();
    shoal.federation().deliver("x", activity("x"), KEY, vec![format!("http://{down}/inbox")]).await.unwrap();
    assert!(shoal.federation().wait_until_delivered(Duration::from_secs(10)).await);
    assert_eq!(shoal.federation().metrics().deliveries(&down.to_string(), DeliveryOutcome::DroppedExpired), 1);
    let host = shoal.federation().stats().hosts.into_iter().next().unwrap();
    assert_eq!((host.dropped_total, host.queued), (1, 0));
    assert!(host.last_error.is_some_and(|e| e.contains("transport")));
    shoal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_deliveries_survive_a_restart_and_arrive_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let down = reserve_port();
    let inbox = format!("http://{down}/inbox");
    let sent = ids("https://origin.example/d", 20);
    {
        let shoal = start(config(dir.path())).await;
        for id in &sent {
            shoal.federation().deliver(id, activity(id), KEY, vec![inbox.clone()]).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let stats = shoal.federation().stats();
        assert_eq!(stats.queued_total, 20);
        assert!(stats.failed_total >= 1, "the host is down: {stats:?}");
        shoal.shutdown().await;
    }
    let r = Receiver::start_on(down).await;
    let shoal = start(config(dir.path())).await;
    let stats = shoal.federation().stats();
    assert_eq!(stats.queued_total + stats.delivered_total, 20, "counted from the queue at start: {stats:?}");
    assert!(shoal.federation().wait_until_delivered(Duration::from_secs(20)).await);
    assert_eq!(r.ids_at("/inbox"), sent);
    shoal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_signer_nothing_leaves_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let shoal = Shoal::start(config(dir.path())).await.unwrap();
    let r = Receiver::start().await;
    shoal.federation().deliver("x", activity("x"), KEY, vec![r.inbox("inbox")]).await.unwrap();
    assert!(!shoal.federation().wait_until_delivered(Duration::from_millis(300)).await);
    assert_eq!(r.attempts(), 0);
    assert_eq!(shoal.federation().queued(), 1);
    shoal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_federation_actors_are_replaced_and_delivery_carries_on() {
    let dir = tempfile::tempdir().unwrap();
    let shoal = start(config(dir.path())).await;
    let down = reserve_port();
    let inbox = format!("http://{down}/inbox");
    let sent = ids("https://origin.example/k", 5);
    for id in &sent[..3] {
        shoal.federation().deliver(id, activity(id), KEY, vec![inbox.clone()]).await.unwrap();
    }
    // A host's actor killed: its supervisor replaces it (its records are still queued).
    let host = down.to_string();
    let first = shoal.federation().actor(&host).expect("an actor for the host");
    first.kill();
    let federation = shoal.federation().clone();
    wait("the host's actor to be replaced", Duration::from_secs(10), || {
        federation.actor(&host).is_some_and(|a| a.get_id() != first.get_id())
    })
    .await;
    // The federation supervisor killed: the node supervisor replaces it alone, and the new
    // one starts the host's actor from the queue.
    let before = shoal.supervisors();
    before.federation.kill();
    wait("the federation supervisor to be replaced", Duration::from_secs(10), || {
        shoal.supervisors().federation.get_id() != before.federation.get_id()
    })
    .await;
    let after = shoal.supervisors();
    assert_eq!(after.tracker.get_id(), before.tracker.get_id());
    assert_eq!(after.videos.get_id(), before.videos.get_id());
    for id in &sent[3..] {
        shoal.federation().deliver(id, activity(id), KEY, vec![inbox.clone()]).await.unwrap();
    }
    let r = Receiver::start_on(down).await;
    assert!(shoal.federation().wait_until_delivered(Duration::from_secs(20)).await);
    assert_eq!(r.ids_at("/inbox"), sent);
    shoal.shutdown().await;
}
