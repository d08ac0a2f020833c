//! Web Push, on either database: the server's VAPID key (`push_keys`, one row,
//! made by the first instance that needs it, so that every instance on a shared database signs
//! with the same key the phones subscribed with) and the phones' subscriptions
//! (`push_subscriptions`: the push service's endpoint and the phone's keys, per member).

use super::sql::{one, rows, Conn};
use super::Result;

/// Subscriptions a member keeps at most (a phone or two, a browser or two); the oldest go.
pub const MAX_PER_MEMBER: i64 = 5;

/// A phone's subscription as its browser gave it (`PushSubscription.toJSON()`), checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSubscription {
    /// The push service's URL for this phone.
    pub endpoint: String,
    /// The phone's P-256 public key, base64url (65 bytes decoded).
    pub p256dh: String,
    /// The phone's authentication secret, base64url (16 bytes decoded).
    pub auth: String,
}

/// The server's VAPID private key: the stored one, or `generated` stored first if there is
/// none yet (so that instances on one database agree).
pub async fn key<C: Conn + ?Sized>(c: &C, generated: &str, now: i64) -> Result<String> {
    c.exec(
        "INSERT INTO push_keys (id, private_key, created_at) VALUES (1, ?1, ?2) ON CONFLICT (id) DO NOTHING",
        &[&generated, &now],
    )
    .await?;
    one(
        c,
        "SELECT private_key FROM push_keys WHERE id = 1",
        &[],
        |r| r.text(0),
    )
    .await
}

/// Keeps a subscription for `card` (replacing one with the same endpoint), and only the
/// member's newest [`MAX_PER_MEMBER`].
pub async fn subscribe<C: Conn + ?Sized>(
    c: &C,
    card: &str,
    s: &PushSubscription,
    now: i64,
) -> Result<()> {
    c.exec(
        "INSERT INTO push_subscriptions (endpoint, card_number, p256dh, auth, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (endpoint) DO UPDATE SET card_number = excluded.card_number, p256dh = excluded.p256dh,
             auth = excluded.auth, created_at = excluded.created_at",
        &[&s.endpoint, &card, &s.p256dh, &s.auth, &now],
    )
    .await?;
    c.exec(
        "DELETE FROM push_subscriptions WHERE card_number = ?1 AND endpoint NOT IN
            (SELECT endpoint FROM push_subscriptions WHERE card_number = ?1 ORDER BY created_at DESC, endpoint LIMIT ?2)",
        &[&card, &MAX_PER_MEMBER],
    )
    .await?;
    Ok(())
}

/// Forgets `card`'s subscription with this endpoint; false if it had none.
pub async fn unsubscribe<C: Conn + ?Sized>(c: &C, card: &str, endpoint: &str) -> Result<bool> {
    Ok(c.exec(
        "DELETE FROM push_subscriptions WHERE endpoint = ?1 AND card_number = ?2",
        &[&endpoint, &card],
    )
    .await?
        > 0)
}

/// Forgets a subscription the push service says is gone.
pub async fn gone<C: Conn + ?Sized>(c: &C, endpoint: &str) -> Result<()> {
    c.exec(
        "DELETE FROM push_subscriptions WHERE endpoint = ?1",
        &[&endpoint],
    )
    .await?;
    Ok(())
}

/// The subscriptions of the active members under `unit` (its subtree).
pub async fn under<C: Conn + ?Sized>(c: &C, unit: &str) -> Result<Vec<PushSubscription>> {
    rows(
        c,
        "SELECT s.endpoint, s.p256dh, s.auth FROM push_subscriptions s
         JOIN members m ON m.card_number = s.card_number AND m.active
         JOIN units u ON u.code = m.unit_code
         JOIN units top ON top.code = ?1
         WHERE substr(u.path, 1, length(top.path)) = top.path ORDER BY s.endpoint",
        &[&unit],
        |r| {
            Ok(PushSubscription {
                endpoint: r.text(0)?,
                p256dh: r.text(1)?,
                auth: r.text(2)?,
            })
        },
    )
    .await
}
