//! Reading the roster CSVs (`units.csv`, `members.csv` of DESIGN.md) and checking their
//! quality before anything is stored: every problem is reported with its file and line, and a
//! roster with errors is not imported at all.
//!
//! Errors: malformed rows, unknown kinds/statuses/roles, duplicate codes or card numbers,
//! invalid or impossible dates, unknown or cyclic parent units, several roots, members outside
//! cells or in unknown units. Warnings (the value is cleaned and imported): names not in NFC or
//! with stray spaces, two members whose names differ only in such ways, units without members.

use crate::model::{
    clean_name, parse_date, spelling_key, CardNumber, MemberStatus, Role, UnitCode, UnitKind,
};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub code: UnitCode,
    pub name: String,
    pub parent: Option<UnitCode>,
    pub kind: UnitKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub card: CardNumber,
    pub full_name: String,
    pub birth_date: time::Date,
    pub unit: UnitCode,
    pub status: MemberStatus,
    pub role: Role,
    pub smartphone: bool,
}

/// A checked roster, ready to import: units ordered parents first.
#[derive(Debug, Clone, Default)]
pub struct Roster {
    pub units: Vec<Unit>,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
}

/// One data-quality finding, at a line of a file (line 0: the file as a whole).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub level: Level,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lvl = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        if self.line == 0 {
            write!(f, "{}: {lvl}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {lvl}: {}", self.file, self.line, self.message)
        }
    }
}

/// The data-quality report of a roster.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub problems: Vec<Problem>,
    pub units: usize,
    pub members: usize,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.problems
            .iter()
            .filter(|p| p.level == Level::Error)
            .count()
    }
    pub fn warnings(&self) -> usize {
        self.problems.len() - self.errors()
    }
    fn push(&mut self, file: &str, line: usize, level: Level, message: String) {
        self.problems.push(Problem {
            file: file.to_string(),
            line,
            level,
            message,
        });
    }
}

/// Reads and checks both files. The roster is `Some` only when there is no error.
pub fn read(units_path: &Path, members_path: &Path) -> (Option<Roster>, Report) {
    let uname = units_path.display().to_string();
    let mname = members_path.display().to_string();
    let mut report = Report::default();
    let units_text = read_text(units_path, &uname, &mut report);
    let members_text = read_text(members_path, &mname, &mut report);
    match (units_text, members_text) {
        (Some(u), Some(m)) => check(&u, &uname, &m, &mname, report),
        _ => (None, report),
    }
}

fn read_text(path: &Path, name: &str, report: &mut Report) -> Option<String> {
    match std::fs::read(path) {
        Ok(b) => match String::from_utf8(b) {
            Ok(s) => Some(s.trim_start_matches('\u{feff}').to_string()),
            Err(e) => {
                report.push(
                    name,
                    0,
                    Level::Error,
                    format!(
                        "not UTF-8 text (byte {}); save the file as CSV UTF-8",
                        e.utf8_error().valid_up_to()
                    ),
                );
                None
            }
        },
        Err(e) => {
            report.push(name, 0, Level::Error, format!("cannot read: {e}"));
            None
        }
    }
}

/// Rows of a CSV file with their line numbers, after checking the header.
fn rows(
    text: &str,
    file: &str,
    want: &[&str],
    optional: &[&str],
    report: &mut Report,
) -> Vec<(usize, HashMap<String, String>)> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_lowercase()).collect(),
        Err(e) => {
            report.push(
                file,
                1,
                Level::Error,
                format!("cannot read the header: {e}"),
            );
            return Vec::new();
        }
    };
    let before = report.errors();
    for w in want {
        if !header.iter().any(|h| h == w) {
            report.push(
                file,
                1,
                Level::Error,
                format!("missing column \"{w}\"; expected {}", want.join(",")),
            );
        }
    }
    for h in &header {
        if !want.contains(&h.as_str()) && !optional.contains(&h.as_str()) {
            report.push(file, 1, Level::Error, format!("unknown column \"{h}\""));
        }
    }
    if report.errors() > before {
        return Vec::new();
    }
    let mut out = Vec::new();
    for rec in rdr.records() {
        match rec {
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line() as usize);
                if r.iter().all(|f| f.is_empty()) {
                    continue;
                }
                // Short rows too: every column of the header is looked up in each row.
                if r.len() != header.len() {
                    report.push(
                        file,
                        line,
                        Level::Error,
                        format!("{} fields, but the header has {}", r.len(), header.len()),
                    );
                    continue;
                }
                let map = header
                    .iter()
                    .cloned()
                    .zip(r.iter().map(str::to_string))
                    .collect();
                out.push((line, map));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                report.push(file, line, Level::Error, format!("malformed CSV: {e}"));
            }
        }
    }
    out
}

fn check(
    units_text: &str,
    uname: &str,
    members_text: &str,
    mname: &str,
    mut report: Report,
) -> (Option<Roster>, Report) {
    let mut units: Vec<(usize, Unit)> = Vec::new();
    let mut unit_line: HashMap<UnitCode, usize> = HashMap::new();
    for (line, r) in rows(
        units_text,
        uname,
        &["code", "name", "parent_code", "kind"],
        &[],
        &mut report,
    ) {
        let Some(code) = UnitCode::parse(&r["code"]) else {
            report.push(
                uname,
                line,
                Level::Error,
                format!(
                    "invalid unit code \"{}\" (letters, digits, . _ -)",
                    r["code"]
                ),
            );
            continue;
        };
        let name = clean_name(&r["name"]);
        if name.chars().any(char::is_control) {
            report.push(
                uname,
                line,
                Level::Error,
                format!("the name of unit {code} has a control character (an invisible character such as NUL)"),
            );
            continue;
        }
        if name.is_empty() {
            report.push(
                uname,
                line,
                Level::Error,
                format!("unit {code} has no name"),
            );
        } else if name != r["name"] {
            report.push(
                uname,
                line,
                Level::Warning,
                format!("name of unit {code} cleaned (Unicode form or spacing): \"{name}\""),
            );
        }
        let parent = match r["parent_code"].as_str() {
            "" => None,
            p => match UnitCode::parse(p) {
                Some(p) => Some(p),
                None => {
                    report.push(
                        uname,
                        line,
                        Level::Error,
                        format!("invalid parent code \"{p}\""),
                    );
                    continue;
                }
            },
        };
        let Some(kind) = UnitKind::parse(&r["kind"]) else {
            report.push(
                uname,
                line,
                Level::Error,
                format!(
                    "unknown kind \"{}\"; one of: {}",
                    r["kind"],
                    UnitKind::NAMES.join(", ")
                ),
            );
            continue;
        };
        if let Some(first) = unit_line.get(&code) {
            report.push(
                uname,
                line,
                Level::Error,
                format!("duplicate unit code {code} (first at line {first})"),
            );
            continue;
        }
        unit_line.insert(code.clone(), line);
        units.push((
            line,
            Unit {
                code,
                name,
                parent,
                kind,
            },
        ));
    }
    let by_code: HashMap<&UnitCode, &Unit> = units.iter().map(|(_, u)| (&u.code, u)).collect();
    let roots: Vec<&(usize, Unit)> = units.iter().filter(|(_, u)| u.parent.is_none()).collect();
    if roots.is_empty() && !units.is_empty() {
        report.push(
            uname,
            0,
            Level::Error,
            "no root unit: exactly one unit must have an empty parent_code".into(),
        );
    }
    for (line, u) in roots.iter().skip(1) {
        report.push(uname, *line, Level::Error, format!("unit {} has no parent, but {} is already the root; members of it would be outside every report", u.code, roots[0].1.code));
    }
    let mut cyclic = HashSet::new();
    for (line, u) in &units {
        if let Some(p) = &u.parent {
            if !by_code.contains_key(p) {
                report.push(
                    uname,
                    *line,
                    Level::Error,
                    format!("unit {} has an unknown parent {p}", u.code),
                );
                continue;
            }
            // Walk up; a walk longer than the number of units is a cycle.
            let mut cur = p;
            let mut steps = 0;
            while let Some(up) = by_code.get(cur).and_then(|x| x.parent.as_ref()) {
                steps += 1;
                if up == &u.code || steps > units.len() {
                    if cyclic.insert(u.code.clone()) {
                        report.push(
                            uname,
                            *line,
                            Level::Error,
                            format!("unit {} is its own ancestor (cycle through {p})", u.code),
                        );
                    }
                    break;
                }
                cur = up;
            }
            if let Some(parent) = by_code.get(p) {
                if parent.kind.is_cell() {
                    report.push(uname, *line, Level::Error, format!("unit {} is under {p}, which is a cell (chi bộ); cells have no sub-units", u.code));
                }
            }
        }
    }

    let mut members: Vec<Member> = Vec::new();
    let mut card_line: HashMap<CardNumber, usize> = HashMap::new();
    let mut name_forms: HashMap<(String, String), (String, usize)> = HashMap::new();
    let mut unit_has_members: HashSet<UnitCode> = HashSet::new();
    for (line, r) in rows(
        members_text,
        mname,
        &[
            "card_number",
            "full_name",
            "birth_date",
            "unit_code",
            "status",
            "role",
        ],
        &["smartphone"],
        &mut report,
    ) {
        let mut ok = true;
        let mut err = |msg: String| {
            report.push(mname, line, Level::Error, msg);
            ok = false;
        };
        let card = CardNumber::parse(&r["card_number"]);
        if card.is_none() {
            err(format!(
                "invalid card number \"{}\" (6 to 20 digits)",
                r["card_number"]
            ));
        }
        let name = clean_name(&r["full_name"]);
        if name.is_empty() {
            err("empty full_name".into());
        } else if name.chars().any(char::is_control) {
            err(
                "full_name has a control character (an invisible character such as NUL or a tab)"
                    .into(),
            );
        }
        let birth = parse_date(&r["birth_date"]);
        match birth {
            None => err(format!(
                "invalid birth_date \"{}\" (YYYY-MM-DD, a real date)",
                r["birth_date"]
            )),
            Some(d) if d.year() < 1900 || d.year() > 2015 => {
                err(format!("implausible birth_date {}", r["birth_date"]))
            }
            _ => {}
        }
        let unit = UnitCode::parse(&r["unit_code"]);
        match unit.as_ref().map(|u| by_code.get(u)) {
            None => err(format!("invalid unit_code \"{}\"", r["unit_code"])),
            Some(None) => err(format!(
                "unknown unit_code {} (not in the units file)",
                r["unit_code"]
            )),
            Some(Some(u)) if !u.kind.is_cell() => err(format!(
                "unit {} is a {}, not a cell (chi-bo or chi-bo-co-so); members belong to cells",
                u.code, u.kind
            )),
            _ => {}
        }
        let status = MemberStatus::parse(&r["status"]);
        if status.is_none() {
            err(format!(
                "unknown status \"{}\"; one of: {}",
                r["status"],
                MemberStatus::NAMES.join(", ")
            ));
        }
        let role = Role::parse(&r["role"]);
        if role.is_none() {
            err(format!(
                "unknown role \"{}\"; one of: {}",
                r["role"],
                Role::NAMES.join(", ")
            ));
        }
        let smartphone = match r.get("smartphone").map(|s| s.to_lowercase()).as_deref() {
            None | Some("") | Some("co") | Some("có") => Some(true),
            Some("khong") | Some("không") => Some(false),
            Some(other) => {
                err(format!("smartphone must be co or khong, found \"{other}\""));
                None
            }
        };
        if let Some(c) = &card {
            if let Some(first) = card_line.get(c) {
                err(format!("duplicate card number {c} (first at line {first})"));
            } else {
                card_line.insert(c.clone(), line);
            }
        }
        if !ok {
            continue;
        }
        let (Some(card), Some(birth), Some(unit), Some(status), Some(role), Some(smartphone)) =
            (card, birth, unit, status, role, smartphone)
        else {
            continue;
        };
        if name != r["full_name"] {
            report.push(
                mname,
                line,
                Level::Warning,
                format!("name of {card} cleaned (Unicode form or spacing): \"{name}\""),
            );
        }
        let key = (spelling_key(&name), unit.to_string());
        match name_forms.get(&key) {
            Some((other, l)) if *other != r["full_name"] && spelling_key(other) == key.0 => report.push(
                mname,
                line,
                Level::Warning,
                format!("\"{}\" and \"{other}\" (line {l}) in {unit} differ only in Unicode form, case or spacing; check they are two people", r["full_name"]),
            ),
            _ => {
                name_forms.insert(key, (r["full_name"].clone(), line));
            }
        }
        unit_has_members.insert(unit.clone());
        members.push(Member {
            card,
            full_name: name,
            birth_date: birth,
            unit,
            status,
            role,
            smartphone,
        });
    }
    for (line, u) in &units {
        if u.kind.is_cell() && !unit_has_members.contains(&u.code) {
            report.push(
                uname,
                *line,
                Level::Warning,
                format!("cell {} has no members", u.code),
            );
        }
    }
    report.units = units.len();
    report.members = members.len();
    report.problems.sort_by(|a, b| {
        a.file
            .cmp(&b.file)
            .then(a.line.cmp(&b.line))
            .then(a.level.cmp(&b.level))
    });
    if report.errors() > 0 {
        return (None, report);
    }
    // Parents first, so that a unit's path can be built from its parent's.
    let mut ordered: Vec<Unit> = Vec::with_capacity(units.len());
    let mut placed: HashSet<UnitCode> = HashSet::new();
    let mut pending: Vec<Unit> = units.into_iter().map(|(_, u)| u).collect();
    while !pending.is_empty() {
        let before = pending.len();
        pending.retain(|u| {
            if u.parent.as_ref().is_none_or(|p| placed.contains(p)) {
                placed.insert(u.code.clone());
                ordered.push(u.clone());
                false
            } else {
                true
            }
        });
        if pending.len() == before {
            break;
        }
    }
    (
        Some(Roster {
            units: ordered,
            members,
        }),
        report,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(units: &str, members: &str) -> (Option<Roster>, Vec<String>) {
        let dir = tempfile::tempdir().expect("tmp");
        let u = dir.path().join("units.csv");
        let m = dir.path().join("members.csv");
        std::fs::write(&u, units).expect("w");
        std::fs::write(&m, members).expect("w");
        let (r, rep) = read(&u, &m);
        let d = dir.path().display().to_string();
        (
            r,
            rep.problems
                .iter()
                .map(|p| p.to_string().replace(&d, ""))
                .collect(),
        )
    }

    const UNITS: &str = "code,name,parent_code,kind\nTU,Đảng bộ tỉnh Mẫu,,tinh-uy\nDB1,Đảng bộ Sở A,TU,dang-bo\nCB1,Chi bộ 1,DB1,chi-bo\nCB2,Chi bộ 2,DB1,chi-bo\n";

    #[test]
    fn a_clean_roster_imports() {
        let (r, p) = run(UNITS, "card_number,full_name,birth_date,unit_code,status,role,smartphone\n01000001,Nguyễn Văn An,1960-01-02,CB1,chinh-thuc,bi-thu,co\n01000002,Trần Thị Bình,1975-05-06,CB2,du-bi,dang-vien,khong\n");
        assert!(p.is_empty(), "{p:?}");
        let r = r.expect("roster");
        assert_eq!(r.units.len(), 4);
        assert_eq!(r.members.len(), 2);
        assert!(!r.members[1].smartphone);
    }

    #[test]
    fn every_problem_with_its_line() {
        let units = "code,name,parent_code,kind\nTU,Tỉnh,,tinh-uy\nDB1,Đảng bộ,TU,dang-bo\nDB1,Lặp,TU,dang-bo\nX,Mồ côi,,dang-bo\nCB1,Chi bộ,DB1,chi-bo\nCB9,Chi bộ,ZZ,chi-bo\nC1,Vòng 1,C2,dang-bo\nC2,Vòng 2,C1,dang-bo\nCB3,Chi bộ  3,DB1,chi-bo\nK,Sai,DB1,to-dan-pho\n";
        let members = "card_number,full_name,birth_date,unit_code,status,role\n01000001,Nguyễn Văn An,1960-01-02,CB1,chinh-thuc,bi-thu\n01000001,Lê Văn Cường,1961-02-30,CB1,chinh-thuc,dang-vien\n0100x,Phạm Dũng,1962-01-01,DB1,old,boss\n01000004,nguye\u{302}\u{303}n  văn an,1960-01-02,CB1,chinh-thuc,dang-vien\n01000005,Hồ Văn E,1970-01-01,NOPE,chinh-thuc,dang-vien\n";
        let (r, p) = run(units, members);
        assert!(r.is_none());
        assert_eq!(
            p,
            [
                "/members.csv:3: error: invalid birth_date \"1961-02-30\" (YYYY-MM-DD, a real date)",
                "/members.csv:3: error: duplicate card number 01000001 (first at line 2)",
                "/members.csv:4: error: invalid card number \"0100x\" (6 to 20 digits)",
                "/members.csv:4: error: unit DB1 is a dang-bo, not a cell (chi-bo or chi-bo-co-so); members belong to cells",
                "/members.csv:4: error: unknown status \"old\"; one of: chinh-thuc, du-bi, mien-sinh-hoat",
                "/members.csv:4: error: unknown role \"boss\"; one of: dang-vien, bi-thu, pho-bi-thu, cap-uy-vien",
                "/members.csv:5: warning: name of 01000004 cleaned (Unicode form or spacing): \"nguyễn văn an\"",
                "/members.csv:5: warning: \"nguye\u{302}\u{303}n  văn an\" and \"Nguyễn Văn An\" (line 2) in CB1 differ only in Unicode form, case or spacing; check they are two people",
                "/members.csv:6: error: unknown unit_code NOPE (not in the units file)",
                "/units.csv:4: error: duplicate unit code DB1 (first at line 3)",
                "/units.csv:5: error: unit X has no parent, but TU is already the root; members of it would be outside every report",
                "/units.csv:7: error: unit CB9 has an unknown parent ZZ",
                "/units.csv:7: warning: cell CB9 has no members",
                "/units.csv:8: error: unit C1 is its own ancestor (cycle through C2)",
                "/units.csv:9: error: unit C2 is its own ancestor (cycle through C1)",
                "/units.csv:10: warning: name of unit CB3 cleaned (Unicode form or spacing): \"Chi bộ 3\"",
                "/units.csv:10: warning: cell CB3 has no members",
                "/units.csv:11: error: unknown kind \"to-dan-pho\"; one of: tinh-uy, dang-bo, dang-bo-co-so, chi-bo-co-so, chi-bo",
            ]
        );
    }

    #[test]
    fn control_characters_in_names_are_errors_on_their_line() {
        let (r, p) = run(UNITS, "card_number,full_name,birth_date,unit_code,status,role\n01000001,Nguyễn\u{0}Văn An,1960-01-02,CB1,chinh-thuc,bi-thu\n");
        assert!(r.is_none());
        assert!(
            p.iter()
                .any(|x| x.contains(":2:") && x.contains("control character")),
            "{p:?}"
        );
    }

    #[test]
    fn header_problems() {
        let (r, p) = run(
            "code,name,kind\nTU,Tỉnh,tinh-uy\n",
            "card_number,full_name,birth_date,unit_code,status,role,extra\n",
        );
        assert!(r.is_none());
        assert_eq!(p, ["/members.csv:1: error: unknown column \"extra\"", "/units.csv:1: error: missing column \"parent_code\"; expected code,name,parent_code,kind"]);
    }
}
