//! What the usage reports are computed from, read from either database: the roster, phones,
//! each member's days, meeting records, who read what, moves between cells and notice reads,
//! loaded into a [`crate::reports::ReportIndex`] in one pass ([`load`]); and, on PostgreSQL,
//! what other instances committed since a snapshot ([`changes_since`]).

use super::sql::{Conn, Row};
use super::{ChangedEvent, Changes, MeetingCount, NewPhone, Result};
use crate::model::EventType;
use crate::reports::{day_of_unix, parse_day, Builder, ReportIndex};

/// What reports read of a meeting record.
const MEETING_COUNTS: &str =
    "SELECT unit_code, held_on, present, members, present_cards IS NOT NULL FROM meetings";

fn meeting_count(r: &dyn Row) -> Result<MeetingCount> {
    Ok(MeetingCount {
        cell: r.text(0)?,
        held_on: r.text(1)?,
        present: r.count(2)?,
        members: r.count(3)?,
        listed: r.flag(4)?,
    })
}

/// Every table reports read, in one pass each (the caller gives the snapshot).
pub async fn load<C: Conn + ?Sized>(c: &C) -> Result<ReportIndex> {
    let mut b = Builder::default();
    c.each(
        "SELECT code, name, parent_code, kind, active FROM units ORDER BY code",
        &[],
        &mut |r| {
            b.unit(r.str(0)?, r.str(1)?, r.opt_str(2)?, r.str(3)?, r.flag(4)?);
            Ok(())
        },
    )
    .await?;
    c.each(
        "SELECT card_number, full_name, unit_code, status, role, smartphone FROM members WHERE active ORDER BY card_number",
        &[],
        &mut |r| {
            b.member(r.str(0)?, r.str(1)?, r.str(2)?, r.str(3)?, r.str(4)?, r.flag(5)?);
            Ok(())
        },
    )
    .await?;
    let idx = b.index();
    c.each(
        "SELECT card_number, min(created_at) FROM devices GROUP BY card_number",
        &[],
        &mut |r| {
            idx.registered(r.str(0)?, day_of_unix(r.int(1)?));
            Ok(())
        },
    )
    .await?;
    c.each(
        "SELECT card_number, day, views FROM member_days",
        &[],
        &mut |r| {
            if let Some(d) = parse_day(r.str(1)?) {
                idx.load_day(r.str(0)?, d, r.count(2)?);
            }
            Ok(())
        },
    )
    .await?;
    c.each(MEETING_COUNTS, &[], &mut |r| {
        idx.set_meeting(&meeting_count(r)?);
        Ok(())
    })
    .await?;
    c.each("SELECT doc, card_number FROM doc_reads", &[], &mut |r| {
        idx.load_read(r.str(0)?, r.str(1)?);
        Ok(())
    })
    .await?;
    c.each(
        "SELECT card_number, day, from_unit FROM member_moves ORDER BY at, change_id",
        &[],
        &mut |r| {
            if let Some(d) = parse_day(r.str(1)?) {
                idx.load_move(r.str(0)?, d, r.str(2)?);
            }
            Ok(())
        },
    )
    .await?;
    c.each(
        "SELECT notice_id, card_number FROM notice_reads",
        &[],
        &mut |r| {
            idx.load_notice_read(r.str(0)?, r.str(1)?);
            Ok(())
        },
    )
    .await?;
    Ok(b.finish())
}

/// The rows visible now whose writing transaction was not visible in snapshot `?1`.
const SINCE: &str = "xid >= pg_snapshot_xmin(?1::text::pg_snapshot) AND NOT pg_visible_in_snapshot(xid, ?1::text::pg_snapshot)";

/// PostgreSQL only: the events, phones and meeting records committed since snapshot `mark`
/// was taken (see [`super::postgres`]); `c` is a transaction in the new snapshot, `head` that
/// snapshot and the roster version it sees.
pub async fn changes_since<C: Conn + ?Sized>(
    c: &C,
    mark: &str,
    head: (String, i64),
) -> Result<Changes> {
    let mut ch = Changes {
        mark: head.0,
        version: head.1,
        ..Changes::default()
    };
    c.each(
        &format!("SELECT card_number, unit_code, type, doc, at FROM events WHERE {SINCE}"),
        &[&mark],
        &mut |r| {
            if let Some(kind) = EventType::parse(r.str(2)?) {
                ch.events.push(ChangedEvent {
                    card: r.text(0)?,
                    cell: r.text(1)?,
                    kind,
                    doc: r.text(3)?,
                    at: r.int(4)?,
                });
            }
            Ok(())
        },
    )
    .await?;
    c.each(
        &format!("SELECT card_number, created_at FROM devices WHERE {SINCE}"),
        &[&mark],
        &mut |r| {
            ch.registrations.push(NewPhone {
                card: r.text(0)?,
                at: r.int(1)?,
            });
            Ok(())
        },
    )
    .await?;
    c.each(
        &format!("{MEETING_COUNTS} WHERE {SINCE}"),
        &[&mark],
        &mut |r| {
            ch.meetings.push(meeting_count(r)?);
            Ok(())
        },
    )
    .await?;
    Ok(ch)
}
