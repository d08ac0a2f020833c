//! Data quality of a roster ("rà soát, chuẩn hóa dữ liệu"): what a unit should fix, on the
//! roster as stored (the dashboard's view, per unit of an admin's subtree, with an export each
//! unit fills in and uploads back) and on a file being imported (warnings at their cells).
//!
//! Rules: a member without an answer on the smartphone question; a name not in standard form
//! (each word capitalised, NFC, single spaces, letters only); two people with the same name
//! and birth date in different cells; members in a unit that is not a cell; cells without a
//! secretary (bí thư); cells without members.

use super::{Level, Member, Parsed, Report, Unit};
use crate::model::{name_key, CardNumber, Role, UnitCode};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    SmartphoneMissing,
    NameForm,
    SameNameBirth,
    NotInCell,
    NoSecretary,
    NoMembers,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::SmartphoneMissing,
        Kind::NameForm,
        Kind::SameNameBirth,
        Kind::NotInCell,
        Kind::NoSecretary,
        Kind::NoMembers,
    ];
    /// A column heading for it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::SmartphoneMissing => "Chưa ghi điện thoại thông minh",
            Kind::NameForm => "Họ tên chưa chuẩn",
            Kind::SameNameBirth => "Trùng họ tên và ngày sinh",
            Kind::NotInCell => "Không ở chi bộ",
            Kind::NoSecretary => "Chi bộ chưa có bí thư",
            Kind::NoMembers => "Chi bộ chưa có đảng viên",
        }
    }
    /// Whether it is about a member (else about a cell).
    pub fn of_member(self) -> bool {
        !matches!(self, Kind::NoSecretary | Kind::NoMembers)
    }
}

/// One thing to fix: about a member (`card`) or a cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: Kind,
    pub unit: UnitCode,
    pub card: Option<CardNumber>,
    pub message: String,
}

/// How a name should be written, if it is not: `Fix` with the standard form, or `Odd` when
/// it has characters a name does not (digits, symbols).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameForm {
    Ok,
    Fix(String),
    Odd,
}

/// Checks a stored (already NFC, single-spaced) name: every word starts with a capital and
/// goes on in small letters; after `'` or `-` a capital may follow (ethnic minority names
/// such as "H'Hen Niê", "Y-Moan").
pub fn name_form(name: &str) -> NameForm {
    let cleaned = crate::model::clean_name(name);
    if cleaned
        .chars()
        .any(|c| !(c.is_alphabetic() || c == ' ' || c == '\'' || c == '-' || c == '\u{2019}'))
    {
        return NameForm::Odd;
    }
    let mut fixed = String::with_capacity(cleaned.len());
    let mut ok = cleaned == name;
    for (i, word) in cleaned.split(' ').enumerate() {
        if i > 0 {
            fixed.push(' ');
        }
        let mut start = true;
        let mut after_mark = false;
        for c in word.chars() {
            if !c.is_alphabetic() {
                fixed.push(c);
                after_mark = true;
                continue;
            }
            if start {
                if !c.is_uppercase() {
                    ok = false;
                }
                fixed.extend(c.to_uppercase());
            } else if after_mark && c.is_uppercase() {
                fixed.push(c);
            } else {
                if c.is_uppercase() {
                    ok = false;
                }
                fixed.extend(c.to_lowercase());
            }
            start = false;
            after_mark = false;
        }
    }
    if ok {
        NameForm::Ok
    } else {
        NameForm::Fix(fixed)
    }
}

/// The findings on members and cells of a roster. `units` must hold every unit members may
/// name; `others`: members elsewhere (outside an upload's subtree), checked for the same
/// name and birth date only, with the name of their unit.
pub fn findings(units: &[Unit], members: &[Member], others: &[(&Member, String)]) -> Vec<Finding> {
    let by_code: HashMap<&UnitCode, &Unit> = units.iter().map(|u| (&u.code, u)).collect();
    let mut out = Vec::new();
    for m in members {
        member_findings(m, &by_code, &mut out);
    }
    same_name_birth(members, others, &by_code, &mut out);
    cell_findings(units, members, &mut out);
    out
}

/// The findings on member `m` alone: smartphone answer, form of the name, a unit that is a
/// cell (`by_code`: the units by code).
fn member_findings(m: &Member, by_code: &HashMap<&UnitCode, &Unit>, out: &mut Vec<Finding>) {
    let mut push = |kind, message| {
        out.push(Finding {
            kind,
            unit: m.unit.clone(),
            card: Some(m.card.clone()),
            message,
        })
    };
    if m.smartphone.is_none() {
        push(
            Kind::SmartphoneMissing,
            "chưa ghi có điện thoại thông minh hay không (đang được tính là có)".into(),
        );
    }
    match name_form(&m.full_name) {
        NameForm::Ok => {}
        NameForm::Fix(f) => push(
            Kind::NameForm,
            format!(
                "họ và tên \"{}\" chưa viết theo dạng chuẩn; nên là \"{f}\"",
                m.full_name
            ),
        ),
        NameForm::Odd => push(
            Kind::NameForm,
            format!("họ và tên \"{}\" có ký tự không phải chữ cái", m.full_name),
        ),
    }
    match by_code.get(&m.unit) {
        Some(u) if u.kind.is_cell() => {}
        Some(u) => push(
            Kind::NotInCell,
            format!(
                "đang ở {} ({}), là {}, không phải chi bộ",
                u.name,
                u.code,
                u.kind.label().to_lowercase()
            ),
        ),
        None => push(
            Kind::NotInCell,
            format!("đang ở đơn vị {} không còn trong danh sách đơn vị", m.unit),
        ),
    }
}

/// The findings on `members` who share name and birth date with someone in another unit
/// (among `members` and `others`), in order of the group's first card.
fn same_name_birth(
    members: &[Member],
    others: &[(&Member, String)],
    by_code: &HashMap<&UnitCode, &Unit>,
    out: &mut Vec<Finding>,
) {
    let unit_name = |c: &UnitCode| {
        by_code
            .get(c)
            .map_or_else(|| c.to_string(), |u| u.name.clone())
    };
    let mut same: HashMap<(String, time::Date), Vec<(&Member, String)>> = HashMap::new();
    for m in members {
        same.entry((name_key(&m.full_name), m.birth_date))
            .or_default()
            .push((m, unit_name(&m.unit)));
    }
    for (m, name) in others {
        if let Some(list) = same.get_mut(&(name_key(&m.full_name), m.birth_date)) {
            list.push((m, name.clone()));
        }
    }
    let mut groups: Vec<&Vec<(&Member, String)>> = same
        .values()
        .filter(|g| g.len() > 1 && g.iter().any(|(m, _)| m.unit != g[0].0.unit))
        .collect();
    groups.sort_by(|a, b| a[0].0.card.cmp(&b[0].0.card));
    let mine: std::collections::HashSet<&CardNumber> = members.iter().map(|m| &m.card).collect();
    for g in groups {
        for (m, _) in g.iter().filter(|(m, _)| mine.contains(&m.card)) {
            let with: Vec<String> = g
                .iter()
                .filter(|(o, _)| o.unit != m.unit)
                .take(3)
                .map(|(o, unit)| format!("{} ở {unit}", o.card))
                .collect();
            out.push(Finding {
                kind: Kind::SameNameBirth,
                unit: m.unit.clone(),
                card: Some(m.card.clone()),
                message: format!(
                    "trùng họ tên và ngày sinh với số thẻ {}: kiểm tra xem có phải một người được ghi ở hai nơi",
                    with.join(", ")
                ),
            });
        }
    }
}

/// The findings on cells of `units`: without members, else without a secretary.
fn cell_findings(units: &[Unit], members: &[Member], out: &mut Vec<Finding>) {
    let mut count: HashMap<&UnitCode, (usize, usize)> = HashMap::new();
    for m in members {
        let e = count.entry(&m.unit).or_default();
        e.0 += 1;
        if m.role == Role::BiThu {
            e.1 += 1;
        }
    }
    for u in units.iter().filter(|u| u.kind.is_cell()) {
        let (n, secretaries) = count.get(&u.code).copied().unwrap_or((0, 0));
        let (kind, message) = if n == 0 {
            (Kind::NoMembers, format!("{} chưa có đảng viên", u.name))
        } else if secretaries == 0 {
            (Kind::NoSecretary, format!("{} chưa có bí thư", u.name))
        } else {
            continue;
        };
        out.push(Finding {
            kind,
            unit: u.code.clone(),
            card: None,
            message,
        });
    }
}

/// The data-quality warnings of a file being imported, at their cells. For a subtree
/// (`others`), people elsewhere are checked for the same name and birth date too.
pub fn warn_upload(
    parsed: &Parsed,
    units: &[Unit],
    members: &[Member],
    others: Option<(&UnitCode, &super::update::Current)>,
    report: &mut Report,
) {
    let mp = &parsed.members;
    if !parsed.smartphone_column && !members.is_empty() {
        report.push_file(
            &mp.src.file,
            Level::Warning,
            format!(
                "không có cột \"Điện thoại thông minh\" (có/không): {} đảng viên được tính là có điện thoại thông minh; hãy thêm cột này để báo cáo đúng",
                members.len()
            ),
        );
    }
    let outside: Vec<(&Member, String)> = match others {
        None => Vec::new(),
        Some((scope, current)) => {
            let inside = current.subtree_codes(scope);
            current
                .members
                .iter()
                .filter(|m| !inside.contains(&m.unit))
                .map(|m| (m, current.unit_path_names(&m.unit)))
                .collect()
        }
    };
    let line_of: HashMap<&CardNumber, usize> =
        mp.items.iter().map(|(l, m)| (&m.card, *l)).collect();
    let unit_line: HashMap<&UnitCode, usize> = parsed
        .units
        .as_ref()
        .map(|p| p.items.iter().map(|(l, u)| (&u.code, *l)).collect())
        .unwrap_or_default();
    for f in findings(units, members, &outside) {
        match (&f.card, f.kind) {
            // Members outside a cell are errors of the import already.
            (_, Kind::NotInCell) => {}
            // Reported by the import with the units file.
            (_, Kind::NoMembers) => {}
            (Some(_), Kind::SmartphoneMissing) if !parsed.smartphone_column => {}
            (Some(card), kind) => {
                let Some(&line) = line_of.get(card) else {
                    continue;
                };
                let key = if kind == Kind::SmartphoneMissing {
                    "smartphone"
                } else {
                    "full_name"
                };
                mp.push(report, line, key, Level::Warning, f.message);
            }
            (None, _) => match (unit_line.get(&f.unit), &parsed.units) {
                (Some(&line), Some(part)) => {
                    part.push(report, line, "code", Level::Warning, f.message)
                }
                _ => report.push_file(&mp.src.file, Level::Warning, f.message),
            },
        }
    }
}

/// Counts of findings over some cells.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub members: usize,
    pub cells: usize,
    /// Members with at least one finding.
    pub members_to_fix: usize,
    /// Findings by kind.
    pub findings: BTreeMap<Kind, usize>,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.members += o.members;
        self.cells += o.cells;
        self.members_to_fix += o.members_to_fix;
        for (k, v) in &o.findings {
            *self.findings.entry(*k).or_default() += v;
        }
    }
}

/// The findings of a stored roster, indexed for the dashboard's view.
pub struct Index {
    /// Findings per member.
    pub by_member: HashMap<CardNumber, Vec<Finding>>,
    /// Findings about a cell itself.
    pub by_cell: HashMap<UnitCode, Vec<Finding>>,
    /// Counts per unit (its own members and, for a cell, itself), not summed over subtrees.
    own: HashMap<UnitCode, Counts>,
}

impl Index {
    pub fn new(current: &super::update::Current) -> Index {
        let mut by_member: HashMap<CardNumber, Vec<Finding>> = HashMap::new();
        let mut by_cell: HashMap<UnitCode, Vec<Finding>> = HashMap::new();
        let mut own: HashMap<UnitCode, Counts> = HashMap::new();
        for f in findings(&current.units, &current.members, &[]) {
            *own.entry(f.unit.clone())
                .or_default()
                .findings
                .entry(f.kind)
                .or_default() += 1;
            match &f.card {
                Some(c) => by_member.entry(c.clone()).or_default().push(f),
                None => by_cell.entry(f.unit.clone()).or_default().push(f),
            }
        }
        for m in &current.members {
            let c = own.entry(m.unit.clone()).or_default();
            c.members += 1;
            if by_member.contains_key(&m.card) {
                c.members_to_fix += 1;
            }
        }
        for u in current.units.iter().filter(|u| u.kind.is_cell()) {
            own.entry(u.code.clone()).or_default().cells += 1;
        }
        Index {
            by_member,
            by_cell,
            own,
        }
    }

    /// The counts of `unit`'s subtree.
    pub fn counts(&self, current: &super::update::Current, unit: &UnitCode) -> Counts {
        let mut c = Counts::default();
        for u in current.subtree(unit) {
            if let Some(o) = self.own.get(&u.code) {
                c.add(o);
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_standard_form() {
        for (name, want) in [
            ("Nguyễn Văn An", NameForm::Ok),
            ("H'Hen Niê", NameForm::Ok),
            ("Y-Moan Êban", NameForm::Ok),
            ("Ksor H'Bơ", NameForm::Ok),
            ("NGUYỄN VĂN AN", NameForm::Fix("Nguyễn Văn An".into())),
            ("nguyễn văn an", NameForm::Fix("Nguyễn Văn An".into())),
            ("Nguyễn văn An", NameForm::Fix("Nguyễn Văn An".into())),
            ("Nguyễn  Văn An", NameForm::Fix("Nguyễn Văn An".into())),
            ("Trần ThỊ Bình", NameForm::Fix("Trần Thị Bình".into())),
            ("Lê Văn 2", NameForm::Odd),
            ("Lê Văn (An)", NameForm::Odd),
        ] {
            assert_eq!(name_form(name), want, "{name}");
        }
    }
}
