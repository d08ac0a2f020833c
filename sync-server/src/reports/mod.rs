//! The usage reports committees are judged on (per child unit: members, registered, not
//! registered by status, active, cells, cells using the handbook in meetings, page views; the
//! directive's targets; a year view; the annual sheet; reading coverage; the members of a cell),
//! computed here; their files are `form` (the form's columns, shared), `text` (CSV, the
//! terminal's table) and `xlsx` (Excel laid out like the paper form).
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

mod form;
pub mod text;
pub mod xlsx;

pub use form::{cells, header, status_label};
pub use text::{annual_csv, to_csv, to_table};
pub use xlsx::{annual_xlsx, to_xlsx};

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

/// A meeting record as reports count it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingCount {
    pub cell: String,
    /// The day it was held, YYYY-MM-DD.
    pub held_on: String,
    pub present: u32,
    pub members: u32,
    /// Whether it has attendance lists (a record from the old `meeting_held` event has not).
    pub listed: bool,
}

/// The in-memory aggregate reports are computed from.
#[derive(Default)]
pub struct ReportIndex {
    units: Vec<Unit>,
    unit_by_code: HashMap<String, u32>,
    members: Vec<Member>,
    member_by_card: HashMap<String, u32>,
    reads: HashMap<String, HashSet<u32>>,
    /// Who opened each notice at least once: a bit per member (a root notice of a million
    /// members costs 125 KB, not a hash set of a million entries).
    notice_reads: HashMap<String, Bits>,
    root: Option<u32>,
    /// The thresholds "Đạt" is judged against.
    pub targets: Targets,
}

/// The directive's targets, in percent: registration (of members in activity with a
/// smartphone), usage (of registered members, active in the period) and meetings (of cells
/// that held a meeting recorded in the handbook). Configured in `sotay.yaml` (`targets:`);
/// each defaults to the directive's 100%.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Targets {
    pub registration_pct: f64,
    pub usage_pct: f64,
    pub meetings_pct: f64,
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            registration_pct: 100.0,
            usage_pct: 100.0,
            meetings_pct: 100.0,
        }
    }
}

impl Targets {
    /// Whether `part` of `whole` reaches `target` percent (nothing of nothing does not).
    pub fn met(part: u64, whole: u64, target: f64) -> bool {
        whole > 0 && part as f64 * 100.0 >= target * whole as f64 - 1e-9
    }

    /// The targets a built site carries (`report-targets.json`, written from `sotay.yaml`);
    /// the defaults if it has none, or a bad one (logged).
    pub fn of_site(site: &std::path::Path) -> Targets {
        match std::fs::read(site.join("report-targets.json")) {
            Ok(bytes) => serde_json::from_slice::<Targets>(&bytes)
                .ok()
                .filter(Targets::valid)
                .unwrap_or_else(|| {
                    crate::log::log(
                        "warn",
                        "report-targets.json is not valid; using the directive's 100%",
                        &[],
                    );
                    Targets::default()
                }),
            Err(_) => Targets::default(),
        }
    }

    pub fn valid(&self) -> bool {
        [self.registration_pct, self.usage_pct, self.meetings_pct]
            .iter()
            .all(|p| (0.0..=100.0).contains(p))
    }
}

/// A set of members as bits, grown as needed.
#[derive(Default, Clone)]
struct Bits(Vec<u64>);

impl Bits {
    fn insert(&mut self, i: u32) {
        let (w, b) = ((i / 64) as usize, i % 64);
        if self.0.len() <= w {
            self.0.resize(w + 1, 0);
        }
        self.0[w] |= 1 << b;
    }
    fn contains(&self, i: u32) -> bool {
        self.0
            .get((i / 64) as usize)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
}

/// How a notice reached the members of a unit: `recipients` members under it, `read` of them
/// opened it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Reach {
    pub recipients: u64,
    pub read: u64,
}

/// A notice's reach within a unit, and per child unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoticeReach {
    pub recipients: u64,
    pub read: u64,
    pub units: Vec<UnitReach>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitReach {
    pub code: String,
    pub name: String,
    pub recipients: u64,
    pub read: u64,
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

/// One row of the usage report, plus the directive's targets.
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
    /// "Đạt" when the registration target is reached (by default: every such member).
    pub registration_target_met: bool,
    pub meeting_target_met: bool,
    /// Active in the period / registered by its end, 0–100.
    pub usage_pct: f64,
    pub usage_target_met: bool,
    /// Registered members active in the period (the usage rate's numerator).
    pub active_registered: u64,
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
    pub targets: Targets,
    pub unit: UnitRef,
    pub from: String,
    pub to: String,
    pub rows: Vec<Row>,
    pub total: Row,
}

/// One handbook criterion of a grassroots organisation's annual rating.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Criterion {
    pub code: &'static str,
    pub name: String,
    pub part: u64,
    pub whole: u64,
    pub pct: f64,
    pub target_pct: f64,
    pub met: bool,
}

/// A cell's meetings of the year in the annual sheet: per month, whether one was recorded in
/// the handbook (`None` for months not yet due).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnnualCell {
    pub unit_code: String,
    pub unit_name: String,
    pub months: Vec<Option<bool>>,
    pub held: u32,
    pub due: u32,
    pub pct: f64,
    pub met: bool,
}

/// The annual sheet of a grassroots organisation (`dang-bo-co-so`, `chi-bo-co-so`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnnualReport {
    pub unit: UnitRef,
    pub year: i32,
    /// The last day counted: the year's last, or today while the year runs.
    pub as_of: String,
    pub targets: Targets,
    pub members: u64,
    pub registered: u64,
    pub criteria: Vec<Criterion>,
    pub cells: Vec<AnnualCell>,
    /// Every criterion met.
    pub met: bool,
}

fn pct(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        (a as f64 * 1000.0 / b as f64).round() / 10.0
    }
}

/// Counts from a set of members and cells, before percentages.
#[derive(Default, Clone)]
struct Acc {
    members: u64,
    registered: u64,
    /// Per status (in the order of `MemberStatus::ALL`): counted without a string or a map
    /// per member, the most of a year view's time at a million members.
    not_registered: [u64; MemberStatus::ALL.len()],
    active: u64,
    views: u64,
    cells: u64,
    cells_meeting: u64,
    meeting_present: u64,
    meeting_members: u64,
    smart: u64,
    smart_reg: u64,
    /// Registered members active in the period.
    active_registered: u64,
}

/// A year's members counted by the month they registered in: what holds from that month on
/// (registered) or until it (not registered) is added to the 12 months once, at the end, rather
/// than month by month for each member.
#[derive(Default)]
struct Steps {
    /// [status][first month registered, 12: not this year]
    by_first: [[u64; 13]; MemberStatus::ALL.len()],
    /// The same, of members with a smartphone who are not exempt.
    smart_by_first: [u64; 13],
}

impl Steps {
    fn add(&mut self, status: usize, first: usize, smart: bool) {
        if let Some(row) = self.by_first.get_mut(status) {
            row[first.min(12)] += 1;
        }
        if smart {
            self.smart_by_first[first.min(12)] += 1;
        }
    }

    /// Adds the counts to each month: registered by its end, or not (per status).
    fn into_months(self, accs: &mut [Acc]) {
        for (k, acc) in accs.iter_mut().enumerate() {
            for (s, row) in self.by_first.iter().enumerate() {
                let reg: u64 = row[..=k].iter().sum();
                let not: u64 = row[k + 1..].iter().sum();
                acc.members += reg + not;
                acc.registered += reg;
                acc.not_registered[s] += not;
            }
            acc.smart += self.smart_by_first.iter().sum::<u64>();
            acc.smart_reg += self.smart_by_first[..=k].iter().sum::<u64>();
        }
    }
}

impl Acc {
    /// Adds the counts of a disjoint set of members and cells.
    fn merge(&mut self, o: &Acc) {
        self.members += o.members;
        self.registered += o.registered;
        for (n, o) in self.not_registered.iter_mut().zip(&o.not_registered) {
            *n += o;
        }
        self.active += o.active;
        self.views += o.views;
        self.cells += o.cells;
        self.cells_meeting += o.cells_meeting;
        self.meeting_present += o.meeting_present;
        self.meeting_members += o.meeting_members;
        self.smart += o.smart;
        self.smart_reg += o.smart_reg;
        self.active_registered += o.active_registered;
    }

    fn row(self, code: &str, name: &str, t: &Targets) -> Row {
        let not_reg: BTreeMap<String, u64> = MemberStatus::NAMES
            .iter()
            .zip(self.not_registered)
            .map(|(s, n)| (s.to_string(), n))
            .collect();
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
            registration_target_met: Targets::met(self.smart_reg, self.smart, t.registration_pct),
            meeting_target_met: Targets::met(self.cells_meeting, self.cells, t.meetings_pct),
            usage_pct: pct(self.active_registered, self.registered),
            usage_target_met: Targets::met(self.active_registered, self.registered, t.usage_pct),
            active_registered: self.active_registered,
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

    /// A unit's code, name and kind.
    pub fn unit(&self, code: &str) -> Option<UnitRef> {
        self.unit_by_code.get(code).map(|&u| self.unit_ref(u))
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
        self.accumulate_in(u, from, to, acc, true)
    }

    /// Adds the counts of `u`, and of its subtree if `descend`, to `acc`.
    fn accumulate_in(&self, u: u32, from: u16, to: u16, acc: &mut Acc, descend: bool) {
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
                    acc.not_registered[m.status as usize] += 1;
                }
                if m.smartphone && m.status != MemberStatus::MienSinhHoat {
                    acc.smart += 1;
                    if reg {
                        acc.smart_reg += 1;
                    }
                }
                self.activity(m, u, from, to, reg, acc);
            }
            // Members who moved away: their days here count here (once, if they were in
            // several cells of this subtree, and not at all if they are in it still, where
            // their current cell counts them).
            for &f in &unit.former {
                let m = &self.members[f as usize];
                if self.within_idx(m.cell, u) || !former_seen.get_or_insert_default().insert(f) {
                    continue;
                }
                self.activity(m, u, from, to, m.first_reg.is_some_and(|d| d <= to), acc);
            }
            if descend {
                stack.extend(unit.children.iter().copied());
            }
        }
    }

    /// Adds a member's reading in days `from..=to` spent in cells of `u`'s subtree (`reg`:
    /// registered by `to`).
    fn activity(&self, m: &Member, u: u32, from: u16, to: u16, reg: bool, acc: &mut Acc) {
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
            if reg {
                acc.active_registered += 1;
            }
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
        acc.row(&x.code, &x.name, &self.targets)
    }

    /// The usage report of `unit` for days `from..=to`: a row per child unit (the unit itself
    /// for a cell) and a total row.
    pub fn usage(&self, unit: &str, from: u16, to: u16) -> Option<UsageReport> {
        let &u = self.unit_by_code.get(unit)?;
        let x = &self.units[u as usize];
        // One pass: the total is the children's counts and the unit's own.
        let mut total = Acc::default();
        self.accumulate_in(u, from, to, &mut total, false);
        let rows = if x.children.is_empty() {
            vec![total.clone().row(&x.code, &x.name, &self.targets)]
        } else {
            x.children
                .iter()
                .map(|&c| {
                    let mut acc = Acc::default();
                    self.accumulate(c, from, to, &mut acc);
                    total.merge(&acc);
                    let y = &self.units[c as usize];
                    acc.row(&y.code, &y.name, &self.targets)
                })
                .collect()
        };
        // A member who moved between two of the children is active in each child's row but
        // once in the unit's: with moves, the total is a pass of its own over the subtree.
        if !x.children.is_empty() && self.members.iter().any(|m| !m.past.is_empty()) {
            total = Acc::default();
            self.accumulate(u, from, to, &mut total);
        }
        Some(UsageReport {
            targets: self.targets,
            unit: self.unit_ref(u),
            from: crate::model::format_date(date_of(from)),
            to: crate::model::format_date(date_of(to)),
            rows,
            total: total.row(&x.code, &x.name, &self.targets),
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

    /// Per month of `year` (12), the counts of `u` (and its subtree if `descend`): active
    /// members and views in the month, registration by its last day, cells that met in it.
    /// One pass over the members' days.
    fn year_accs(&self, u: u32, year: i32, descend: bool) -> Vec<Acc> {
        let bounds: Vec<(u16, u16)> = (1..=12u8)
            .map(|m| {
                let month = time::Month::try_from(m).unwrap_or(time::Month::January);
                let first =
                    time::Date::from_calendar_date(year, month, 1).unwrap_or(time::Date::MIN);
                let last = first.replace_day(month.length(year)).unwrap_or(first);
                (day_number(first), day_number(last))
            })
            .collect();
        let (start, end) = (bounds[0].0, bounds[11].1);
        // The month of each day of the year, looked up rather than searched.
        let months: Vec<u8> = (start..=end)
            .map(|d| {
                bounds
                    .iter()
                    .position(|&(a, b)| a <= d && d <= b)
                    .unwrap_or(0) as u8
            })
            .collect();
        let month_of_day = |d: u16| {
            d.checked_sub(start)
                .and_then(|i| months.get(usize::from(i)))
                .map(|&k| usize::from(k))
        };
        let mut accs = vec![Acc::default(); 12];
        let mut steps = Steps::default();
        let mut stack = vec![u];
        while let Some(x) = stack.pop() {
            let unit = &self.units[x as usize];
            if !unit.active {
                continue;
            }
            if unit.kind.is_cell() {
                let mut met = [false; 12];
                let i = unit.meetings.partition_point(|m| m.day < start);
                for m in unit.meetings[i..].iter().take_while(|m| m.day <= end) {
                    if let Some(k) = month_of_day(m.day) {
                        met[k] = true;
                        accs[k].meeting_present += u64::from(m.present);
                        accs[k].meeting_members += u64::from(m.members);
                    }
                }
                for (k, acc) in accs.iter_mut().enumerate() {
                    acc.cells += 1;
                    acc.cells_meeting += u64::from(met[k]);
                }
            }
            for &m in &unit.members {
                let m = &self.members[m as usize];
                // The first month by whose end the member is registered (12: not this year).
                let k0 = m
                    .first_reg
                    .map_or(12, |d| bounds.iter().position(|b| d <= b.1).unwrap_or(12));
                let smart = m.smartphone && m.status != MemberStatus::MienSinhHoat;
                steps.add(m.status as usize, k0, smart);
                let mut active = [false; 12];
                let i = m.days.partition_point(|&(d, _)| d < start);
                for &(d, v) in m.days[i..].iter().take_while(|&&(d, _)| d <= end) {
                    if let Some(k) = month_of_day(d) {
                        active[k] = true;
                        accs[k].views += u64::from(v);
                    }
                }
                for (k, acc) in accs.iter_mut().enumerate().filter(|(k, _)| active[*k]) {
                    acc.active += 1;
                    acc.active_registered += u64::from(k >= k0);
                }
            }
            if descend {
                stack.extend(unit.children.iter().copied());
            }
        }
        steps.into_months(&mut accs);
        accs
    }

    /// Month by month of `year`: each child's two target rates at the end of the month.
    pub fn year(&self, unit: &str, year: i32) -> Option<serde_json::Value> {
        let &u = self.unit_by_code.get(unit)?;
        let x = &self.units[u as usize];
        // One pass: the unit's total is its children's counts and its own.
        let mut per: Vec<(u32, Vec<Acc>)> = Vec::new();
        let mut total = self.year_accs(u, year, false);
        if !x.children.is_empty() {
            for &c in &x.children {
                let accs = self.year_accs(c, year, true);
                for (t, a) in total.iter_mut().zip(&accs) {
                    t.merge(a);
                }
                per.push((c, accs));
            }
        }
        per.push((u, total));
        let rows: Vec<serde_json::Value> = per
            .into_iter()
            .map(|(c, accs)| {
                let unit = &self.units[c as usize];
                let (mut reached_reg, mut reached_meet) = (None, None);
                let months: Vec<serde_json::Value> = accs
                    .into_iter()
                    .enumerate()
                    .map(|(k, acc)| {
                        let m = k as u8 + 1;
                        let row = acc.row(&unit.code, &unit.name, &self.targets);
                        if row.registration_target_met && reached_reg.is_none() {
                            reached_reg = Some(m);
                        }
                        if row.meeting_target_met && reached_meet.is_none() {
                            reached_meet = Some(m);
                        }
                        serde_json::json!({
                            "month": m,
                            "cells": row.cells,
                            "cells_meeting": row.cells_meeting,
                            "meeting_attendance_pct": row.meeting_attendance_pct,
                            "registration_target_pct": row.registration_target_pct,
                            "registration_target_met": row.registration_target_met,
                            "cells_meeting_pct": row.cells_meeting_pct,
                            "meeting_target_met": row.meeting_target_met,
                            "active": row.active,
                        })
                    })
                    .collect();
                serde_json::json!({"unit_code": unit.code, "unit_name": unit.name, "total": c == u, "months": months, "registration_target_reached_month": reached_reg, "meeting_target_reached_month": reached_meet})
            })
            .collect();
        Some(serde_json::json!({"unit": self.unit_ref(u), "year": year, "rows": rows}))
    }

    /// Active members per week, for the last `weeks` weeks ending on `to`: one pass over the
    /// subtree's members (not one per week).
    pub fn trend(&self, unit: &str, to: u16, weeks: u16) -> Option<Vec<serde_json::Value>> {
        let &u = self.unit_by_code.get(unit)?;
        let n = usize::from(weeks);
        // Week w (0 = the oldest) ends on `ends[w]`; a week cut at day 0 starts there.
        let ends: Vec<u16> = (0..weeks).rev().map(|w| to.saturating_sub(w * 7)).collect();
        let first = ends.first().map_or(to, |e| e.saturating_sub(6));
        let (mut active, mut views) = (vec![0u64; n], vec![0u64; n]);
        let mut seen = vec![false; n];
        let mut stack = vec![u];
        while let Some(x) = stack.pop() {
            let unit = &self.units[x as usize];
            if !unit.active {
                continue;
            }
            for &m in &unit.members {
                let days = &self.members[m as usize].days;
                let i = days.partition_point(|&(d, _)| d < first);
                seen.iter_mut().for_each(|s| *s = false);
                let mut w = 0;
                for &(d, v) in &days[i..] {
                    if d > to {
                        break;
                    }
                    while w < n && d > ends[w] {
                        w += 1;
                    }
                    // Days before a week's start (a week cut at day 0) are none of its.
                    if w == n || d < ends[w].saturating_sub(6) {
                        continue;
                    }
                    views[w] += u64::from(v);
                    if !seen[w] {
                        seen[w] = true;
                        active[w] += 1;
                    }
                }
            }
            stack.extend(unit.children.iter().copied());
        }
        Some(
            ends.iter()
                .enumerate()
                .map(|(w, &end)| {
                    let start = end.saturating_sub(6);
                    serde_json::json!({"from": crate::model::format_date(date_of(start)), "to": crate::model::format_date(date_of(end)), "active": active[w], "views": views[w]})
                })
                .collect(),
        )
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

    /// The annual sheet of grassroots organisation `unit` (`dang-bo-co-so` or `chi-bo-co-so`)
    /// for `year`, as of `today` (the year's last day once it is over): the handbook criteria
    /// of its rating. `Err` says in Vietnamese why there is none.
    pub fn annual(&self, unit: &str, year: i32, today: u16) -> Result<AnnualReport, String> {
        let &u = self
            .unit_by_code
            .get(unit)
            .ok_or_else(|| "không có đơn vị này".to_string())?;
        let x = &self.units[u as usize];
        if !matches!(x.kind, UnitKind::DangBoCoSo | UnitKind::ChiBoCoSo) {
            return Err(format!(
                "biểu đánh giá năm dành cho tổ chức cơ sở đảng (đảng bộ cơ sở, chi bộ cơ sở); {} là {}",
                x.name,
                x.kind.label().to_lowercase()
            ));
        }
        let first = time::Date::from_calendar_date(year, time::Month::January, 1)
            .map_err(|_| "năm không hợp lệ".to_string())?;
        let last = time::Date::from_calendar_date(year, time::Month::December, 31)
            .map_err(|_| "năm không hợp lệ".to_string())?;
        if day_number(first) > today {
            return Err(format!("năm {year} chưa bắt đầu"));
        }
        let as_of = day_number(last).min(today);
        let end = date_of(as_of);
        let due = u8::from(end.month());
        let reg = self.row(u, 0, as_of);
        let cells = self.annual_cells(u, year, due);
        let criteria = self.annual_criteria(u, &reg, end, &cells);
        Ok(AnnualReport {
            unit: self.unit_ref(u),
            year,
            as_of: crate::model::format_date(end),
            targets: self.targets,
            members: reg.members,
            registered: reg.registered,
            met: criteria.iter().all(|c| c.met),
            criteria,
            cells,
        })
    }

    /// The cells of organisation `u` and their months of `year` up to month `due`: whether a
    /// meeting was held in each.
    fn annual_cells(&self, u: u32, year: i32, due: u8) -> Vec<AnnualCell> {
        let mut cells = Vec::new();
        let mut stack = vec![u];
        while let Some(c) = stack.pop() {
            let unit = &self.units[c as usize];
            if !unit.active {
                continue;
            }
            if unit.kind.is_cell() {
                let months: Vec<Option<bool>> = (1..=12u8)
                    .map(|m| {
                        (m <= due).then(|| {
                            unit.meetings.iter().any(|r| {
                                let d = date_of(r.day);
                                d.year() == year && u8::from(d.month()) == m
                            })
                        })
                    })
                    .collect();
                let held = months.iter().filter(|m| **m == Some(true)).count() as u32;
                cells.push(AnnualCell {
                    unit_code: unit.code.clone(),
                    unit_name: unit.name.clone(),
                    months,
                    held,
                    due: u32::from(due),
                    pct: pct(u64::from(held), u64::from(due)),
                    met: Targets::met(u64::from(held), u64::from(due), self.targets.meetings_pct),
                });
            }
            stack.extend(unit.children.iter().rev().copied());
        }
        cells
    }

    /// The annual sheet's three criteria: registration at the end (`reg`), usage in the last
    /// month counted (the one of `end`), the cells' months with a meeting.
    fn annual_criteria(
        &self,
        u: u32,
        reg: &Row,
        end: time::Date,
        cells: &[AnnualCell],
    ) -> Vec<Criterion> {
        let t = self.targets;
        let due = u8::from(end.month());
        let month_start = day_number(end.replace_day(1).unwrap_or(end));
        let usage = self.row(u, month_start, day_number(end));
        let (held, owed) = cells.iter().fold((0u64, 0u64), |(h, d), c| {
            (h + u64::from(c.held), d + u64::from(c.due))
        });
        let month_label = format!("{}/{}", due, end.year());
        vec![
            Criterion {
                code: "registration",
                name: "Đảng viên có điện thoại thông minh, đang sinh hoạt, đã đăng ký sử dụng sổ tay".into(),
                part: reg.smartphone_registered,
                whole: reg.smartphone_members,
                pct: reg.registration_target_pct,
                target_pct: t.registration_pct,
                met: reg.registration_target_met,
            },
            Criterion {
                code: "usage",
                name: format!("Đảng viên đã đăng ký có sử dụng sổ tay trong tháng {month_label}"),
                part: usage.active_registered,
                whole: usage.registered,
                pct: usage.usage_pct,
                target_pct: t.usage_pct,
                met: usage.usage_target_met,
            },
            Criterion {
                code: "meetings",
                name: format!(
                    "Sinh hoạt chi bộ hằng tháng có dùng sổ tay (số tháng có sinh hoạt của các chi bộ, tháng 1–{due})"
                ),
                part: held,
                whole: owed,
                pct: pct(held, owed),
                target_pct: t.meetings_pct,
                met: Targets::met(held, owed, t.meetings_pct),
            },
        ]
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
        // A notice's events carry its id where a document's would be.
        if kind == EventType::NoticeRead {
            self.notice_reads
                .entry(doc.to_string())
                .or_default()
                .insert(m);
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
    pub fn set_meeting(&mut self, m: &MeetingCount) {
        let Some(day) = parse_day(&m.held_on) else {
            return;
        };
        self.put_meeting(
            &m.cell,
            MeetingRec {
                day,
                present: m.present,
                members: m.members,
                listed: m.listed,
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

    /// Loading: member `card` opened notice `notice`.
    pub fn load_notice_read(&mut self, notice: &str, card: &str) {
        if let Some(&m) = self.member_by_card.get(card) {
            self.notice_reads
                .entry(notice.to_string())
                .or_default()
                .insert(m);
        }
    }

    /// The members under `u` (active units only), and how many of them are in `readers`.
    fn reach_of(&self, u: u32, readers: Option<&Bits>) -> Reach {
        let mut r = Reach::default();
        let mut stack = vec![u];
        while let Some(y) = stack.pop() {
            let unit = &self.units[y as usize];
            if !unit.active {
                continue;
            }
            r.recipients += unit.members.len() as u64;
            if let Some(b) = readers {
                r.read += unit.members.iter().filter(|&&m| b.contains(m)).count() as u64;
            }
            stack.extend(unit.children.iter().copied());
        }
        r
    }

    /// How notice `notice`, sent to `sent_to`, reached the members of `unit`: those under both
    /// (the notice's unit when it is in `unit`'s subtree, `unit` when the notice came from above
    /// it), in total and per child unit of `unit` it reached (`unit` itself if it has none).
    /// `None` when either unit is unknown or neither is under the other.
    pub fn notice_reach(&self, unit: &str, sent_to: &str, notice: &str) -> Option<NoticeReach> {
        let &u = self.unit_by_code.get(unit)?;
        let &n = self.unit_by_code.get(sent_to)?;
        let scope = if self.within(sent_to, unit) {
            n
        } else if self.within(unit, sent_to) {
            u
        } else {
            return None;
        };
        let readers = self.notice_reads.get(notice);
        let total = self.reach_of(scope, readers);
        let x = &self.units[u as usize];
        let kids: Vec<u32> = if x.children.is_empty() {
            vec![u]
        } else {
            x.children.clone()
        };
        let scope_code = self.units[scope as usize].code.as_str();
        let units = kids
            .into_iter()
            .filter_map(|c| {
                let code = self.units[c as usize].code.as_str();
                // The part of the child the notice reached: all of it, or the notice's unit.
                let part = if self.within(code, scope_code) {
                    c
                } else if self.within(scope_code, code) {
                    scope
                } else {
                    return None;
                };
                let r = self.reach_of(part, readers);
                Some(UnitReach {
                    code: code.to_string(),
                    name: self.units[c as usize].name.clone(),
                    recipients: r.recipients,
                    read: r.read,
                })
            })
            .collect();
        Some(NoticeReach {
            recipients: total.recipients,
            read: total.read,
            units,
        })
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

    fn d(s: &str) -> u16 {
        parse_day(s).expect("date")
    }

    /// A grassroots party committee with two cells, every figure counted by hand.
    /// A meeting record with lists, as a secretary makes it.
    fn held(cell: &str, day: String, present: u32) -> MeetingCount {
        MeetingCount {
            cell: cell.into(),
            held_on: day,
            present,
            members: present,
            listed: true,
        }
    }

    fn small() -> ReportIndex {
        let mut b = Builder::default();
        b.unit("TU", "Đảng bộ tỉnh", None, "tinh-uy", true);
        b.unit("CS", "Đảng bộ xã Một", Some("TU"), "dang-bo-co-so", true);
        b.unit("C1", "Chi bộ thôn Một", Some("CS"), "chi-bo", true);
        b.unit("C2", "Chi bộ thôn Hai", Some("CS"), "chi-bo", true);
        // a: phone, registered; b: phone, not registered; c: no phone, registered.
        b.member("1", "A", "C1", "chinh-thuc", "bi-thu", true);
        b.member("2", "B", "C1", "chinh-thuc", "dang-vien", true);
        b.member("3", "C", "C1", "du-bi", "dang-vien", false);
        // d: phone, registered; e: exempt from meetings (not in the directive's base).
        b.member("4", "D", "C2", "chinh-thuc", "bi-thu", true);
        b.member("5", "E", "C2", "mien-sinh-hoat", "dang-vien", true);
        let mut idx = b.finish();
        idx.registered("1", d("2025-02-01"));
        idx.registered("3", d("2025-05-01"));
        idx.registered("4", d("2025-12-20"));
        // Registered after the year: not counted.
        idx.registered("2", d("2026-01-03"));
        use crate::model::EventType::View;
        idx.event("1", d("2025-12-10"), View, "x");
        idx.event("3", d("2025-11-30"), View, "x"); // not in December
        idx.event("4", d("2025-12-31"), View, "x");
        idx.event("2", d("2026-01-04"), View, "x"); // after the year
        for m in 1..=12 {
            idx.set_meeting(&held("C1", format!("2025-{m:02}-15"), 3));
        }
        for m in 1..=6 {
            idx.set_meeting(&held("C2", format!("2025-{m:02}-05"), 2));
        }
        // Outside 2025: not counted.
        idx.set_meeting(&held("C2", "2024-12-05".into(), 2));
        idx.set_meeting(&held("C2", "2026-01-05".into(), 2));
        idx
    }

    /// Each month of a year view counts what the usage report counts for that month.
    #[test]
    fn year_months_are_the_usage_of_each_month() {
        let idx = small();
        let fields = |a: &Acc| {
            (
                (
                    a.members,
                    a.registered,
                    a.not_registered,
                    a.smart,
                    a.smart_reg,
                ),
                (a.active, a.active_registered, a.views),
                (
                    a.cells,
                    a.cells_meeting,
                    a.meeting_present,
                    a.meeting_members,
                ),
            )
        };
        for code in ["TU", "CS", "C1", "C2"] {
            let u = idx.unit_by_code[code];
            let year = idx.year_accs(u, 2025, true);
            for (k, got) in year.iter().enumerate() {
                let first = d(&format!("2025-{:02}-01", k + 1));
                let last = match k {
                    11 => d("2025-12-31"),
                    _ => d(&format!("2025-{:02}-01", k + 2)) - 1,
                };
                let mut want = Acc::default();
                idx.accumulate(u, first, last, &mut want);
                assert_eq!(fields(got), fields(&want), "{code}, month {}", k + 1);
            }
        }
    }

    #[test]
    fn annual_sheet_held_to_a_hand_count() {
        let mut idx = small();
        idx.targets = Targets {
            registration_pct: 60.0,
            usage_pct: 100.0,
            meetings_pct: 75.0,
        };
        let r = idx.annual("CS", 2025, d("2026-03-01")).expect("annual");
        assert_eq!(r.as_of, "2025-12-31");
        assert_eq!((r.members, r.registered), (5, 3));
        let got: Vec<(&str, u64, u64, f64, bool)> = r
            .criteria
            .iter()
            .map(|c| (c.code, c.part, c.whole, c.pct, c.met))
            .collect();
        assert_eq!(
            got,
            [
                // a and d of a, b, d (c has no phone, e is exempt).
                ("registration", 2, 3, 66.7, true),
                // a and d of the registered a, c, d used it in December.
                ("usage", 2, 3, 66.7, false),
                // C1 all twelve months, C2 January to June: 18 of 24.
                ("meetings", 18, 24, 75.0, true),
            ]
        );
        assert!(!r.met, "usage is short");
        assert!(r.criteria[1].name.contains("tháng 12/2025"));
        let cells: Vec<(&str, u32, u32, bool)> = r
            .cells
            .iter()
            .map(|c| (c.unit_code.as_str(), c.held, c.due, c.met))
            .collect();
        assert_eq!(cells, [("C1", 12, 12, true), ("C2", 6, 12, false)]);
        assert_eq!(r.cells[1].months[5], Some(true));
        assert_eq!(r.cells[1].months[6], Some(false));

        // While the year runs: months after today are not due.
        let mid = idx.annual("CS", 2025, d("2025-06-20")).expect("annual");
        assert_eq!(mid.as_of, "2025-06-20");
        assert_eq!(
            mid.cells
                .iter()
                .map(|c| (c.held, c.due))
                .collect::<Vec<_>>(),
            [(6, 6), (6, 6)]
        );
        assert_eq!(mid.cells[0].months[6], None);
        // Registered by 20 June: a and c; only a has a phone.
        assert_eq!((mid.criteria[0].part, mid.criteria[0].whole), (1, 3));

        // The CSV: unit and period first, then the criteria and the cells.
        let csv = String::from_utf8(annual_csv(&r)[3..].to_vec()).expect("utf-8");
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "Đơn vị,Đảng bộ xã Một (CS)");
        assert_eq!(lines[1], "Kỳ báo cáo,Năm 2025");
        assert!(lines.contains(&"1,\"Đảng viên có điện thoại thông minh, đang sinh hoạt, đã đăng ký sử dụng sổ tay\",2,3,66.7,60.0,Đạt"), "{csv}");
        assert!(
            lines.contains(&",Kết luận (đạt cả các tiêu chí),,,,,Chưa đạt"),
            "{csv}"
        );
        assert!(
            lines.contains(&"2,Chi bộ thôn Hai,x,x,x,x,x,x,-,-,-,-,-,-,6,12,50.0,75.0,Chưa đạt"),
            "{csv}"
        );
        let mid_csv = String::from_utf8(annual_csv(&mid)[3..].to_vec()).expect("utf-8");
        assert!(
            mid_csv.contains("Năm 2025 (số liệu đến ngày 20/06/2025)"),
            "{mid_csv}"
        );

        // Only grassroots organisations have one; a year not begun has none.
        assert!(idx
            .annual("TU", 2025, d("2026-03-01"))
            .is_err_and(|e| e.contains("tổ chức cơ sở đảng")));
        assert!(idx.annual("C1", 2025, d("2026-03-01")).is_err());
        assert!(idx.annual("CS", 2027, d("2026-03-01")).is_err());
        // Default targets: 100%, so nothing short of everyone is "Đạt".
        idx.targets = Targets::default();
        let r = idx.annual("CS", 2025, d("2026-03-01")).expect("annual");
        assert!(r.criteria.iter().all(|c| !c.met));
    }

    #[test]
    fn trend_in_one_pass_counts_as_the_report_does() {
        let mut idx = small();
        use crate::model::EventType::View;
        for (card, day) in [
            ("1", "2025-11-03"),
            ("1", "2025-11-04"),
            ("4", "2025-11-20"),
            ("3", "2025-10-01"),
        ] {
            idx.event(card, d(day), View, "x");
        }
        let to = d("2025-12-31");
        let weeks = idx.trend("TU", to, 14).expect("trend");
        for (w, x) in weeks.iter().enumerate() {
            let end = to - (13 - w as u16) * 7;
            let row = idx.row(0, end - 6, end);
            assert_eq!(x["active"], row.active, "week {w}");
            assert_eq!(x["views"], row.views, "week {w}");
            assert_eq!(x["to"], crate::model::format_date(date_of(end)));
        }
        assert_eq!(
            weeks
                .iter()
                .map(|w| w["active"].as_u64().unwrap_or(0))
                .sum::<u64>(),
            6
        );
    }

    #[test]
    fn one_pass_year_and_usage_count_as_a_pass_per_month_does() {
        let idx = small();
        for unit in ["TU", "CS", "C1"] {
            let y = idx.year(unit, 2025).expect("year");
            let rows = y["rows"].as_array().expect("rows");
            for r in rows {
                let code = r["unit_code"].as_str().expect("code");
                let &c = idx.unit_by_code.get(code).expect("unit");
                for (k, m) in r["months"].as_array().expect("months").iter().enumerate() {
                    let month = time::Month::try_from(k as u8 + 1).expect("month");
                    let first = time::Date::from_calendar_date(2025, month, 1).expect("date");
                    let last = first.replace_day(month.length(2025)).expect("date");
                    let row = idx.row(c, day_number(first), day_number(last));
                    assert_eq!(m["active"], row.active, "{code} {k}");
                    assert_eq!(m["cells"], row.cells, "{code} {k}");
                    assert_eq!(m["cells_meeting"], row.cells_meeting, "{code} {k}");
                    assert_eq!(
                        m["registration_target_pct"], row.registration_target_pct,
                        "{code} {k}"
                    );
                    assert_eq!(
                        m["meeting_attendance_pct"], row.meeting_attendance_pct,
                        "{code} {k}"
                    );
                }
            }
            assert_eq!(
                rows.last().map(|r| r["total"].clone()),
                Some(serde_json::json!(true))
            );
            for (from, to) in [
                ("2025-01-01", "2025-12-31"),
                ("2025-12-01", "2025-12-31"),
                ("2020-01-01", "2026-06-30"),
            ] {
                let u = idx.usage(unit, d(from), d(to)).expect("usage");
                let &c = idx.unit_by_code.get(unit).expect("unit");
                let whole = idx.row(c, d(from), d(to));
                assert_eq!(u.total, whole, "{unit} {from}..{to}");
            }
        }
        assert_eq!(
            idx.year("CS", 2025).expect("year")["rows"]
                .as_array()
                .map(Vec::len),
            Some(3)
        );
        assert_eq!(
            idx.year("C1", 2025).expect("year")["rows"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );
    }
}
