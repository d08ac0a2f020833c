//! The usage reports committees are judged on (DESIGN.md: per child unit, members, registered,
//! not registered by status, active, cells, cells using the handbook in meetings, page views;
//! the directive's two targets; a year view; reading coverage; the members of a cell).
//!
//! Reports are computed from [`ReportIndex`], an in-memory aggregate of the roster and of
//! what members did, per member and day. It is loaded once from the database and kept up to
//! date as writes are committed, so a report never scans the events table: the root of a
//! national roster is a pass over its members, a cell a pass over a few dozen.
//!
//! Attribution: a member counts (registered, status, smartphone) for the cell they belong to
//! in the current roster; their reading counts, day by day, for the cell they belonged to that
//! day: a member moved between cells (a roster update) counts in the new cell from the day of
//! the move on, and before it in the old one. A meeting counts for the cell where it was held, once per month (its
//! record), with the attendance it recorded.

use crate::model::{MemberStatus, Role, UnitKind, VN};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Days are numbered from this date (Vietnam time).
const EPOCH_JULIAN: i32 = 2_458_850; // 2020-01-01

/// Day number of a date.
pub fn day_number(d: time::Date) -> u16 {
    (d.to_julian_day() - EPOCH_JULIAN).clamp(0, i32::from(u16::MAX)) as u16
}

/// Day number of "YYYY-MM-DD".
pub fn parse_day(s: &str) -> Option<u16> {
    crate::model::parse_date(s).map(day_number)
}

pub fn day_of_unix(unix: i64) -> u16 {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| day_number(t.to_offset(VN).date()))
        .unwrap_or(0)
}

pub fn date_of(day: u16) -> time::Date {
    time::Date::from_julian_day(EPOCH_JULIAN + i32::from(day)).unwrap_or(time::Date::MIN)
}

pub fn today() -> u16 {
    day_number(time::OffsetDateTime::now_utc().to_offset(VN).date())
}

struct Unit {
    code: String,
    name: String,
    kind: UnitKind,
    parent: Option<u32>,
    children: Vec<u32>,
    /// Members of a cell.
    members: Vec<u32>,
    /// Members who belonged to this cell before a move (their reading of those days counts
    /// here).
    former: Vec<u32>,
    /// The meeting records of a cell, one per month, sorted by the day held.
    meetings: Vec<MeetingRec>,
    active: bool,
}

/// A cell's meeting of one month, as reports count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MeetingRec {
    day: u16,
    present: u32,
    members: u32,
    /// Recorded with attendance lists (not by the old `meeting_held` event).
    listed: bool,
}

/// The month (year * 12 + month) of a day number.
fn month_of(day: u16) -> i32 {
    let d = date_of(day);
    d.year() * 12 + i32::from(u8::from(d.month()))
}

struct Member {
    card: String,
    name: String,
    status: MemberStatus,
    role: Role,
    smartphone: bool,
    first_reg: Option<u16>,
    /// (day, views that day), sorted by day.
    days: Vec<(u16, u32)>,
    /// The cell now.
    cell: u32,
    /// Earlier cells, from moves: (the day the member left it, the cell), sorted by day. A
    /// day before the first entry's day was spent in its cell, and so on; a day on or after
    /// the last entry's day in `cell`. Almost always empty.
    past: Vec<(u16, u32)>,
}

impl Member {
    /// The cell the member belonged to on `day`.
    fn cell_on(&self, day: u16) -> u32 {
        self.past
            .iter()
            .find(|&&(until, _)| day < until)
            .map_or(self.cell, |&(_, c)| c)
    }
}

/// The in-memory aggregate reports are computed from.
#[derive(Default)]
pub struct ReportIndex {
    units: Vec<Unit>,
    unit_by_code: HashMap<String, u32>,
    members: Vec<Member>,
    member_by_card: HashMap<String, u32>,
    reads: HashMap<String, HashSet<u32>>,
    root: Option<u32>,
}

/// Builds a [`ReportIndex`] from rows, in any order (members after units).
#[derive(Default)]
pub struct Builder {
    idx: ReportIndex,
    parents: Vec<(u32, String)>,
}

impl Builder {
    pub fn unit(&mut self, code: &str, name: &str, parent: Option<&str>, kind: &str, active: bool) {
        let i = self.idx.units.len() as u32;
        self.idx.units.push(Unit {
            code: code.to_string(),
            name: name.to_string(),
            kind: UnitKind::parse(kind).unwrap_or(UnitKind::ChiBo),
            parent: None,
            children: Vec::new(),
            members: Vec::new(),
            former: Vec::new(),
            meetings: Vec::new(),
            active,
        });
        self.idx.unit_by_code.insert(code.to_string(), i);
        if let Some(p) = parent {
            self.parents.push((i, p.to_string()));
        }
    }

    fn link(&mut self) {
        for (child, p) in std::mem::take(&mut self.parents) {
            if let Some(&pi) = self.idx.unit_by_code.get(&p) {
                self.idx.units[child as usize].parent = Some(pi);
                if self.idx.units[child as usize].active {
                    self.idx.units[pi as usize].children.push(child);
                }
            }
        }
        for u in &mut self.idx.units {
            let mut kids = std::mem::take(&mut u.children);
            kids.sort_unstable();
            u.children = kids;
        }
        let units = &self.idx.units;
        self.idx.root = (0..units.len() as u32)
            .find(|&i| units[i as usize].parent.is_none() && units[i as usize].active);
    }

    /// An active member of the roster.
    #[allow(clippy::too_many_arguments)]
    pub fn member(
        &mut self,
        card: &str,
        name: &str,
        unit: &str,
        status: &str,
        role: &str,
        smartphone: bool,
    ) {
        if !self.parents.is_empty() {
            self.link();
        }
        let Some(&cell) = self.idx.unit_by_code.get(unit) else {
            return;
        };
        let i = self.idx.members.len() as u32;
        self.idx.members.push(Member {
            card: card.to_string(),
            name: name.to_string(),
            status: MemberStatus::parse(status).unwrap_or(MemberStatus::ChinhThuc),
            role: Role::parse(role).unwrap_or(Role::DangVien),
            smartphone,
            first_reg: None,
            days: Vec::new(),
            cell,
            past: Vec::new(),
        });
        self.idx.units[cell as usize].members.push(i);
        self.idx.member_by_card.insert(card.to_string(), i);
    }

    pub fn finish(mut self) -> ReportIndex {
        if !self.parents.is_empty() {
            self.link();
        }
        for m in &mut self.idx.members {
            m.days.sort_unstable();
        }
        self.idx
    }

    pub fn index(&mut self) -> &mut ReportIndex {
        if !self.parents.is_empty() {
            self.link();
        }
        &mut self.idx
    }
}

/// One row of the usage report (DESIGN.md), plus the directive's targets.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Row {
    pub unit_code: String,
    pub unit_name: String,
    pub members: u64,
    pub registered: u64,
    pub registered_pct: f64,
    pub not_registered_by_status: BTreeMap<String, u64>,
    pub active: u64,
    pub cells: u64,
    pub cells_meeting: u64,
    pub cells_meeting_pct: f64,
    /// Present / members of the meeting records counted in `cells_meeting`, 0–100.
    pub meeting_attendance_pct: f64,
    pub views: u64,
    /// Members in activity (not exempt from meetings) with a smartphone: the directive's base.
    pub smartphone_members: u64,
    pub smartphone_registered: u64,
    pub registration_target_pct: f64,
    /// "Đạt" when every such member registered.
    pub registration_target_met: bool,
    pub meeting_target_met: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitRef {
    pub code: String,
    pub name: String,
    pub kind: String,
}

/// The usage report of a unit for a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageReport {
    pub unit: UnitRef,
    pub from: String,
    pub to: String,
    pub rows: Vec<Row>,
    pub total: Row,
}

fn pct(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        (a as f64 * 1000.0 / b as f64).round() / 10.0
    }
}

/// Counts from a set of members and cells, before percentages.
#[derive(Default)]
struct Acc {
    members: u64,
    registered: u64,
    not_registered: BTreeMap<String, u64>,
    active: u64,
    views: u64,
    cells: u64,
    cells_meeting: u64,
    meeting_present: u64,
    meeting_members: u64,
    smart: u64,
    smart_reg: u64,
}

impl Acc {
    fn row(self, code: &str, name: &str) -> Row {
        let mut not_reg: BTreeMap<String, u64> = MemberStatus::NAMES
            .iter()
            .map(|s| (s.to_string(), 0))
            .collect();
        not_reg.extend(self.not_registered);
        Row {
            unit_code: code.to_string(),
            unit_name: name.to_string(),
            members: self.members,
            registered: self.registered,
            registered_pct: pct(self.registered, self.members),
            not_registered_by_status: not_reg,
            active: self.active,
            cells: self.cells,
            cells_meeting: self.cells_meeting,
            cells_meeting_pct: pct(self.cells_meeting, self.cells),
            meeting_attendance_pct: pct(self.meeting_present, self.meeting_members),
            views: self.views,
            smartphone_members: self.smart,
            smartphone_registered: self.smart_reg,
            registration_target_pct: pct(self.smart_reg, self.smart),
            registration_target_met: self.smart > 0 && self.smart_reg == self.smart,
            meeting_target_met: self.cells > 0 && self.cells_meeting == self.cells,
        }
    }
}

/// A member of a cell, for the secretary's list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberRow {
    pub card_number: String,
    pub full_name: String,
    pub status: String,
    pub role: String,
    pub smartphone: bool,
    pub registered_on: Option<String>,
    pub last_active: Option<String>,
    pub active_in_period: bool,
}

impl ReportIndex {
    pub fn root(&self) -> Option<&str> {
        self.root.map(|r| self.units[r as usize].code.as_str())
    }

    pub fn unit_exists(&self, code: &str) -> bool {
        self.unit_by_code
            .get(code)
            .is_some_and(|&u| self.units[u as usize].active)
    }

    /// Whether `unit` is `scope` or below it.
    pub fn within(&self, unit: &str, scope: &str) -> bool {
        let (Some(&u), Some(&s)) = (self.unit_by_code.get(unit), self.unit_by_code.get(scope))
        else {
            return false;
        };
        let mut cur = Some(u);
        while let Some(c) = cur {
            if c == s {
                return true;
            }
            cur = self.units[c as usize].parent;
        }
        false
    }

    fn unit_ref(&self, u: u32) -> UnitRef {
        let x = &self.units[u as usize];
        UnitRef {
            code: x.code.clone(),
            name: x.name.clone(),
            kind: x.kind.as_str().to_string(),
        }
    }

    /// Adds the counts of `u`'s subtree to `acc`.
    fn accumulate(&self, u: u32, from: u16, to: u16, acc: &mut Acc) {
        let mut former_seen: Option<HashSet<u32>> = None;
        let mut stack = vec![u];
        while let Some(x) = stack.pop() {
            let unit = &self.units[x as usize];
            if !unit.active {
                continue;
            }
            if unit.kind.is_cell() {
                acc.cells += 1;
                let i = unit.meetings.partition_point(|m| m.day < from);
                let held: Vec<&MeetingRec> = unit.meetings[i..]
                    .iter()
                    .take_while(|m| m.day <= to)
                    .collect();
                if !held.is_empty() {
                    acc.cells_meeting += 1;
                }
                for m in held {
                    acc.meeting_present += u64::from(m.present);
                    acc.meeting_members += u64::from(m.members);
                }
            }
            for &m in &unit.members {
                let m = &self.members[m as usize];
                acc.members += 1;
                let reg = m.first_reg.is_some_and(|d| d <= to);
                if reg {
                    acc.registered += 1;
                } else {
                    *acc.not_registered
                        .entry(m.status.as_str().to_string())
                        .or_default() += 1;
                }
                if m.smartphone && m.status != MemberStatus::MienSinhHoat {
                    acc.smart += 1;
                    if reg {
                        acc.smart_reg += 1;
                    }
                }
                self.activity(m, u, from, to, acc);
            }
            // Members who moved away: their days here count here (once, if they were in
            // several cells of this subtree, and not at all if they are in it still, where
            // their current cell counts them).
            for &f in &unit.former {
                let m = &self.members[f as usize];
                if self.within_idx(m.cell, u) || !former_seen.get_or_insert_default().insert(f) {
                    continue;
                }
                self.activity(m, u, from, to, acc);
            }
            stack.extend(unit.children.iter().copied());
        }
    }

    /// Adds a member's reading in days `from..=to` spent in cells of `u`'s subtree.
    fn activity(&self, m: &Member, u: u32, from: u16, to: u16, acc: &mut Acc) {
        let i = m.days.partition_point(|&(d, _)| d < from);
        let mut any = false;
        for &(d, v) in &m.days[i..] {
            if d > to {
                break;
            }
            if !m.past.is_empty() && !self.within_idx(m.cell_on(d), u) {
                continue;
            }
            any = true;
            acc.views += u64::from(v);
        }
        if any {
            acc.active += 1;
        }
    }

    /// Whether unit `x` is `scope` or under it.
    fn within_idx(&self, x: u32, scope: u32) -> bool {
        let mut cur = Some(x);
        let mut steps = 0;
        while let Some(c) = cur {
            if c == scope {
                return true;
            }
            steps += 1;
            if steps > self.units.len() {
                return false;
            }
            cur = self.units[c as usize].parent;
        }
        false
    }

    fn row(&self, u: u32, from: u16, to: u16) -> Row {
        let mut acc = Acc::default();
        self.accumulate(u, from, to, &mut acc);
        let x = &self.units[u as usize];
        acc.row(&x.code, &x.name)
    }

    /// The usage report of `unit` for days `from..=to`: a row per child unit (the unit itself
    /// for a cell) and a total row.
    pub fn usage(&self, unit: &str, from: u16, to: u16) -> Option<UsageReport> {
        let &u = self.unit_by_code.get(unit)?;
        let x = &self.units[u as usize];
        let rows = if x.children.is_empty() {
            vec![self.row(u, from, to)]
        } else {
            x.children.iter().map(|&c| self.row(c, from, to)).collect()
        };
        Some(UsageReport {
            unit: self.unit_ref(u),
            from: crate::model::format_date(date_of(from)),
            to: crate::model::format_date(date_of(to)),
            rows,
            total: self.row(u, from, to),
        })
    }

    /// The members of a cell (or of all cells under a unit), for the secretary's list.
    pub fn members(&self, unit: &str, from: u16, to: u16) -> Option<Vec<MemberRow>> {
        let &u = self.unit_by_code.get(unit)?;
        let mut out = Vec::new();
        let mut stack = vec![u];
        while let Some(x) = stack.pop() {
            let unit = &self.units[x as usize];
            for &m in &unit.members {
                let m = &self.members[m as usize];
                let i = m.days.partition_point(|&(d, _)| d < from);
                out.push(MemberRow {
                    card_number: m.card.clone(),
                    full_name: m.name.clone(),
                    status: m.status.as_str().into(),
                    role: m.role.as_str().into(),
                    smartphone: m.smartphone,
                    registered_on: m
                        .first_reg
                        .filter(|&d| d <= to)
                        .map(|d| crate::model::format_date(date_of(d))),
                    last_active: m
                        .days
                        .iter()
                        .rev()
                        .find(|&&(d, _)| d <= to)
                        .map(|&(d, _)| crate::model::format_date(date_of(d))),
                    active_in_period: m.days.get(i).is_some_and(|&(d, _)| d <= to),
                });
            }
            stack.extend(unit.children.iter().rev().copied());
        }
        out.sort_by(|a, b| {
            (a.registered_on.is_some(), &a.full_name)
                .cmp(&(b.registered_on.is_some(), &b.full_name))
        });
        Some(out)
    }

    /// Month by month of `year`: each child's two target rates at the end of the month.
    pub fn year(&self, unit: &str, year: i32) -> Option<serde_json::Value> {
        let &u = self.unit_by_code.get(unit)?;
        let x = &self.units[u as usize];
        let kids: Vec<u32> = if x.children.is_empty() {
            vec![u]
        } else {
            x.children.clone()
        };
        let mut rows = Vec::new();
        for &c in kids.iter().chain(std::iter::once(&u)) {
            let mut months = Vec::new();
            let (mut reached_reg, mut reached_meet) = (None, None);
            for m in 1..=12u8 {
                let Ok(month) = time::Month::try_from(m) else {
                    continue;
                };
                let Ok(first) = time::Date::from_calendar_date(year, month, 1) else {
                    continue;
                };
                let last = first.replace_day(month.length(year)).unwrap_or(first);
                let row = self.row(c, day_number(first), day_number(last));
                if row.registration_target_met && reached_reg.is_none() {
                    reached_reg = Some(m);
                }
                if row.meeting_target_met && reached_meet.is_none() {
                    reached_meet = Some(m);
                }
                months.push(serde_json::json!({
                    "month": m,
                    "cells": row.cells,
                    "cells_meeting": row.cells_meeting,
                    "meeting_attendance_pct": row.meeting_attendance_pct,
                    "registration_target_pct": row.registration_target_pct,
                    "registration_target_met": row.registration_target_met,
                    "cells_meeting_pct": row.cells_meeting_pct,
                    "meeting_target_met": row.meeting_target_met,
                    "active": row.active,
                }));
            }
            let unit = &self.units[c as usize];
            rows.push(serde_json::json!({"unit_code": unit.code, "unit_name": unit.name, "total": c == u, "months": months, "registration_target_reached_month": reached_reg, "meeting_target_reached_month": reached_meet}));
        }
        Some(serde_json::json!({"unit": self.unit_ref(u), "year": year, "rows": rows}))
    }

    /// Active members per week, for the last `weeks` weeks ending on `to`.
    pub fn trend(&self, unit: &str, to: u16, weeks: u16) -> Option<Vec<serde_json::Value>> {
        let &u = self.unit_by_code.get(unit)?;
        let mut out = Vec::new();
        for w in (0..weeks).rev() {
            let end = to.saturating_sub(w * 7);
            let start = end.saturating_sub(6);
            let row = self.row(u, start, end);
            out.push(serde_json::json!({"from": crate::model::format_date(date_of(start)), "to": crate::model::format_date(date_of(end)), "active": row.active, "views": row.views}));
        }
        Some(out)
    }

    /// For document `doc`: per child unit, how many of its members read it (by `to`).
    pub fn coverage(&self, unit: &str, doc: &str) -> Option<serde_json::Value> {
        let &u = self.unit_by_code.get(unit)?;
        let readers = self.reads.get(doc);
        let x = &self.units[u as usize];
        let kids: Vec<u32> = if x.children.is_empty() {
            vec![u]
        } else {
            x.children.clone()
        };
        let count = |c: u32| -> (u64, u64) {
            let (mut members, mut read) = (0u64, 0u64);
            let mut stack = vec![c];
            while let Some(y) = stack.pop() {
                let unit = &self.units[y as usize];
                if !unit.active {
                    continue;
                }
                for m in &unit.members {
                    members += 1;
                    if readers.is_some_and(|r| r.contains(m)) {
                        read += 1;
                    }
                }
                stack.extend(unit.children.iter().copied());
            }
            (members, read)
        };
        let rows: Vec<serde_json::Value> = kids
            .iter()
            .map(|&c| {
                let (m, r) = count(c);
                serde_json::json!({"unit_code": self.units[c as usize].code, "unit_name": self.units[c as usize].name, "members": m, "read": r, "read_pct": pct(r, m)})
            })
            .collect();
        let (m, r) = count(u);
        Some(
            serde_json::json!({"unit": self.unit_ref(u), "doc": doc, "rows": rows, "total": {"members": m, "read": r, "read_pct": pct(r, m)}}),
        )
    }

    // ---- keeping it up to date -------------------------------------------------------

    pub fn registered(&mut self, card: &str, day: u16) {
        if let Some(&m) = self.member_by_card.get(card) {
            let m = &mut self.members[m as usize];
            m.first_reg = Some(m.first_reg.map_or(day, |d| d.min(day)));
        }
    }

    /// A stored event of member `card` on `day`; `view` adds a page view; `read` records who
    /// read `doc`. (The meeting record a `meeting_held` event makes comes through
    /// [`ReportIndex::meeting_event`] or [`ReportIndex::set_meeting`].)
    pub fn event(&mut self, card: &str, day: u16, kind: crate::model::EventType, doc: &str) {
        use crate::model::EventType;
        let Some(&m) = self.member_by_card.get(card) else {
            return;
        };
        if kind == EventType::Read {
            self.reads.entry(doc.to_string()).or_default().insert(m);
        }
        let days = &mut self.members[m as usize].days;
        let add = u32::from(kind == EventType::View);
        match days.binary_search_by_key(&day, |&(d, _)| d) {
            Ok(i) => days[i].1 += add,
            Err(i) => days.insert(i, (day, add)),
        }
    }

    /// Loading: a member's activity on a day.
    pub fn load_day(&mut self, card: &str, day: u16, views: u32) {
        if let Some(&m) = self.member_by_card.get(card) {
            self.members[m as usize].days.push((day, views));
        }
    }

    /// A meeting record as stored (loading, a secretary's record, another instance's write):
    /// it replaces the cell's record of that month.
    pub fn set_meeting(&mut self, m: &crate::store::MeetingCount) {
        let (cell, held_on, present, members, listed) = m;
        let Some(day) = parse_day(held_on) else {
            return;
        };
        self.put_meeting(
            cell,
            MeetingRec {
                day,
                present: *present,
                members: *members,
                listed: *listed,
            },
            true,
        );
    }

    /// The record an old `meeting_held` event makes, as the database makes it: `attendees`
    /// at most the cell's `members`, replacing only a record without lists.
    pub fn meeting_event(&mut self, cell: &str, day: u16, attendees: i64, members: u32) {
        let present = attendees.clamp(0, i64::from(members)) as u32;
        let rec = MeetingRec {
            day,
            present,
            members,
            listed: false,
        };
        self.put_meeting(cell, rec, false);
    }

    fn put_meeting(&mut self, cell: &str, rec: MeetingRec, over_listed: bool) {
        let Some(&c) = self.unit_by_code.get(cell) else {
            return;
        };
        let mt = &mut self.units[c as usize].meetings;
        let month = month_of(rec.day);
        if let Some(i) = mt.iter().position(|m| month_of(m.day) == month) {
            if mt[i].listed && !over_listed {
                return;
            }
            mt.remove(i);
        }
        let i = mt.partition_point(|m| m.day < rec.day);
        mt.insert(i, rec);
    }

    /// Loading: member `card` left cell `from_unit` for another on `day` (moves in the order
    /// they were made).
    pub fn load_move(&mut self, card: &str, day: u16, from_unit: &str) {
        let (Some(&m), Some(&c)) = (
            self.member_by_card.get(card),
            self.unit_by_code.get(from_unit),
        ) else {
            return;
        };
        let mem = &mut self.members[m as usize];
        let i = mem.past.partition_point(|&(d, _)| d <= day);
        mem.past.insert(i, (day, c));
        let former = &mut self.units[c as usize].former;
        if !former.contains(&m) {
            former.push(m);
        }
    }

    pub fn load_read(&mut self, doc: &str, card: &str) {
        if let Some(&m) = self.member_by_card.get(card) {
            self.reads.entry(doc.to_string()).or_default().insert(m);
        }
    }
}

// ---- output formats -------------------------------------------------------------------

/// The columns of the report form, in Vietnamese (DESIGN.md).
pub fn header(statuses: &[&str]) -> Vec<String> {
    let mut h = vec![
        "STT".to_string(),
        "Đơn vị".into(),
        "Tổng số đảng viên".into(),
        "Đã đăng ký".into(),
        "Tỷ lệ %".into(),
    ];
    for s in statuses {
        h.push(format!("Chưa đăng ký: {}", status_label(s)));
    }
    h.extend([
        "Đang sử dụng".to_string(),
        "Số chi bộ".into(),
        "Số chi bộ sử dụng trong sinh hoạt".into(),
        "Tỷ lệ %".into(),
        "Lượt truy cập".into(),
    ]);
    h
}

pub fn status_label(s: &str) -> &'static str {
    match s {
        "chinh-thuc" => "chính thức",
        "du-bi" => "dự bị",
        "mien-sinh-hoat" => "miễn sinh hoạt",
        _ => "khác",
    }
}

/// A row as the cells of the form (STT empty for the total row).
pub fn cells(stt: Option<usize>, r: &Row) -> Vec<String> {
    let mut v = vec![
        stt.map(|n| n.to_string()).unwrap_or_default(),
        r.unit_name.clone(),
        r.members.to_string(),
        r.registered.to_string(),
        fmt_pct(r.registered_pct),
    ];
    for s in MemberStatus::NAMES {
        v.push(
            r.not_registered_by_status
                .get(*s)
                .copied()
                .unwrap_or(0)
                .to_string(),
        );
    }
    v.extend([
        r.active.to_string(),
        r.cells.to_string(),
        r.cells_meeting.to_string(),
        fmt_pct(r.cells_meeting_pct),
        r.views.to_string(),
    ]);
    v
}

fn fmt_pct(p: f64) -> String {
    format!("{p:.1}")
}

/// CSV in UTF-8 with a BOM, so that Excel shows Vietnamese correctly.
pub fn to_csv(r: &UsageReport) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().from_writer(vec![0xEF, 0xBB, 0xBF]);
    let _ = w.write_record(header(MemberStatus::NAMES));
    for (i, row) in r.rows.iter().enumerate() {
        let _ = w.write_record(cells(Some(i + 1), row));
    }
    let mut total = cells(None, &r.total);
    total[1] = "Tổng cộng".into();
    let _ = w.write_record(total);
    w.into_inner().unwrap_or_default()
}

/// A text table for the terminal.
pub fn to_table(r: &UsageReport) -> String {
    let mut rows = vec![header(MemberStatus::NAMES)];
    for (i, row) in r.rows.iter().enumerate() {
        rows.push(cells(Some(i + 1), row));
    }
    let mut total = cells(None, &r.total);
    total[1] = "Tổng cộng".into();
    rows.push(total);
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
                .min(40)
        })
        .collect();
    let mut out = format!("{} ({}), {} – {}\n", r.unit.name, r.unit.code, r.from, r.to);
    for (n, row) in rows.iter().enumerate() {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                let cell: String = cell.chars().take(40).collect();
                let pad = widths[c].saturating_sub(cell.chars().count());
                if c >= 2 {
                    format!("{}{cell}", " ".repeat(pad))
                } else {
                    format!("{cell}{}", " ".repeat(pad))
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
        if n == 0 || n == rows.len() - 2 {
            out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1)));
            out.push('\n');
        }
    }
    out
}

/// The report as an Excel file laid out like the committee's paper form: title, unit, period,
/// date, the table with totals and percentages, and a signature block.
pub fn to_xlsx(r: &UsageReport, made_on: time::Date) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
    let e = |x: rust_xlsxwriter::XlsxError| x.to_string();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Thống kê").map_err(e)?;
    let head = header(MemberStatus::NAMES);
    let ncols = head.len() as u16;
    let title = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let center = Format::new().set_align(FormatAlign::Center);
    let th = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color("#F2F2F2");
    let td = Format::new().set_border(FormatBorder::Thin);
    let num = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("#,##0");
    let pctf = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("0.0");
    let total_txt = Format::new().set_border(FormatBorder::Thin).set_bold();
    let total_num = Format::new()
        .set_border(FormatBorder::Thin)
        .set_bold()
        .set_num_format("#,##0");
    let total_pct = Format::new()
        .set_border(FormatBorder::Thin)
        .set_bold()
        .set_num_format("0.0");
    ws.merge_range(
        0,
        0,
        0,
        ncols - 1,
        "BẢNG THỐNG KÊ SỐ LƯỢNG ĐẢNG VIÊN ĐĂNG KÝ SỬ DỤNG SỔ TAY ĐẢNG VIÊN ĐIỆN TỬ",
        &title,
    )
    .map_err(e)?;
    ws.merge_range(
        1,
        0,
        1,
        ncols - 1,
        &format!("Đơn vị: {} ({})", r.unit.name, r.unit.code),
        &center,
    )
    .map_err(e)?;
    ws.merge_range(
        2,
        0,
        2,
        ncols - 1,
        &format!(
            "Thời gian: từ ngày {} đến ngày {}",
            vi_date(&r.from),
            vi_date(&r.to)
        ),
        &center,
    )
    .map_err(e)?;
    let top = 4u32;
    ws.set_row_height(top, 45).map_err(e)?;
    for (c, h) in head.iter().enumerate() {
        ws.write_string_with_format(top, c as u16, h, &th)
            .map_err(e)?;
    }
    ws.set_column_width(0, 5).map_err(e)?;
    ws.set_column_width(1, 36).map_err(e)?;
    for c in 2..ncols {
        ws.set_column_width(c, 13).map_err(e)?;
    }
    // "Tỷ lệ %" after "Đã đăng ký", and after "Số chi bộ sử dụng trong sinh hoạt".
    let pct_cols = [4u16, 5 + MemberStatus::NAMES.len() as u16 + 3];
    let write_row = |ws: &mut rust_xlsxwriter::Worksheet,
                     row: u32,
                     stt: Option<usize>,
                     x: &Row,
                     bold: bool|
     -> Result<(), String> {
        let vals = cells(stt, x);
        for (c, v) in vals.iter().enumerate() {
            let c = c as u16;
            if c == 0 || c == 1 {
                let s = if bold && c == 1 {
                    "Tổng cộng".to_string()
                } else {
                    v.clone()
                };
                ws.write_string_with_format(row, c, &s, if bold { &total_txt } else { &td })
                    .map_err(e)?;
            } else {
                let n: f64 = v.parse().unwrap_or(0.0);
                let f = match (pct_cols.contains(&c), bold) {
                    (true, true) => &total_pct,
                    (true, false) => &pctf,
                    (false, true) => &total_num,
                    (false, false) => &num,
                };
                ws.write_number_with_format(row, c, n, f).map_err(e)?;
            }
        }
        Ok(())
    };
    let mut row = top + 1;
    for (i, x) in r.rows.iter().enumerate() {
        write_row(ws, row, Some(i + 1), x, false)?;
        row += 1;
    }
    write_row(ws, row, None, &r.total, true)?;
    let sig = row + 2;
    let half = ncols / 2;
    let bold_c = Format::new().set_bold().set_align(FormatAlign::Center);
    let ital_c = Format::new().set_italic().set_align(FormatAlign::Center);
    ws.merge_range(
        sig,
        half,
        sig,
        ncols - 1,
        &format!(
            "Ngày {} tháng {} năm {}",
            made_on.day(),
            u8::from(made_on.month()),
            made_on.year()
        ),
        &ital_c,
    )
    .map_err(e)?;
    ws.merge_range(sig + 1, 0, sig + 1, half - 1, "NGƯỜI LẬP BIỂU", &bold_c)
        .map_err(e)?;
    ws.merge_range(
        sig + 1,
        half,
        sig + 1,
        ncols - 1,
        "T/M BAN THƯỜNG VỤ",
        &bold_c,
    )
    .map_err(e)?;
    ws.merge_range(
        sig + 2,
        0,
        sig + 2,
        half - 1,
        "(Ký, ghi rõ họ tên)",
        &ital_c,
    )
    .map_err(e)?;
    ws.merge_range(
        sig + 2,
        half,
        sig + 2,
        ncols - 1,
        "(Ký tên, đóng dấu)",
        &ital_c,
    )
    .map_err(e)?;
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    wb.save_to_buffer().map_err(e)
}

fn vi_date(iso: &str) -> String {
    let p: Vec<&str> = iso.split('-').collect();
    if p.len() == 3 {
        format!("{}/{}/{}", p[2], p[1], p[0])
    } else {
        iso.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A member moved from CB1 to CB2 on day 15, reading on days 10 (2 views) and 20 (3):
    /// day 10 counts in CB1, day 20 in CB2, both once in DB1; a member who moved in from
    /// outside the district counts there only from the move on.
    #[test]
    fn reading_counts_in_the_cell_of_its_day() {
        let mut b = Builder::default();
        b.unit("TU", "Tỉnh", None, "tinh-uy", true);
        b.unit("DB1", "Huyện 1", Some("TU"), "dang-bo", true);
        b.unit("CB1", "Chi bộ 1", Some("DB1"), "chi-bo", true);
        b.unit("CB2", "Chi bộ 2", Some("DB1"), "chi-bo", true);
        b.unit("CB3", "Chi bộ 3", Some("TU"), "chi-bo-co-so", true);
        b.member("1", "An", "CB2", "chinh-thuc", "dang-vien", true);
        b.member("2", "Bình", "CB1", "chinh-thuc", "dang-vien", true);
        {
            let idx = b.index();
            idx.load_day("1", 10, 2);
            idx.load_day("1", 20, 3);
            idx.load_move("1", 15, "CB1");
            idx.load_day("2", 12, 1);
            idx.load_day("2", 22, 1);
            idx.load_move("2", 18, "CB3");
        }
        let idx = b.finish();
        let r = idx.usage("DB1", 0, 30).expect("report");
        let cb = |code: &str| {
            r.rows
                .iter()
                .find(|x| x.unit_code == code)
                .expect("row")
                .clone()
        };
        assert_eq!(
            (cb("CB1").views, cb("CB1").active, cb("CB1").members),
            (3, 2, 1),
            "1's day 10 and 2's day 22"
        );
        assert_eq!(
            (cb("CB2").views, cb("CB2").active, cb("CB2").members),
            (3, 1, 1)
        );
        assert_eq!(
            (r.total.views, r.total.active),
            (6, 2),
            "each member once in DB1"
        );
        let before = idx.usage("DB1", 0, 14).expect("report");
        assert_eq!(
            before.rows.iter().map(|x| x.views).collect::<Vec<_>>(),
            [2, 0]
        );
        let province = idx.usage("TU", 0, 30).expect("report");
        assert_eq!((province.total.views, province.total.active), (7, 2));
        let cb3 = idx.usage("CB3", 0, 30).expect("report");
        assert_eq!(
            (cb3.total.views, cb3.total.active, cb3.total.members),
            (1, 1, 0),
            "2's day 12, in CB3 then"
        );
    }

    #[test]
    fn days() {
        let d = crate::model::parse_date("2026-11-27").expect("date");
        assert_eq!(date_of(day_number(d)), d);
        assert_eq!(parse_day("2020-01-01"), Some(0));
        assert_eq!(pct(1, 3), 33.3);
        assert_eq!(pct(0, 0), 0.0);
    }
}
