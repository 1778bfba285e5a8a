//! Accounts: grants, refresh, expiry, bad credentials and clients, duplicates, validation,
//! and the admin created on first start.

mod common;

use shoal_actors::accounts::{Accounts, NewUser, Role};
use shoal_actors::config::LimitsConfig;
use shoal_actors::store::Store;
use shoal_actors::{AccountError, Shoal};
use std::time::Duration;

fn accounts(dir: &std::path::Path, limits: LimitsConfig) -> Accounts {
    Accounts::new(Store::open(dir).expect("open store"), limits)
}

fn new_user(name: &str) -> NewUser {
    NewUser {
        username: name.into(),
        password: "s3cret-pass".into(),
        email: format!("{name}@example.org"),
        role: Role::User,
        video_quota: None,
        video_quota_daily: None,
        channel_name: None,
    }
}

#[tokio::test]
async fn password_and_refresh_grants() {
    let dir = tempfile::tempdir().expect("tempdir");
    let accounts = accounts(dir.path(), LimitsConfig::default());
    let user = accounts.create_user(new_user("alice")).await.expect("create");
    assert_eq!(user.video_quota, LimitsConfig::default().default_video_quota);
    let channel = accounts.channel(user.default_channel_id).expect("read").expect("channel exists");
    assert_eq!(channel.name, "alice_channel");
    assert_eq!(channel.account_id, user.id);
    assert_eq!(accounts.channel_by_name("alice_channel").expect("read").map(|c| c.id), Some(channel.id));
    assert_eq!(accounts.channels_of(user.id).expect("read").len(), 1);
    assert!(user.password_hash.starts_with("$argon2id$"));

    let client = accounts.oauth_client().expect("client");
    assert_eq!(accounts.oauth_client().expect("client"), client, "the client is made once");

    let grant =
        accounts.password_grant(&client.client_id, &client.client_secret, "alice", "s3cret-pass").await.expect("grant");
    assert_eq!(grant.access_token.len(), 64);
    assert_ne!(grant.access_token, grant.refresh_token);
    assert_eq!(grant.expires_in, 86_400);
    assert_eq!(accounts.authenticate(&grant.access_token).expect("auth").id, user.id);

    // Login by e-mail works too.
    accounts
        .password_grant(&client.client_id, &client.client_secret, "alice@example.org", "s3cret-pass")
        .await
        .expect("grant by email");

    let refreshed =
        accounts.refresh_grant(&client.client_id, &client.client_secret, &grant.refresh_token).await.expect("refresh");
    assert_eq!(accounts.authenticate(&refreshed.access_token).expect("auth").id, user.id);
    assert!(
        matches!(accounts.authenticate(&grant.access_token), Err(AccountError::InvalidToken)),
        "old access token revoked"
    );
    assert!(
        matches!(
            accounts.refresh_grant(&client.client_id, &client.client_secret, &grant.refresh_token).await,
            Err(AccountError::InvalidToken)
        ),
        "refresh tokens are single-use"
    );

    accounts.revoke(&refreshed.access_token).expect("revoke");
    assert!(matches!(accounts.authenticate(&refreshed.access_token), Err(AccountError::InvalidToken)));
    assert!(matches!(
        accounts.refresh_grant(&client.client_id, &client.client_secret, &refreshed.refresh_token).await,
        Err(AccountError::InvalidToken)
    ));
    assert!(matches!(accounts.authenticate("not-a-token"), Err(AccountError::InvalidToken)));
}

#[tokio::test]
async fn wrong_password_unknown_user_and_invalid_client() {
    let dir = tempfile::tempdir().expect("tempdir");
    let accounts = accounts(dir.path(), LimitsConfig::default());
    accounts.create_user(new_user("bob")).await.expect("create");
    let client = accounts.oauth_client().expect("client");
    let wrong = accounts.password_grant(&client.client_id, &client.client_secret, "bob", "not-it").await;
    assert!(matches!(wrong, Err(AccountError::InvalidCredentials)));
    let unknown = accounts.password_grant(&client.client_id, &client.client_secret, "nobody", "s3cret-pass").await;
    assert!(matches!(unknown, Err(AccountError::InvalidCredentials)));
    let bad_secret = accounts.password_grant(&client.client_id, "nope", "bob", "s3cret-pass").await;
    assert!(matches!(bad_secret, Err(AccountError::InvalidClient)));
    let bad_id = accounts.password_grant("nope", &client.client_secret, "bob", "s3cret-pass").await;
    assert!(matches!(bad_id, Err(AccountError::InvalidClient)));
    let bad_refresh_client = accounts.refresh_grant("nope", "nope", "whatever").await;
    assert!(matches!(bad_refresh_client, Err(AccountError::InvalidClient)));
}

#[tokio::test]
async fn tokens_expire() {
    let dir = tempfile::tempdir().expect("tempdir");
    let limits =
        LimitsConfig { access_token_lifetime_secs: 1, refresh_token_lifetime_secs: 1, ..LimitsConfig::default() };
    let store = Store::open(dir.path()).expect("open store");
    let accounts = Accounts::new(store.clone(), limits);
    // Same store, default (day-long) lifetimes: its tokens must survive the purge.
    let long_lived = Accounts::new(store, LimitsConfig::default());
    accounts.create_user(new_user("carol")).await.expect("create");
    let client = accounts.oauth_client().expect("client");
    let grant =
        accounts.password_grant(&client.client_id, &client.client_secret, "carol", "s3cret-pass").await.expect("grant");
    assert_eq!(grant.expires_in, 1);
    accounts.authenticate(&grant.access_token).expect("fresh token works");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(matches!(accounts.authenticate(&grant.access_token), Err(AccountError::InvalidToken)));
    assert!(matches!(
        accounts.refresh_grant(&client.client_id, &client.client_secret, &grant.refresh_token).await,
        Err(AccountError::InvalidToken)
    ));
    // The refresh grant above already dropped the (expired) refresh token and its access
    // token; a second login leaves a pair for the purge to find.
    let second =
        accounts.password_grant(&client.client_id, &client.client_secret, "carol", "s3cret-pass").await.expect("grant");
    let live = long_lived
        .password_grant(&client.client_id, &client.client_secret, "carol", "s3cret-pass")
        .await
        .expect("grant");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(accounts.purge_expired_tokens().expect("purge"), 2, "the expired access and refresh token");
    assert_eq!(accounts.purge_expired_tokens().expect("purge"), 0);
    assert!(matches!(accounts.authenticate(&second.access_token), Err(AccountError::InvalidToken)));
    accounts.authenticate(&live.access_token).expect("an unexpired token survives the purge");
}

#[tokio::test]
async fn duplicates_and_validation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let accounts = accounts(dir.path(), LimitsConfig::default());
    accounts.create_user(new_user("dave")).await.expect("create");
    assert!(matches!(accounts.create_user(new_user("dave")).await, Err(AccountError::Conflict(_))));
    let mut taken_channel = new_user("erin");
    taken_channel.channel_name = Some("dave_channel".into());
    assert!(matches!(accounts.create_user(taken_channel).await, Err(AccountError::Conflict(_))));
    assert!(accounts.user_by_name("erin").expect("read").is_none(), "a failed creation leaves nothing behind");

    for bad in ["", "Upper", "with space", "dash-ed", &"x".repeat(51)] {
        let result = accounts.create_user(new_user(bad)).await;
        assert!(matches!(result, Err(AccountError::Invalid { field: "username", .. })), "{bad:?}: {result:?}");
    }
    let mut short = new_user("frank");
    short.password = "12345".into();
    assert!(matches!(accounts.create_user(short).await, Err(AccountError::Invalid { field: "password", .. })));
    let mut quota = new_user("gina");
    quota.video_quota = Some(-5);
    assert!(matches!(accounts.create_user(quota).await, Err(AccountError::Invalid { .. })));

    let mut custom = new_user("hank");
    custom.channel_name = Some("hanks_videos".into());
    custom.video_quota = Some(1000);
    let hank = accounts.create_user(custom).await.expect("create");
    assert_eq!(accounts.channel(hank.default_channel_id).expect("read").map(|c| c.name), Some("hanks_videos".into()));
    assert_eq!(hank.video_quota, 1000);

    let (total, page) = accounts.list_users(1, 10).expect("list");
    assert_eq!(total, 2);
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].username, "hank");
}

#[tokio::test]
async fn first_start_creates_the_admin_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = common::test_config(dir.path());
    config.admin.password = String::new();
    let shoal = Shoal::start(config.clone()).await.expect("start");
    let password = shoal.generated_admin_password().expect("a password was generated");
    assert!(password.len() >= 16);
    let admin = shoal.accounts().user_by_name("root").expect("read").expect("admin");
    assert_eq!(admin.role, Role::Administrator);
    assert_eq!(admin.video_quota, -1);
    let client = shoal.accounts().oauth_client().expect("client");
    shoal
        .accounts()
        .password_grant(&client.client_id, &client.client_secret, "root", &password)
        .await
        .expect("admin can log in with the generated password");
    shoal.shutdown().await;
    drop(shoal);

    let shoal = Shoal::start(config).await.expect("restart");
    assert_eq!(shoal.generated_admin_password(), None, "the password is shown on the first start only");
    assert_eq!(shoal.accounts().oauth_client().expect("client"), client, "the client survives restarts");
    assert_eq!(shoal.accounts().list_users(0, 10).expect("list").0, 1);
    shoal.shutdown().await;
}
