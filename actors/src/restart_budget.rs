//! How often a supervisor may restart a child: at most [`MAX_RESTARTS`] within
//! [`RESTART_WINDOW`], like Erlang's restart intensity. Past that the child is left
//! stopped (and the supervisor says so), so a child that fails on every start does not
//! spin.

use std::time::{Duration, Instant};

/// Restarts allowed within [`RESTART_WINDOW`].
pub const MAX_RESTARTS: usize = 5;
/// The window over which restarts are counted.
pub const RESTART_WINDOW: Duration = Duration::from_secs(60);

/// The recent restarts of one child.
#[derive(Debug, Default)]
pub struct RestartBudget {
    recent: Vec<Instant>,
}

impl RestartBudget {
    /// Records a restart and says whether it stays within the limit.
    pub fn allow(&mut self) -> bool {
        let now = Instant::now();
        self.recent.retain(|at| now.duration_since(*at) < RESTART_WINDOW);
        if self.recent.len() >= MAX_RESTARTS {
            return false;
        }
        self.recent.push(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_max_restarts_then_refuses() {
        let mut budget = RestartBudget::default();
        for _ in 0..MAX_RESTARTS {
            assert!(budget.allow());
        }
        assert!(!budget.allow());
        assert!(!budget.allow(), "a refusal does not count as a restart, and does not reset");
    }
}
