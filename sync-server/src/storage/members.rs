//! Members and their phones, on either database: registering a phone (the roster's row for the
//! card must match what the member typed) and the member a phone's token names. Storing their
//! reading events is each engine's own (`sqlite::append_events`, `postgres::append_events`):
//! that is where the two differ most.

use super::sql::{opt, Conn, Dialect, Row};
use super::{MemberRef, Registration, Result, StoreError};
use crate::model::{CardNumber, MemberStatus, Role, UnitCode, UnitKind};

/// The columns [`member`] reads, from `members m LEFT JOIN units u ON u.code = m.unit_code`.
const MEMBER_COLS: &str =
    "m.card_number, m.full_name, m.unit_code, m.role, m.status, u.kind, u.name";
/// How many columns [`MEMBER_COLS`] has: a query's own columns come after them.
const MEMBER_COLS_LEN: usize = 7;

fn member(r: &dyn Row) -> Result<MemberRef> {
    let bad = |what: &str| StoreError::Unavailable(format!("bad {what} in the database"));
    Ok(MemberRef {
        card_number: CardNumber::parse(r.str(0)?).ok_or_else(|| bad("card"))?,
        full_name: r.text(1)?,
        unit_code: UnitCode::parse(r.str(2)?).ok_or_else(|| bad("unit"))?,
        unit_name: r.opt_text(6)?.unwrap_or_default(),
        role: Role::parse(r.str(3)?).unwrap_or(Role::DangVien),
        status: MemberStatus::parse(r.str(4)?).unwrap_or(MemberStatus::ChinhThuc),
        in_cell: r
            .opt_str(5)?
            .and_then(UnitKind::parse)
            .is_some_and(UnitKind::is_cell),
    })
}

/// Registers a phone if the card, name, birth date and unit match an active member; a phone
/// registering again (same device id) replaces its token, and its first registration's day
/// stays.
pub async fn register<C: Conn + ?Sized>(
    c: &C,
    reg: &Registration,
    now: i64,
) -> Result<Option<MemberRef>> {
    let found = opt(
        c,
        &format!("SELECT {MEMBER_COLS}, m.birth_date FROM members m LEFT JOIN units u ON u.code = m.unit_code WHERE m.card_number = ?1 AND m.active"),
        &[&reg.card.as_str()],
        |r| Ok((member(r)?, r.text(MEMBER_COLS_LEN)?)),
    )
    .await?;
    let Some((m, _)) =
        found.filter(|(m, birth)| reg.matches(&m.full_name, birth, m.unit_code.as_str()))
    else {
        return Ok(None);
    };
    let device = reg.device.map(|d| d.hyphenated().to_string());
    let card = m.card_number.as_str();
    match c.dialect() {
        Dialect::Sqlite => {
            let replaced = match &device {
                Some(d) => {
                    c.exec(
                        "UPDATE devices SET token_hash = ?1, card_number = ?2 WHERE device_id = ?3",
                        &[&reg.token_hash, &card, d],
                    )
                    .await?
                }
                None => 0,
            };
            if replaced == 0 {
                c.exec(
                    "INSERT INTO devices (token_hash, card_number, created_at, device_id) VALUES (?1, ?2, ?3, ?4)",
                    &[&reg.token_hash, &card, &now, &device],
                )
                .await?;
            }
        }
        // One statement, so that two instances registering the same phone at once leave one
        // row; the row's transaction id changes, for the other instances' reports.
        Dialect::Postgres => {
            c.exec(
                "INSERT INTO devices (token_hash, card_number, created_at, device_id) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (device_id) DO UPDATE SET token_hash = excluded.token_hash, card_number = excluded.card_number, xid = pg_current_xact_id()",
                &[&reg.token_hash, &card, &now, &device],
            )
            .await?;
        }
    }
    Ok(Some(m))
}

/// The active member a phone's token names.
pub async fn for_token<C: Conn + ?Sized>(c: &C, token_hash: &[u8]) -> Result<Option<MemberRef>> {
    opt(
        c,
        &format!("SELECT {MEMBER_COLS} FROM devices d JOIN members m ON m.card_number = d.card_number LEFT JOIN units u ON u.code = m.unit_code WHERE d.token_hash = ?1 AND m.active"),
        &[&token_hash],
        member,
    )
    .await
}
