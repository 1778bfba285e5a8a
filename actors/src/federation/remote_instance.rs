//! `RemoteInstanceActor`: one per remote host, the single sender for that host. It
//! delivers the host's durable queue in order, head first, one request at a time over
//! the shared client's keep-alive connections, and follows the host's
//! [`HostSchedule`](shoal_protocol::delivery_backoff::HostSchedule) (backoff with
//! jitter, circuit breaker, expiry). A record leaves the queue only after a 2xx, a
//! final rejection or its expiry; everything else leaves it at the head for a retry, so
//! a crash or restart resumes where it stopped (the breaker starts closed again).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use shoal_protocol::delivery_backoff::{Decision, HostSchedule};

use super::fetch::FetchError;
use super::metrics::DeliveryOutcome;
use super::queue::{self, Queued};
use super::shared::FederationShared;
use crate::clock::unix_millis;

/// Messages of a remote instance actor.
#[derive(Debug)]
pub enum RemoteMsg {
    /// New records were queued for this host.
    Wake,
    /// Work on the head of the queue (sent by the actor to itself, now or after a delay).
    Deliver,
}

pub struct RemoteInstanceActor;

pub struct RemoteArgs {
    pub host: String,
    pub shared: Arc<FederationShared>,
}

pub struct RemoteState {
    host: String,
    shared: Arc<FederationShared>,
    schedule: HostSchedule,
    /// A `Deliver` is in the mailbox or a timer will send one: further wakes add nothing
    /// (and do not cut a backoff short).
    pending: bool,
}

/// What an answer to a POST means for the record.
enum Verdict {
    Delivered,
    /// Worth retrying: network trouble or a temporary refusal.
    Retry(String),
    /// Refused for good.
    Reject(String),
}

fn verdict(result: Result<StatusCode, FetchError>) -> Verdict {
    match result {
        Ok(status) if status.is_success() => Verdict::Delivered,
        Ok(status)
            if status.is_server_error()
                || status == StatusCode::TOO_MANY_REQUESTS
                || status == StatusCode::REQUEST_TIMEOUT =>
        {
            Verdict::Retry(format!("HTTP {status}"))
        }
        // Any other answer (4xx, or a redirect, which inboxes do not use) refuses this
        // one activity for good: dropping it keeps a receiver that answers 400 to one
        // activity from blocking everything behind it for this host forever.
        Ok(status) => Verdict::Reject(format!("HTTP {status}")),
        // The URL itself is unusable: no retry can help.
        Err(e @ (FetchError::InvalidUrl(_) | FetchError::InsecureScheme(_))) => Verdict::Reject(e.to_string()),
        Err(e) => Verdict::Retry(e.to_string()),
    }
}

impl RemoteState {
    /// Handles the head of the queue once; returns when to come back (`None`: idle).
    async fn step(&mut self) -> Result<Option<Duration>, ActorProcessingErr> {
        let store = &self.shared.store;
        let Some(mut head) = queue::head(store, &self.host)? else { return Ok(None) };
        let now = unix_millis();
        match self.schedule.decide(head.record.enqueued_at_ms, now) {
            Decision::WaitUntil(at) => return Ok(Some(Duration::from_millis(at.saturating_sub(now)))),
            Decision::DropExpired => {
                self.drop_expired(&head)?;
                return Ok(Some(Duration::ZERO));
            }
            Decision::Attempt => {}
        }
        let body = Bytes::from(head.record.body.clone());
        let result = self.shared.client.post_activity(&head.record.inbox, body, &head.record.key_id).await;
        let now = unix_millis();
        match verdict(result) {
            Verdict::Delivered => {
                queue::remove(store, &head.key)?;
                self.schedule.on_answer();
                self.count(DeliveryOutcome::Delivered, None);
            }
            Verdict::Reject(why) => {
                queue::remove(store, &head.key)?;
                self.schedule.on_answer();
                tracing::warn!(host = %self.host, activity = %head.record.activity_id, inbox = %head.record.inbox,
                    reason = %why, "activity rejected by the receiver; dropped");
                self.count(DeliveryOutcome::Rejected, Some(why));
            }
            Verdict::Retry(why) => {
                let next = self.schedule.on_failure(now, rand::random());
                if self.schedule.is_expired(head.record.enqueued_at_ms, now) {
                    head.record.last_error = Some(why);
                    self.drop_expired(&head)?;
                    return Ok(Some(Duration::ZERO));
                }
                head.record.attempts = head.record.attempts.saturating_add(1);
                head.record.last_error = Some(why.clone());
                head.record.next_attempt_at_ms = next;
                queue::update(store, &head)?;
                tracing::debug!(host = %self.host, activity = %head.record.activity_id, attempts = head.record.attempts,
                    error = %why, retry_in_ms = next.saturating_sub(now), "delivery failed; will retry");
                self.count(DeliveryOutcome::Retried, Some(why));
                return Ok(Some(Duration::from_millis(next.saturating_sub(now))));
            }
        }
        Ok(Some(Duration::ZERO))
    }

    fn drop_expired(&mut self, head: &Queued) -> Result<(), ActorProcessingErr> {
        queue::remove(&self.shared.store, &head.key)?;
        tracing::warn!(host = %self.host, activity = %head.record.activity_id, inbox = %head.record.inbox,
            attempts = head.record.attempts, last_error = ?head.record.last_error,
            "delivery retried past federation.delivery_max_age_secs; dropped");
        self.count(DeliveryOutcome::DroppedExpired, head.record.last_error.clone());
        Ok(())
    }

    /// Counts an outcome in the metrics and the host's stats.
    fn count(&self, outcome: DeliveryOutcome, error: Option<String>) {
        self.shared.metrics.delivery(&self.host, outcome);
        let (state, failures) = (self.schedule.state(), self.schedule.consecutive_failures());
        self.shared.with_host(&self.host, |stats| {
            match outcome {
                DeliveryOutcome::Delivered => stats.delivered_total += 1,
                DeliveryOutcome::Retried => stats.failed_total += 1,
                DeliveryOutcome::Rejected | DeliveryOutcome::DroppedExpired => stats.dropped_total += 1,
            }
            if outcome != DeliveryOutcome::Retried {
                stats.queued = stats.queued.saturating_sub(1);
            }
            if error.is_some() {
                stats.last_error = error;
            }
            stats.state = state;
            stats.consecutive_failures = failures;
        });
    }

    fn schedule_next(&mut self, myself: &ActorRef<RemoteMsg>, after: Duration) {
        self.pending = true;
        if after.is_zero() {
            let _ = myself.cast(RemoteMsg::Deliver);
        } else {
            myself.send_after(after, || RemoteMsg::Deliver);
        }
    }
}

impl Actor for RemoteInstanceActor {
    type Msg = RemoteMsg;
    type State = RemoteState;
    type Arguments = RemoteArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<RemoteMsg>,
        args: RemoteArgs,
    ) -> Result<RemoteState, ActorProcessingErr> {
        let schedule = HostSchedule::new(args.shared.policy());
        // Creates the host's stats from a scan of its queue if this is the first use.
        args.shared.with_host(&args.host, |stats| {
            stats.state = schedule.state();
            stats.consecutive_failures = 0;
        });
        let mut state = RemoteState { host: args.host, shared: args.shared, schedule, pending: false };
        state.schedule_next(&myself, Duration::ZERO);
        Ok(state)
    }

    async fn handle(
        &self,
        myself: ActorRef<RemoteMsg>,
        message: RemoteMsg,
        state: &mut RemoteState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            RemoteMsg::Wake => {
                if !state.pending {
                    state.schedule_next(&myself, Duration::ZERO);
                }
            }
            RemoteMsg::Deliver => {
                state.pending = false;
                if let Some(after) = state.step().await? {
                    state.schedule_next(&myself, after);
                }
            }
        }
        Ok(())
    }
}
