//! Web Push in the database, for both backends: the server's VAPID key (`push_keys`, one row,
//! made by the first instance that needs it, so that every instance on a shared database signs
//! with the same key the phones subscribed with) and the phones' subscriptions
//! (`push_subscriptions`: the push service's endpoint and the phone's keys, per member).

use crate::store::Result;

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

pub mod sqlite {
    //! The SQLite side: each function runs on the connection it is given.
    use super::*;
    use rusqlite::{params, Connection, OptionalExtension};

    pub fn key(c: &Connection, generated: &str, now: i64) -> Result<String> {
        c.execute(
            "INSERT INTO push_keys (id, private_key, created_at) VALUES (1, ?1, ?2) ON CONFLICT (id) DO NOTHING",
            params![generated, now],
        )?;
        Ok(
            c.query_row("SELECT private_key FROM push_keys WHERE id = 1", [], |r| {
                r.get(0)
            })?,
        )
    }

    pub fn subscribe(c: &Connection, card: &str, s: &PushSubscription, now: i64) -> Result<()> {
        c.execute(
            "INSERT INTO push_subscriptions (endpoint, card_number, p256dh, auth, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (endpoint) DO UPDATE SET card_number = excluded.card_number, p256dh = excluded.p256dh,
                 auth = excluded.auth, created_at = excluded.created_at",
            params![s.endpoint, card, s.p256dh, s.auth, now],
        )?;
        c.execute(
            "DELETE FROM push_subscriptions WHERE card_number = ?1 AND endpoint NOT IN
                (SELECT endpoint FROM push_subscriptions WHERE card_number = ?1 ORDER BY created_at DESC, endpoint LIMIT ?2)",
            params![card, MAX_PER_MEMBER],
        )?;
        Ok(())
    }

    pub fn unsubscribe(c: &Connection, card: &str, endpoint: &str) -> Result<bool> {
        Ok(c.execute(
            "DELETE FROM push_subscriptions WHERE endpoint = ?1 AND card_number = ?2",
            params![endpoint, card],
        )? > 0)
    }

    pub fn gone(c: &Connection, endpoint: &str) -> Result<()> {
        c.execute(
            "DELETE FROM push_subscriptions WHERE endpoint = ?1",
            [endpoint],
        )?;
        Ok(())
    }

    /// The subscriptions of the active members under `unit` (its subtree).
    pub fn under(c: &Connection, unit: &str) -> Result<Vec<PushSubscription>> {
        let path: Option<String> = c
            .query_row("SELECT path FROM units WHERE code = ?1", [unit], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(path) = path else {
            return Ok(Vec::new());
        };
        let mut q = c.prepare_cached(
            "SELECT s.endpoint, s.p256dh, s.auth FROM push_subscriptions s
             JOIN members m ON m.card_number = s.card_number AND m.active = 1
             JOIN units u ON u.code = m.unit_code
             WHERE substr(u.path, 1, length(?1)) = ?1 ORDER BY s.endpoint",
        )?;
        let rows = q.query_map([path], |r| {
            Ok(PushSubscription {
                endpoint: r.get(0)?,
                p256dh: r.get(1)?,
                auth: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

pub mod pg {
    //! The PostgreSQL side, the same statements.
    use super::*;
    use tokio_postgres::GenericClient;

    fn err(e: tokio_postgres::Error) -> crate::store::StoreError {
        crate::pg::pg_err(e)
    }

    pub async fn key<C: GenericClient>(c: &C, generated: &str, now: i64) -> Result<String> {
        c.execute(
            "INSERT INTO push_keys (id, private_key, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING",
            &[&generated, &now],
        )
        .await
        .map_err(err)?;
        Ok(
            c.query_one("SELECT private_key FROM push_keys WHERE id = 1", &[])
                .await
                .map_err(err)?
                .get(0),
        )
    }

    pub async fn subscribe<C: GenericClient>(
        c: &C,
        card: &str,
        s: &PushSubscription,
        now: i64,
    ) -> Result<()> {
        c.execute(
            "INSERT INTO push_subscriptions (endpoint, card_number, p256dh, auth, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (endpoint) DO UPDATE SET card_number = excluded.card_number, p256dh = excluded.p256dh,
                 auth = excluded.auth, created_at = excluded.created_at",
            &[&s.endpoint, &card, &s.p256dh, &s.auth, &now],
        )
        .await
        .map_err(err)?;
        c.execute(
            "DELETE FROM push_subscriptions WHERE card_number = $1 AND endpoint NOT IN
                (SELECT endpoint FROM push_subscriptions WHERE card_number = $1 ORDER BY created_at DESC, endpoint LIMIT $2)",
            &[&card, &MAX_PER_MEMBER],
        )
        .await
        .map_err(err)?;
        Ok(())
    }

    pub async fn unsubscribe<C: GenericClient>(c: &C, card: &str, endpoint: &str) -> Result<bool> {
        Ok(c.execute(
            "DELETE FROM push_subscriptions WHERE endpoint = $1 AND card_number = $2",
            &[&endpoint, &card],
        )
        .await
        .map_err(err)?
            > 0)
    }

    pub async fn gone<C: GenericClient>(c: &C, endpoint: &str) -> Result<()> {
        c.execute(
            "DELETE FROM push_subscriptions WHERE endpoint = $1",
            &[&endpoint],
        )
        .await
        .map_err(err)?;
        Ok(())
    }

    pub async fn under<C: GenericClient>(c: &C, unit: &str) -> Result<Vec<PushSubscription>> {
        let rows = c
            .query(
                "SELECT s.endpoint, s.p256dh, s.auth FROM push_subscriptions s
                 JOIN members m ON m.card_number = s.card_number AND m.active
                 JOIN units u ON u.code = m.unit_code
                 JOIN units top ON top.code = $1
                 WHERE left(u.path, length(top.path)) = top.path ORDER BY s.endpoint",
                &[&unit],
            )
            .await
            .map_err(err)?;
        Ok(rows
            .iter()
            .map(|r| PushSubscription {
                endpoint: r.get(0),
                p256dh: r.get(1),
                auth: r.get(2),
            })
            .collect())
    }
}
