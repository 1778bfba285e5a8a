//! Accounts: users (argon2id password hashes), their channels, the instance's OAuth client
//! and the access/refresh tokens of PeerTube's password and refresh grants. Everything is
//! in sled; password hashing runs on `spawn_blocking`.

mod password;
mod tokens;
mod types;
mod users;
pub mod validate;

pub use types::{ChannelRecord, NewUser, OAuthClient, Role, TokenGrant, UserRecord};

use crate::config::LimitsConfig;
use crate::store::Store;

/// The account service. Cheap to clone; every clone sees the same store.
#[derive(Clone)]
pub struct Accounts {
    store: Store,
    limits: LimitsConfig,
}

impl Accounts {
    /// The account service over `store`, with token lifetimes and default quotas from `limits`.
    pub fn new(store: Store, limits: LimitsConfig) -> Accounts {
        Accounts { store, limits }
    }
}
