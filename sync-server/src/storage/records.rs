//! The records storage takes and gives: what a request asks to store (a registration, reading
//! events, a meeting record) and what answers show (a member, a meeting, feedback, admin
//! tokens), the same on both databases; and the small conversions both backends share.

use super::roster::Applied;
use super::{Result, StoreError};
use crate::model::{CardNumber, EventType, MemberStatus, Month, Role, UnitCode};
use crate::roster::Roster;
use serde::Serialize;

pub use crate::model::{day_of, rfc3339_vn};
pub use crate::reports::MeetingCount;

/// An admin token as the dashboard lists it: its public id (the first 8 bytes of its hash,
/// in hex), never the token.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AdminToken {
    pub id: String,
    pub unit_code: String,
    pub unit_name: String,
    /// Whom it was given to.
    pub holder: Option<String>,
    pub created_at: i64,
    /// The id of the admin token that created it; none for `sotay admin create`.
    pub created_by: Option<String>,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
}

/// A creation or revocation of an admin token: what, which token and unit, by whom, when.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AdminLogEntry {
    pub at: i64,
    /// "create" or "revoke".
    pub action: String,
    pub token_id: String,
    pub unit_code: String,
    /// The admin token that did it and its unit; none for `sotay admin create`.
    pub by: Option<String>,
    pub by_unit: Option<String>,
}

/// A registered member, as the API needs them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberRef {
    pub card_number: CardNumber,
    pub full_name: String,
    pub unit_code: UnitCode,
    /// The name of the member's unit ("Chi bộ 1"), shown on the phone.
    pub unit_name: String,
    pub role: Role,
    pub status: MemberStatus,
    /// Whether the member's unit is a cell (it always should be).
    pub in_cell: bool,
}

/// A reading event that passed validation, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub id: uuid::Uuid,
    pub kind: EventType,
    pub doc: String,
    pub version: Option<String>,
    /// Unix seconds, UTC.
    pub at: i64,
    pub ms: Option<i64>,
    /// `text` of feedback, `attendees` of a meeting, as JSON.
    pub data: Option<String>,
}

/// What happened to one event of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stored {
    Stored,
    Duplicate,
    /// The id is already used by another member's event.
    Conflict,
}

/// A member's comment ("góp ý") on a document or, answering a notice, on that notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Feedback {
    pub at: String,
    /// The document commented on (`None` for a reply to a notice).
    pub doc: Option<String>,
    /// The notice answered (`None` for a comment on a document).
    pub notice: Option<String>,
    pub text: String,
    pub card_number: String,
    pub full_name: String,
    pub unit_code: String,
}

/// A registration request, checked, with the hash of the token to give the phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub card: CardNumber,
    /// [`crate::model::name_key`] of the name typed.
    pub name_key: String,
    /// YYYY-MM-DD
    pub birth_date: String,
    pub unit: UnitCode,
    /// The phone's own id, so that a retried registration does not count a second phone.
    pub device: Option<uuid::Uuid>,
    pub token_hash: Vec<u8>,
}

impl Registration {
    /// Whether the roster's row for the card (name, birth date, unit code as stored) is the
    /// member who typed this ([`crate::model::name_key`] of the name, the birth date, the
    /// unit). Both databases find the row by card number and decide here, so that they can
    /// never disagree.
    pub fn matches(&self, full_name: &str, birth_date: &str, unit_code: &str) -> bool {
        crate::model::name_key(full_name) == self.name_key
            && birth_date == self.birth_date
            && crate::model::same_unit(&self.unit, unit_code)
    }
}

/// What a roster import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub units: usize,
    pub members: usize,
    pub members_added: usize,
    pub members_removed: usize,
    /// Members who stay (by card number) with a registered phone.
    pub registrations_kept: usize,
    /// Members moved to another cell, and members whose other fields changed.
    pub members_moved: usize,
    pub members_changed: usize,
    /// The change's entry in the change log.
    pub change_id: i64,
}

impl From<Applied> for ImportSummary {
    fn from(a: Applied) -> Self {
        ImportSummary {
            units: a.counts.units,
            members: a.counts.members,
            members_added: a.counts.added,
            members_removed: a.counts.removed,
            registrations_kept: a.counts.registrations_kept,
            members_moved: a.counts.moved,
            members_changed: a.counts.changed,
            change_id: a.id,
        }
    }
}

/// A cell meeting as the secretary records it, checked for form (the cards are checked
/// against the roster when it is written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMeeting {
    pub cell: UnitCode,
    pub month: Month,
    pub held_on: time::Date,
    pub place: Option<String>,
    pub present: Vec<CardNumber>,
    pub excused: Vec<CardNumber>,
    pub docs: Vec<String>,
    /// Who records it (the secretary or deputy).
    pub by: CardNumber,
}

/// A unit as answers name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellRef {
    pub code: String,
    pub name: String,
}

/// The record of a cell's meeting of a month, as `/api/v1/meetings/{month}` gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Meeting {
    pub month: String,
    pub cell: CellRef,
    pub held_on: String,
    pub place: Option<String>,
    pub present: u32,
    pub excused: u32,
    pub absent: u32,
    pub members: u32,
    /// `None` for a record made by the old `meeting_held` event, which has no lists.
    pub present_cards: Option<Vec<String>>,
    pub excused_cards: Option<Vec<String>>,
    pub docs: Vec<String>,
    /// The name of who recorded it.
    pub recorded_by: String,
    /// RFC 3339, Vietnam's time.
    pub recorded_at: String,
}

/// The planned meeting of a cell for a month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schedule {
    pub month: String,
    /// Local (Vietnam) time, `YYYY-MM-DDTHH:MM`.
    pub starts_at: String,
    pub place: String,
    pub set_by: String,
    pub set_at: String,
}

/// A member of a cell as the secretary's attendance list shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RosterEntry {
    pub card_number: String,
    pub full_name: String,
    pub status: String,
    pub role: String,
    pub smartphone: bool,
    /// Has a phone registered (uses the handbook).
    pub registered: bool,
    /// How many of the month's documents they have marked or read to the end.
    pub read_docs: u32,
}

/// The reports' aggregate as loaded: the roster version it reflects and, for a database
/// other processes write too, the mark to ask [`Storage::changes`] from.
pub struct Loaded {
    pub index: crate::reports::ReportIndex,
    pub version: i64,
    pub mark: Option<String>,
}

/// What other writers committed since a mark: events, phones registered, meeting records.
#[derive(Debug, Default)]
pub struct Changes {
    pub mark: String,
    pub version: i64,
    pub events: Vec<ChangedEvent>,
    pub registrations: Vec<NewPhone>,
    /// Meeting records written (each the record as it now is).
    pub meetings: Vec<MeetingCount>,
}

/// An event another writer stored, as reports count it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedEvent {
    pub card: String,
    /// The member's cell when it was stored.
    pub cell: String,
    pub kind: EventType,
    pub doc: String,
    /// Unix seconds.
    pub at: i64,
}

/// A phone another writer registered: its member and when (unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPhone {
    pub card: String,
    pub at: i64,
}

/// An admin token that acts (creates or revokes a token): its public id and its unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    pub id: String,
    pub unit: UnitCode,
}

/// The admin tokens of a subtree (newest first) and their log (newest first).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenList {
    pub tokens: Vec<AdminToken>,
    pub log: Vec<AdminLogEntry>,
}

/// A cell's month: its meeting record and its planned meeting, each if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthRecord {
    pub meeting: Option<Meeting>,
    pub schedule: Option<Schedule>,
}

/// A cell and its active members, as the secretary's attendance list shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellRoster {
    pub cell: CellRef,
    pub members: Vec<RosterEntry>,
}

/// A logged roster change with the roster of its scope before it and the scope's path.
#[derive(Debug, Clone)]
pub struct Before {
    pub entry: super::roster::ChangeEntry,
    pub roster: Roster,
    pub scope_path: String,
}

/// The attendees a `meeting_held` event claims (0 if it says nothing).
pub fn attendees_of(data: Option<&str>) -> i64 {
    data.and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .and_then(|v| v["attendees"].as_i64())
        .unwrap_or(0)
        .clamp(0, i64::from(u32::MAX))
}

/// The cards of `m` checked against the cell's active members: present and excused as stored
/// (sorted, each once), or the Vietnamese message of the first card that does not belong.
pub fn check_cards(
    m: &NewMeeting,
    members: &std::collections::HashSet<String>,
) -> Result<(Vec<String>, Vec<String>)> {
    let mut lists = (Vec::new(), Vec::new());
    for (list, out) in [(&m.present, &mut lists.0), (&m.excused, &mut lists.1)] {
        for c in list {
            if !members.contains(c.as_str()) {
                return Err(StoreError::Invalid(format!(
                    "Số thẻ {c} không phải đảng viên của chi bộ {}.",
                    m.cell
                )));
            }
            out.push(c.as_str().to_string());
        }
        out.sort();
        out.dedup();
    }
    Ok(lists)
}
