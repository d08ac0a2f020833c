//! Cell meetings, on either database: one record per cell and month (`meetings`, keyed by
//! both, so a later record replaces the earlier and two secretaries writing at once leave
//! one), the planned meeting (`meeting_schedules`), and the cell's members for the attendance
//! list with how many of the month's documents each has read.

use super::sql::{one, opt, rows, Array, Conn, Dialect, Row};
use super::{
    check_cards, rfc3339_vn, CellRef, CellRoster, Meeting, MonthRecord, NewMeeting, Result,
    RosterEntry, Schedule, StoreError,
};

/// The planned meeting a secretary sets.
pub struct NewSchedule<'a> {
    pub cell: &'a str,
    pub month: &'a str,
    /// Local (Vietnam) time, `YYYY-MM-DDTHH:MM`.
    pub starts_at: &'a str,
    pub place: &'a str,
    pub by: &'a str,
}

/// The columns [`meeting`] reads, from `meetings t` joined with `units u` and the recorder
/// `members r`.
const MEETING_COLS: &str = "u.code, u.name, t.month, t.held_on, t.place, t.present, t.excused, t.members, t.present_cards, t.excused_cards, t.docs, coalesce(r.full_name, t.recorded_by), t.recorded_at";

fn meeting(r: &dyn Row) -> Result<Meeting> {
    let list = |i: usize| -> Result<Option<Vec<String>>> {
        Ok(r.opt_str(i)?
            .and_then(|s| serde_json::from_str::<Vec<String>>(s).ok()))
    };
    let (present, excused, members) = (r.count(5)?, r.count(6)?, r.count(7)?);
    Ok(Meeting {
        cell: CellRef {
            code: r.text(0)?,
            name: r.text(1)?,
        },
        month: r.text(2)?,
        held_on: r.text(3)?,
        place: r.opt_text(4)?,
        present,
        excused,
        absent: members.saturating_sub(present + excused),
        members,
        present_cards: list(8)?,
        excused_cards: list(9)?,
        docs: serde_json::from_str(r.str(10)?).unwrap_or_default(),
        recorded_by: r.text(11)?,
        recorded_at: rfc3339_vn(r.int(12)?),
    })
}

async fn read_meeting<C: Conn + ?Sized>(c: &C, cell: &str, month: &str) -> Result<Option<Meeting>> {
    opt(
        c,
        &format!("SELECT {MEETING_COLS} FROM meetings t JOIN units u ON u.code = t.unit_code LEFT JOIN members r ON r.card_number = t.recorded_by WHERE t.unit_code = ?1 AND t.month = ?2"),
        &[&cell, &month],
        meeting,
    )
    .await
}

async fn read_schedule<C: Conn + ?Sized>(
    c: &C,
    cell: &str,
    month: &str,
) -> Result<Option<Schedule>> {
    opt(
        c,
        "SELECT s.month, s.starts_at, s.place, coalesce(r.full_name, s.set_by), s.set_at FROM meeting_schedules s LEFT JOIN members r ON r.card_number = s.set_by WHERE s.unit_code = ?1 AND s.month = ?2",
        &[&cell, &month],
        |r| {
            Ok(Schedule {
                month: r.text(0)?,
                starts_at: r.text(1)?,
                place: r.text(2)?,
                set_by: r.text(3)?,
                set_at: rfc3339_vn(r.int(4)?),
            })
        },
    )
    .await
}

/// Creates or replaces the month's record of a cell; `Invalid` (in Vietnamese) when a card is
/// not an active member of the cell.
pub async fn put<C: Conn + ?Sized>(c: &C, m: &NewMeeting, now: i64) -> Result<Meeting> {
    let cell = m.cell.as_str();
    let members: std::collections::HashSet<String> = rows(
        c,
        "SELECT card_number FROM members WHERE unit_code = ?1 AND active",
        &[&cell],
        |r| r.text(0),
    )
    .await?
    .into_iter()
    .collect();
    let (present, excused) = check_cards(m, &members)?;
    let month = m.month.to_string();
    // On PostgreSQL the record carries its writing transaction, for the reports' catch-up.
    let xid = c.dialect().pick("", ", xid = pg_current_xact_id()");
    c.exec(
        &format!("INSERT INTO meetings (unit_code, month, held_on, place, present, excused, members, present_cards, excused_cards, docs, recorded_by, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (unit_code, month) DO UPDATE SET held_on = excluded.held_on, place = excluded.place, present = excluded.present, excused = excluded.excused, members = excluded.members,
           present_cards = excluded.present_cards, excused_cards = excluded.excused_cards, docs = excluded.docs, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at{xid}"),
        &[
            &cell,
            &month,
            &crate::model::format_date(m.held_on),
            &m.place,
            &(present.len() as i64),
            &(excused.len() as i64),
            &(members.len() as i64),
            &serde_json::to_string(&present).unwrap_or_default(),
            &serde_json::to_string(&excused).unwrap_or_default(),
            &serde_json::to_string(&m.docs).unwrap_or_default(),
            &m.by.as_str(),
            &now,
        ],
    )
    .await?;
    read_meeting(c, cell, &month)
        .await?
        .ok_or_else(|| StoreError::Invalid(format!("Không có chi bộ {cell} trong danh sách.")))
}

/// Sets the planned meeting of a cell for a month.
pub async fn put_schedule<C: Conn + ?Sized>(
    c: &C,
    s: &NewSchedule<'_>,
    now: i64,
) -> Result<Schedule> {
    c.exec(
        "INSERT INTO meeting_schedules (unit_code, month, starts_at, place, set_by, set_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (unit_code, month) DO UPDATE SET starts_at = excluded.starts_at, place = excluded.place, set_by = excluded.set_by, set_at = excluded.set_at",
        &[&s.cell, &s.month, &s.starts_at, &s.place, &s.by, &now],
    )
    .await?;
    read_schedule(c, s.cell, s.month)
        .await?
        .ok_or_else(|| StoreError::Unavailable("the schedule just written is missing".into()))
}

/// A cell's record and schedule of a month.
pub async fn month<C: Conn + ?Sized>(c: &C, cell: &str, month: &str) -> Result<MonthRecord> {
    Ok(MonthRecord {
        meeting: read_meeting(c, cell, month).await?,
        schedule: read_schedule(c, cell, month).await?,
    })
}

/// A cell (its name) and its active members, with how many of `docs` each has read, in the
/// order of their names.
pub async fn cell_roster<C: Conn + ?Sized>(
    c: &C,
    cell: &str,
    docs: Vec<String>,
) -> Result<CellRoster> {
    let d = c.dialect();
    let sql = format!(
        "SELECT m.card_number, m.full_name, m.status, m.role, m.smartphone,
            EXISTS (SELECT 1 FROM devices d WHERE d.card_number = m.card_number),
            (SELECT count(*) FROM doc_reads r WHERE r.card_number = m.card_number AND {})
         FROM members m WHERE m.unit_code = ?1 AND m.active ORDER BY m.name_key{}, m.card_number",
        d.one_of("r.doc", 2),
        // Byte order, as SQLite compares.
        if d == Dialect::Postgres {
            " COLLATE \"C\""
        } else {
            ""
        },
    );
    let members = rows(c, &sql, &[&cell, &Array::new(docs)], |r| {
        Ok(RosterEntry {
            card_number: r.text(0)?,
            full_name: r.text(1)?,
            status: r.text(2)?,
            role: r.text(3)?,
            smartphone: r.flag(4)?,
            registered: r.flag(5)?,
            read_docs: r.count(6)?,
        })
    })
    .await?;
    let name = opt(c, "SELECT name FROM units WHERE code = ?1", &[&cell], |r| {
        r.text(0)
    })
    .await?;
    Ok(CellRoster {
        cell: CellRef {
            code: cell.to_string(),
            name: name.unwrap_or_default(),
        },
        members,
    })
}

/// How many active members a cell has.
pub async fn cell_size<C: Conn + ?Sized>(c: &C, cell: &str) -> Result<u32> {
    one(
        c,
        "SELECT count(*) FROM members WHERE unit_code = ?1 AND active",
        &[&cell],
        |r| r.count(0),
    )
    .await
}
