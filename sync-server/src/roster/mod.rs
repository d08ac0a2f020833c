//! The roster as committee staff keep it — `units.csv`/`members.csv` (DEPLOYMENT.md), or Excel
//! workbooks with Vietnamese headers — read and checked before anything is stored: every
//! problem is reported at its place (`members.csv:14`, `Đảng viên!C14`), and a roster with
//! errors is not imported at all.
//!
//! Reading goes in steps: `table` turns a file into rows and finds the header; [`parse`]
//! turns rows into units and members, checking each value; [`assemble`] checks the tree and
//! where members belong, for the whole roster or for one unit's subtree (against the roster
//! as stored, [`update::Current`]); `quality` adds the data-quality warnings; `update`
//! computes what an upload would change. `xlsx` writes the template and exports.

pub mod quality;
pub mod table;
pub mod update;
pub mod xlsx;

use crate::model::{clean_name, spelling_key, CardNumber, MemberStatus, Role, UnitCode, UnitKind};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use table::{Field, Place, Record, Table, Value, MEMBER_FIELDS, UNIT_FIELDS};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Unit {
    pub code: UnitCode,
    pub name: String,
    pub parent: Option<UnitCode>,
    pub kind: UnitKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Member {
    pub card: CardNumber,
    pub full_name: String,
    #[serde(with = "crate::model::iso_date")]
    pub birth_date: time::Date,
    pub unit: UnitCode,
    pub status: MemberStatus,
    pub role: Role,
    /// Whether the member has a smartphone; `None`: the file did not say (counted as yes,
    /// the default, and shown in the data-quality view as an answer to get).
    pub smartphone: Option<bool>,
}

impl Member {
    pub fn has_smartphone(&self) -> bool {
        self.smartphone.unwrap_or(true)
    }
}

/// A checked roster, ready to import: units ordered parents first.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
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

/// Where a table came from: a file, and its sheet for a workbook.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
pub struct Source {
    pub file: String,
    pub sheet: Option<String>,
}

impl Source {
    /// `Đảng viên!C14` for a sheet, `dòng 14` for a CSV file.
    pub fn place(&self, p: Place) -> String {
        match (&self.sheet, p.col) {
            _ if p.line == 0 => String::new(),
            (Some(s), Some(c)) => format!("{s}!{}{}", table::col_letters(c), p.line),
            (Some(s), None) => format!("{s}!{}:{}", p.line, p.line),
            (None, _) => format!("dòng {}", p.line),
        }
    }

    pub fn push(&self, report: &mut Report, p: Place, level: Level, message: String) {
        report.problems.push(Problem {
            file: self.file.clone(),
            sheet: self.sheet.clone(),
            line: p.line,
            col: p.col,
            column: p
                .col
                .filter(|_| self.sheet.is_some())
                .map(table::col_letters),
            place: self.place(p),
            level,
            message,
        });
    }
}

/// One data-quality finding: its file, and in it a CSV line or a sheet's cell (line 0: the
/// file as a whole).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub file: String,
    pub sheet: Option<String>,
    pub line: usize,
    #[serde(skip)]
    pub col: Option<u32>,
    /// The cell's column letters, for a sheet.
    pub column: Option<String>,
    /// The place as people read it: `Đảng viên!C14`, `dòng 14`, or empty for the whole file.
    pub place: String,
    pub level: Level,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lvl = match self.level {
            Level::Error => "lỗi",
            Level::Warning => "cảnh báo",
        };
        match (&self.sheet, self.line) {
            (_, 0) => write!(f, "{}: {lvl}: {}", self.file, self.message),
            (Some(_), _) => write!(f, "{}: {}: {lvl}: {}", self.file, self.place, self.message),
            (None, l) => write!(f, "{}:{l}: {lvl}: {}", self.file, self.message),
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
    /// A problem with a whole file.
    pub fn push_file(&mut self, file: &str, level: Level, message: String) {
        Source {
            file: file.to_string(),
            sheet: None,
        }
        .push(self, Place::default(), level, message);
    }
    /// Sorted by file, sheet, place; errors before warnings at one place.
    pub fn sort(&mut self) {
        // A CSV line's problems stay in the order they were found; a sheet's go by cell.
        let key = |p: &Problem| (p.sheet.is_some().then_some(p.col).flatten(), p.level);
        self.problems.sort_by(|a, b| {
            (&a.file, &a.sheet, a.line, key(a)).cmp(&(&b.file, &b.sheet, b.line, key(b)))
        });
    }
}

/// Items read from one table, with the table's place and the column of each field.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Part<T> {
    pub src: Source,
    /// Column of each field (`UNIT_FIELDS` or `MEMBER_FIELDS`), if the table has it.
    pub cols: Vec<Option<u32>>,
    /// Each item with its line.
    pub items: Vec<(usize, T)>,
}

impl<T> Part<T> {
    /// The place of field `f` (by key) of the item on `line`.
    pub fn at(&self, line: usize, key: &str) -> Place {
        let fields = if self.cols.len() == UNIT_FIELDS.len() {
            UNIT_FIELDS
        } else {
            MEMBER_FIELDS
        };
        let col = fields
            .iter()
            .position(|f| f.key == key)
            .and_then(|i| self.cols.get(i).copied().flatten());
        Place { line, col }
    }
    pub fn push(&self, report: &mut Report, line: usize, key: &str, level: Level, msg: String) {
        self.src.push(report, self.at(line, key), level, msg);
    }
}

/// The files read: units (absent when a subtree update leaves its units as they are) and
/// members, each value checked; the tree is not checked yet. Kept (serialized) between an
/// upload's preview and its application.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Parsed {
    pub units: Option<Part<Unit>>,
    pub members: Part<Member>,
    /// Whether the members' table has a smartphone column.
    pub smartphone_column: bool,
}

// ---- reading files ------------------------------------------------------------------------

fn read_bytes(path: &Path, report: &mut Report) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(b) => Some(b),
        Err(e) => {
            report.push_file(
                &path.display().to_string(),
                Level::Error,
                format!("không đọc được tệp: {}", io_error(&e)),
            );
            None
        }
    }
}

fn io_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "không có tệp này".into(),
        std::io::ErrorKind::PermissionDenied => "không có quyền đọc".into(),
        _ => e.to_string(),
    }
}

/// How a sheet may be found when none has the name asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Otherwise {
    /// The first sheet (a file given for one table).
    First,
    /// The only sheet, if there is one.
    Only,
    /// None (a workbook must have both sheets).
    Nothing,
}

/// Which sheet of a workbook holds a table: the one named `name`, else as `otherwise` says.
fn pick_sheet(
    book: &table::Workbook,
    name: &str,
    otherwise: Otherwise,
    report: &mut Report,
) -> Option<String> {
    if let Some(s) = book.find(name) {
        return Some(s);
    }
    let fallback = match otherwise {
        Otherwise::First => book.sheets.first(),
        Otherwise::Only if book.sheets.len() == 1 => book.sheets.first(),
        _ => None,
    };
    if let Some(s) = fallback {
        return Some(s.clone());
    }
    report.push_file(
        &book.file,
        Level::Error,
        format!(
            "không có trang \"{name}\"; các trang của tệp: {}",
            book.sheets
                .iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    None
}

/// The table of one file: CSV, or a sheet of a workbook (`sheet`, else the first).
fn file_table(path: &Path, sheet: &str, report: &mut Report) -> Option<Table> {
    let bytes = read_bytes(path, report)?;
    let name = path.display().to_string();
    if table::is_spreadsheet(&bytes) {
        let mut book = table::Workbook::open(bytes, &name, report)?;
        let s = pick_sheet(&book, sheet, Otherwise::First, report)?;
        book.table(&s, report)
    } else {
        let text = table::csv_text(bytes, &name, report)?;
        Some(table::csv_table(&text, &name, report))
    }
}

/// Reads and checks the units and members files (CSV or Excel: a workbook's sheet "Đơn vị"
/// or "Đảng viên", or its first sheet). The roster is `Some` only when there is no error.
pub fn read(units_path: &Path, members_path: &Path) -> (Option<Roster>, Report) {
    let mut report = Report::default();
    let units = file_table(units_path, "Đơn vị", &mut report);
    let members = file_table(members_path, "Đảng viên", &mut report);
    finish(units, members, report)
}

/// Reads and checks a workbook with the sheets "Đơn vị" and "Đảng viên".
pub fn read_workbook(path: &Path) -> (Option<Roster>, Report) {
    let mut report = Report::default();
    let Some(bytes) = read_bytes(path, &mut report) else {
        return (None, report);
    };
    let name = path.display().to_string();
    if !table::is_spreadsheet(&bytes) {
        report.push_file(
            &name,
            Level::Error,
            "--workbook cần một tệp Excel (.xlsx) có hai trang \"Đơn vị\" và \"Đảng viên\"".into(),
        );
        return (None, report);
    }
    let Some(mut book) = table::Workbook::open(bytes, &name, &mut report) else {
        return (None, report);
    };
    let mut both = [None, None];
    for (slot, sheet) in both.iter_mut().zip(["Đơn vị", "Đảng viên"]) {
        if let Some(s) = pick_sheet(&book, sheet, Otherwise::Nothing, &mut report) {
            *slot = book.table(&s, &mut report);
        }
    }
    let [units, members] = both;
    finish(units, members, report)
}

fn finish(
    units: Option<Table>,
    members: Option<Table>,
    mut report: Report,
) -> (Option<Roster>, Report) {
    let (Some(units), Some(members)) = (units, members) else {
        report.sort();
        return (None, report);
    };
    let parsed = parse(Some(&units), &members, &mut report);
    let roster = assemble(&parsed, &Scope::Whole, &mut report);
    (roster, report)
}

/// An upload from the dashboard: a workbook (sheet "Đảng viên", or its only sheet, and
/// optionally "Đơn vị") or a members CSV file. Returns the parsed files and their report.
pub fn parse_upload(bytes: Vec<u8>, file: &str) -> (Option<Parsed>, Report) {
    let mut report = Report::default();
    if table::is_spreadsheet(&bytes) {
        let Some(mut book) = table::Workbook::open(bytes, file, &mut report) else {
            return (None, report);
        };
        let units = book
            .find("Đơn vị")
            .and_then(|s| book.table(&s, &mut report));
        let members = match pick_sheet(&book, "Đảng viên", Otherwise::Only, &mut report) {
            Some(s) => book.table(&s, &mut report),
            None => None,
        };
        let Some(members) = members else {
            report.sort();
            return (None, report);
        };
        let parsed = parse(units.as_ref(), &members, &mut report);
        (Some(parsed), report)
    } else {
        let Some(text) = table::csv_text(bytes, file, &mut report) else {
            return (None, report);
        };
        let members = table::csv_table(&text, file, &mut report);
        let parsed = parse(None, &members, &mut report);
        (Some(parsed), report)
    }
}

// ---- checking values ----------------------------------------------------------------------

fn slug(s: &str) -> String {
    sotay_generator::text::slug(s)
}

fn parse_kind(s: &str) -> Option<UnitKind> {
    UnitKind::parse(&slug(s)).or(match slug(s).as_str() {
        "dang-bo-truc-thuoc" => Some(UnitKind::DangBo),
        "chi-bo-truc-thuoc" => Some(UnitKind::ChiBo),
        _ => None,
    })
}

fn parse_status(s: &str) -> Option<MemberStatus> {
    let s = slug(s);
    MemberStatus::parse(s.strip_prefix("dang-vien-").unwrap_or(&s))
}

fn parse_role(s: &str) -> Option<Role> {
    let s = slug(s);
    Role::parse(s.strip_suffix("-chi-bo").unwrap_or(&s)).or(match s.as_str() {
        "chi-uy-vien" | "dang-uy-vien" | "uy-vien" => Some(Role::CapUyVien),
        _ => None,
    })
}

/// `Some(None)`: no answer; `None`: not an answer.
fn parse_smartphone(v: Option<&Value>) -> Option<Option<bool>> {
    match v {
        None => Some(None),
        Some(Value::Bool(b)) => Some(Some(*b)),
        Some(Value::Number(n)) if *n == 1.0 => Some(Some(true)),
        Some(Value::Number(n)) if *n == 0.0 => Some(Some(false)),
        Some(v) => match slug(&v.text()).as_str() {
            "" => Some(None),
            "co" | "x" | "yes" | "true" => Some(Some(true)),
            "khong" | "no" | "false" => Some(Some(false)),
            _ => None,
        },
    }
}

fn kinds_list() -> String {
    UnitKind::ALL
        .iter()
        .map(|k| format!("{} ({k})", k.label()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Units and members from their tables, each value checked (field errors and name
/// warnings); duplicates within each table are errors.
pub fn parse(units: Option<&Table>, members: &Table, report: &mut Report) -> Parsed {
    let units = units.map(|t| parse_units(t, report));
    let (members, smartphone_column) = parse_members(members, report);
    Parsed {
        units,
        members,
        smartphone_column,
    }
}

fn cols(recs: &[Record], fields: &[Field]) -> Vec<Option<u32>> {
    match recs.first() {
        Some(r) => r.values.iter().map(|v| v.1).collect(),
        None => vec![None; fields.len()],
    }
}

fn parse_units(t: &Table, report: &mut Report) -> Part<Unit> {
    let recs = table::records(t, UNIT_FIELDS, report);
    let mut part = Part {
        src: t.src.clone(),
        cols: cols(&recs, UNIT_FIELDS),
        items: Vec::new(),
    };
    let mut first: HashMap<UnitCode, Place> = HashMap::new();
    for r in &recs {
        let Some(unit) = unit_row(t, r, report) else {
            continue;
        };
        if let Some(at) = first.get(&unit.code) {
            let msg = format!(
                "mã đơn vị {} bị trùng (đã có ở {})",
                unit.code,
                t.src.place(*at)
            );
            t.push(report, r.place(unit_col::CODE), Level::Error, msg);
            continue;
        }
        first.insert(unit.code.clone(), r.place(unit_col::CODE));
        part.items.push((r.line, unit));
    }
    part
}

/// The columns of a unit row, in `UNIT_FIELDS` order.
mod unit_col {
    pub const CODE: usize = 0;
    pub const NAME: usize = 1;
    pub const PARENT: usize = 2;
    pub const KIND: usize = 3;
}

/// A unit row's fields, checked: `None` after an error (each reported at its cell).
fn unit_row(t: &Table, r: &Record, report: &mut Report) -> Option<Unit> {
    use unit_col::*;
    let err =
        |report: &mut Report, f: usize, msg: String| t.push(report, r.place(f), Level::Error, msg);
    let raw_code = r.text(CODE);
    let Some(code) = UnitCode::parse(&raw_code) else {
        err(
            report,
            CODE,
            if raw_code.is_empty() {
                "thiếu mã đơn vị".into()
            } else {
                format!(
                    "mã đơn vị \"{raw_code}\" không hợp lệ (chỉ gồm chữ không dấu, số và . _ -)"
                )
            },
        );
        return None;
    };
    let raw_name = r.text(NAME);
    let name = clean_name(&raw_name);
    if name.chars().any(char::is_control) {
        err(
            report,
            NAME,
            format!("tên đơn vị {code} có ký tự điều khiển (một ký tự ẩn như NUL)"),
        );
        return None;
    }
    if name.is_empty() {
        err(report, NAME, format!("đơn vị {code} chưa có tên"));
    } else if name != raw_name {
        t.push(
            report,
            r.place(NAME),
            Level::Warning,
            format!(
                "tên đơn vị {code} đã được chuẩn hóa (dạng Unicode hoặc khoảng trắng): \"{name}\""
            ),
        );
    }
    let parent = match r.text(PARENT).as_str() {
        "" => None,
        p => match UnitCode::parse(p) {
            Some(p) => Some(p),
            None => {
                err(
                    report,
                    PARENT,
                    format!("mã đơn vị cấp trên \"{p}\" không hợp lệ"),
                );
                return None;
            }
        },
    };
    let Some(kind) = parse_kind(&r.text(KIND)) else {
        err(
            report,
            KIND,
            format!(
                "loại đơn vị \"{}\" không hợp lệ; dùng một trong: {}",
                r.text(KIND),
                kinds_list()
            ),
        );
        return None;
    };
    Some(Unit {
        code,
        name,
        parent,
        kind,
    })
}

/// The columns of a member row, in `MEMBER_FIELDS` order.
mod member_col {
    pub const CARD: usize = 0;
    pub const NAME: usize = 1;
    pub const BIRTH: usize = 2;
    pub const UNIT: usize = 3;
    pub const STATUS: usize = 4;
    pub const ROLE: usize = 5;
    pub const PHONE: usize = 6;
}

/// What the members table says besides each member, for the warnings that need all rows.
#[derive(Default)]
struct MemberTable {
    first: HashMap<CardNumber, Place>,
    name_forms: HashMap<(String, UnitCode), (String, Place)>,
    /// Card numbers typed into number cells, which lose their leading zeros.
    numeric_cards: Vec<(Place, usize)>,
    /// The longest card number, to say how many numeric ones are shorter.
    longest_card: usize,
}

fn parse_members(t: &Table, report: &mut Report) -> (Part<Member>, bool) {
    use member_col::*;
    let recs = table::records(t, MEMBER_FIELDS, report);
    let smartphone_column = recs.first().is_some_and(|r| r.has(PHONE));
    let mut part = Part {
        src: t.src.clone(),
        cols: cols(&recs, MEMBER_FIELDS),
        items: Vec::new(),
    };
    let mut seen = MemberTable::default();
    for r in &recs {
        let row = MemberRow::check(t, r, report);
        if let Some(c) = &row.card {
            seen.longest_card = seen.longest_card.max(c.as_str().len());
            if matches!(r.value(CARD), Some(Value::Number(_))) {
                seen.numeric_cards.push((r.place(CARD), c.as_str().len()));
            }
        }
        let mut ok = row.ok;
        if let Some(c) = &row.card {
            if let Some(at) = seen.first.get(c) {
                let msg = format!("số thẻ {c} bị trùng (đã có ở {})", t.src.place(*at));
                t.push(report, r.place(CARD), Level::Error, msg);
                ok = false;
            } else {
                seen.first.insert(c.clone(), r.place(CARD));
            }
        }
        let raw_name = row.raw_name.clone();
        if let Some(m) = row.member().filter(|_| ok) {
            name_warnings(t, r, &m, &raw_name, &mut seen, report);
            part.items.push((r.line, m));
        }
    }
    numeric_cards_warning(t, &seen, report);
    (part, smartphone_column)
}

/// A member row's fields, each checked: an error for each that is missing or bad.
struct MemberRow {
    card: Option<CardNumber>,
    raw_name: String,
    name: String,
    birth: Option<time::Date>,
    unit: Option<UnitCode>,
    status: Option<MemberStatus>,
    role: Option<Role>,
    smartphone: Option<Option<bool>>,
    /// No error in the row.
    ok: bool,
}

impl MemberRow {
    fn check(t: &Table, r: &Record, report: &mut Report) -> MemberRow {
        use member_col::*;
        let mut ok = true;
        let mut err = |report: &mut Report, f: usize, msg: String| {
            t.push(report, r.place(f), Level::Error, msg);
            ok = false;
        };
        let raw_card = r.text(CARD);
        let card = CardNumber::parse(&raw_card);
        if card.is_none() {
            let msg = if raw_card.is_empty() {
                "thiếu số thẻ đảng viên".into()
            } else {
                format!("số thẻ đảng viên \"{raw_card}\" không hợp lệ (6 đến 20 chữ số)")
            };
            err(report, CARD, msg);
        }
        let raw_name = r.text(NAME);
        let name = clean_name(&raw_name);
        if name.is_empty() {
            err(report, NAME, "thiếu họ và tên".into());
        } else if name.chars().any(char::is_control) {
            err(
                report,
                NAME,
                "họ và tên có ký tự điều khiển (một ký tự ẩn như NUL hoặc tab)".into(),
            );
        }
        let birth = birth_date(r);
        if let Err(msg) = &birth {
            err(report, BIRTH, msg.clone());
        }
        let raw_unit = r.text(UNIT);
        let unit = UnitCode::parse(&raw_unit);
        if unit.is_none() {
            let msg = if raw_unit.is_empty() {
                "thiếu mã chi bộ".into()
            } else {
                format!("mã chi bộ \"{raw_unit}\" không hợp lệ")
            };
            err(report, UNIT, msg);
        }
        let status = parse_status(&r.text(STATUS));
        if status.is_none() {
            let labels: Vec<&str> = MemberStatus::ALL.iter().map(|s| s.label()).collect();
            let msg = format!(
                "tình trạng \"{}\" không hợp lệ; dùng một trong: {}",
                r.text(STATUS),
                labels.join(", ")
            );
            err(report, STATUS, msg);
        }
        let role = parse_role(&r.text(ROLE));
        if role.is_none() {
            let labels: Vec<&str> = Role::ALL.iter().map(|s| s.label()).collect();
            let msg = format!(
                "chức vụ \"{}\" không hợp lệ; dùng một trong: {}",
                r.text(ROLE),
                labels.join(", ")
            );
            err(report, ROLE, msg);
        }
        let smartphone = parse_smartphone(r.value(PHONE));
        if smartphone.is_none() {
            let msg = format!(
                "điện thoại thông minh ghi \"có\" hoặc \"không\", không phải \"{}\"",
                r.text(PHONE)
            );
            err(report, PHONE, msg);
        }
        MemberRow {
            card,
            raw_name,
            name,
            birth: birth.ok(),
            unit,
            status,
            role,
            smartphone,
            ok,
        }
    }

    /// The member, when every field is good.
    fn member(self) -> Option<Member> {
        Some(Member {
            card: self.card?,
            full_name: self.name,
            birth_date: self.birth?,
            unit: self.unit?,
            status: self.status?,
            role: self.role?,
            smartphone: self.smartphone?,
        })
    }
}

/// A member's birth date: a date cell, an Excel serial number or `dd/mm/yyyy` text, between
/// 1900 and 2015; or the error's message.
fn birth_date(r: &Record) -> Result<time::Date, String> {
    use member_col::BIRTH;
    let birth = match r.value(BIRTH) {
        None => return Err("thiếu ngày sinh".into()),
        Some(Value::Date(d)) => Some(*d),
        Some(Value::Number(n)) => table::excel_serial(*n),
        Some(v) => table::parse_date_vn(&v.text()),
    };
    match birth {
        None => Err(format!(
            "ngày sinh \"{}\" không hợp lệ (ngày/tháng/năm như 02/01/1960, một ngày có thật)",
            r.text(BIRTH)
        )),
        Some(d) if d.year() < 1900 || d.year() > 2015 => Err(format!(
            "ngày sinh {} không hợp lý",
            crate::model::format_date(d)
        )),
        Some(d) => Ok(d),
    }
}

/// The warnings about a member's name: normalised, or written like another name in the same
/// cell but for Unicode form, case or spaces (two people, or one typed twice?).
fn name_warnings(
    t: &Table,
    r: &Record,
    m: &Member,
    raw_name: &str,
    seen: &mut MemberTable,
    report: &mut Report,
) {
    use member_col::NAME;
    let (card, name, unit) = (&m.card, &m.full_name, &m.unit);
    if name != raw_name {
        t.push(
            report,
            r.place(NAME),
            Level::Warning,
            format!("họ và tên của {card} đã được chuẩn hóa (dạng Unicode hoặc khoảng trắng): \"{name}\""),
        );
    }
    let key = (spelling_key(name), unit.clone());
    match seen.name_forms.get(&key) {
        Some((other, at)) if other != raw_name => t.push(
            report,
            r.place(NAME),
            Level::Warning,
            format!(
                "\"{raw_name}\" và \"{other}\" ({}) ở {unit} chỉ khác nhau về dạng Unicode, chữ hoa, chữ thường hoặc khoảng trắng; kiểm tra xem có phải hai người",
                t.src.place(*at)
            ),
        ),
        Some(_) => {}
        None => {
            seen.name_forms
                .insert(key, (raw_name.to_string(), r.place(NAME)));
        }
    }
}

/// One warning for the card numbers stored as numbers (Excel drops their leading zeros), at
/// the first of them.
fn numeric_cards_warning(t: &Table, seen: &MemberTable, report: &mut Report) {
    let Some((at, _)) = seen.numeric_cards.first() else {
        return;
    };
    let longest = seen.longest_card;
    let shorter = seen
        .numeric_cards
        .iter()
        .filter(|(_, len)| *len < longest)
        .count();
    t.push(
        report,
        *at,
        Level::Warning,
        format!(
            "{} số thẻ được lưu dạng số: Excel bỏ số 0 ở đầu số thẻ{}; hãy định dạng cột Số thẻ đảng viên là Văn bản (Text) và kiểm tra lại các số thẻ này",
            seen.numeric_cards.len(),
            if shorter > 0 {
                format!(" ({shorter} số thẻ ngắn hơn {longest} chữ số)")
            } else {
                String::new()
            }
        ),
    );
}

// ---- checking the tree --------------------------------------------------------------------

/// What a roster file covers: the whole roster, or one unit's subtree (its units, if the
/// upload has them, and the members of its cells), checked against the roster as stored.
pub enum Scope<'a> {
    Whole,
    Subtree {
        unit: &'a UnitCode,
        current: &'a update::Current,
    },
}

/// Checks the tree and where members belong; adds the data-quality warnings. The roster
/// (units parents first: for a subtree, its units including the scope's own) is `Some` only
/// when there is no error.
pub fn assemble(parsed: &Parsed, scope: &Scope, report: &mut Report) -> Option<Roster> {
    let units = match scope {
        Scope::Whole => match &parsed.units {
            Some(part) => whole_tree(part, report),
            None => Vec::new(),
        },
        Scope::Subtree { unit, current } => subtree_units(parsed, unit, current, report),
    };
    let mp = &parsed.members;
    let by_code: HashMap<&UnitCode, &Unit> = units.iter().map(|u| (&u.code, u)).collect();
    for (line, m) in &mp.items {
        if let Err(msg) = check_cell(m, by_code.get(&m.unit).copied(), scope) {
            mp.push(report, *line, "unit_code", Level::Error, msg);
        }
        if let Some(msg) = moved_from_outside(m, scope) {
            mp.push(report, *line, "card_number", Level::Error, msg);
        }
    }
    let members: Vec<Member> = mp.items.iter().map(|(_, m)| m.clone()).collect();
    empty_cells_warnings(parsed, report);
    if matches!(scope, Scope::Whole) {
        empty_file_errors(parsed, units.is_empty(), report);
    }
    let others = match scope {
        Scope::Whole => None,
        Scope::Subtree { unit, current } => Some((*unit, *current)),
    };
    quality::warn_upload(parsed, &units, &members, others, report);
    report.units = units.len();
    report.members = members.len();
    report.sort();
    (report.errors() == 0).then_some(Roster { units, members })
}

/// Whether a member's unit (`unit`, if the file or the scope has it) is a cell they may be
/// placed in; else the message for the unit column.
fn check_cell(m: &Member, unit: Option<&Unit>, scope: &Scope) -> Result<(), String> {
    match unit {
        None => Err(match scope {
            Scope::Subtree { unit, current } => match current.unit(&m.unit) {
                Some(u) => format!(
                    "{} ({}) không thuộc {}: chỉ cập nhật được các chi bộ trong phạm vi này",
                    u.name,
                    m.unit,
                    current.unit_name(unit)
                ),
                None => format!("mã chi bộ {} không có trong danh sách đơn vị", m.unit),
            },
            Scope::Whole => format!("mã chi bộ {} không có trong danh sách đơn vị", m.unit),
        }),
        Some(u) if !u.kind.is_cell() => Err(format!(
            "{} ({}) là {}, không phải chi bộ: đảng viên sinh hoạt tại chi bộ (Chi bộ hoặc Chi bộ cơ sở)",
            u.name,
            u.code,
            u.kind.label().to_lowercase()
        )),
        Some(_) => Ok(()),
    }
}

/// In a subtree's upload, a member who is now outside the subtree: moving them in is the
/// higher committee's job; the message for the card column.
fn moved_from_outside(m: &Member, scope: &Scope) -> Option<String> {
    let Scope::Subtree { unit, current } = scope else {
        return None;
    };
    let now = current.member(&m.card)?;
    (!current.within(&now.unit, unit)).then(|| {
        format!(
            "số thẻ {}: đảng viên {} đang sinh hoạt tại {}: việc chuyển sinh hoạt do cấp trên thực hiện",
            m.card,
            now.full_name,
            current.unit_path_names(&now.unit)
        )
    })
}

/// A warning for each cell of the units file without members (when the file has members).
fn empty_cells_warnings(parsed: &Parsed, report: &mut Report) {
    let mp = &parsed.members;
    let Some(part) = parsed.units.as_ref().filter(|_| !mp.items.is_empty()) else {
        return;
    };
    let has_members: HashSet<&UnitCode> = mp.items.iter().map(|(_, m)| &m.unit).collect();
    for (line, u) in &part.items {
        if u.kind.is_cell() && !has_members.contains(&u.code) {
            part.push(
                report,
                *line,
                "code",
                Level::Warning,
                format!("chi bộ {} chưa có đảng viên", u.code),
            );
        }
    }
}

/// Importing nothing would take everyone off the roster: an error for a whole roster's file
/// with no units or no members (said only of a file that has no other error, such as a header
/// it could not find).
fn empty_file_errors(parsed: &Parsed, no_units: bool, report: &mut Report) {
    let mp = &parsed.members;
    let clean = |report: &Report, file: &str| {
        !report
            .problems
            .iter()
            .any(|p| p.level == Level::Error && p.file == file)
    };
    let ufile = parsed.units.as_ref().map_or(&mp.src.file, |p| &p.src.file);
    if no_units && clean(report, ufile) {
        report.push_file(ufile, Level::Error, "tệp không có đơn vị nào".into());
    }
    if mp.items.is_empty() && clean(report, &mp.src.file) {
        report.push_file(
            &mp.src.file,
            Level::Error,
            "tệp không có đảng viên nào".into(),
        );
    }
}

/// Units parents first: those whose parent is not among them come first (the root, or the
/// units right under a subtree's top), then each one's children, depth first, siblings in
/// their order. Units in a cycle never come (they are errors already).
fn parents_first(units: Vec<Unit>) -> Vec<Unit> {
    let inside: HashSet<UnitCode> = units.iter().map(|u| u.code.clone()).collect();
    let mut children: HashMap<UnitCode, Vec<Unit>> = HashMap::new();
    let mut stack = Vec::new();
    for u in units {
        match &u.parent {
            Some(p) if inside.contains(p) => children.entry(p.clone()).or_default().push(u),
            _ => stack.push(u),
        }
    }
    stack.reverse();
    let mut out = Vec::with_capacity(inside.len());
    while let Some(u) = stack.pop() {
        if let Some(list) = children.remove(&u.code) {
            stack.extend(list.into_iter().rev());
        }
        out.push(u);
    }
    out
}

fn whole_tree(part: &Part<Unit>, report: &mut Report) -> Vec<Unit> {
    let units: Vec<&(usize, Unit)> = part.items.iter().collect();
    let by_code: HashMap<&UnitCode, &Unit> = units.iter().map(|(_, u)| (&u.code, u)).collect();
    let roots: Vec<&&(usize, Unit)> = units.iter().filter(|(_, u)| u.parent.is_none()).collect();
    if roots.is_empty() && !units.is_empty() {
        report.push_file(
            &part.src.file,
            Level::Error,
            "không có đơn vị gốc: đúng một đơn vị để trống mã đơn vị cấp trên".into(),
        );
    }
    for (line, u) in roots.iter().skip(1) {
        part.push(
            report,
            *line,
            "parent_code",
            Level::Error,
            format!(
                "đơn vị {} không có đơn vị cấp trên, nhưng {} đã là đơn vị gốc; đảng viên của đơn vị này sẽ nằm ngoài mọi báo cáo",
                u.code, roots[0].1.code
            ),
        );
    }
    check_links(part, &by_code, None, report);
    parents_first(units.iter().map(|(_, u)| u.clone()).collect())
}

/// Parents known, no cycles, nothing under a cell. `top`: the unit a subtree's units may
/// hang from without being in the file.
fn check_links(
    part: &Part<Unit>,
    by_code: &HashMap<&UnitCode, &Unit>,
    top: Option<&Unit>,
    report: &mut Report,
) {
    let n = by_code.len();
    for (line, u) in &part.items {
        let Some(p) = &u.parent else { continue };
        if top.is_some_and(|t| t.code == u.code) {
            continue;
        }
        let parent = by_code.get(p).copied().or(top.filter(|t| &t.code == p));
        let Some(parent) = parent else {
            part.push(
                report,
                *line,
                "parent_code",
                Level::Error,
                match top {
                    Some(t) => format!(
                        "đơn vị {} có đơn vị cấp trên {p} không có trong tệp và không phải {} ({})",
                        u.code, t.name, t.code
                    ),
                    None => format!(
                        "đơn vị {} có đơn vị cấp trên {p} không có trong danh sách đơn vị",
                        u.code
                    ),
                },
            );
            continue;
        };
        // Walk up; a walk longer than the number of units is a cycle.
        let mut cur = p;
        let mut steps = 0;
        while let Some(up) = by_code
            .get(cur)
            .filter(|_| top.is_none_or(|t| &t.code != cur))
            .and_then(|x| x.parent.as_ref())
        {
            steps += 1;
            if up == &u.code || steps > n {
                part.push(
                    report,
                    *line,
                    "parent_code",
                    Level::Error,
                    format!("đơn vị {} là cấp trên của chính nó (vòng qua {p})", u.code),
                );
                break;
            }
            cur = up;
        }
        if parent.kind.is_cell() {
            part.push(
                report,
                *line,
                "parent_code",
                Level::Error,
                format!(
                    "đơn vị {} trực thuộc {p}, là một chi bộ; chi bộ không có đơn vị trực thuộc",
                    u.code
                ),
            );
        }
    }
}

/// The units of `scope`'s subtree after an upload: those of the file (checked against the
/// roster as stored), or the stored ones when the upload has no units table.
fn subtree_units(
    parsed: &Parsed,
    scope: &UnitCode,
    current: &update::Current,
    report: &mut Report,
) -> Vec<Unit> {
    let Some(top) = current.unit(scope).cloned() else {
        report.push_file(
            &parsed.members.src.file,
            Level::Error,
            format!("không có đơn vị {scope} trong danh sách hiện tại"),
        );
        return Vec::new();
    };
    let Some(part) = &parsed.units else {
        return current.subtree(scope).into_iter().cloned().collect();
    };
    let mut top_row = top.clone();
    for (line, u) in &part.items {
        let problems = if u.code == top.code {
            top_row.name = u.name.clone();
            top_change(u, &top)
        } else {
            unit_in_subtree(u, &top, current).into_iter().collect()
        };
        for (field, msg) in problems {
            part.push(report, *line, field, Level::Error, msg);
        }
    }
    let inside: Vec<&(usize, Unit)> = part
        .items
        .iter()
        .filter(|(_, u)| u.code != top.code)
        .collect();
    let mut by_code: HashMap<&UnitCode, &Unit> = inside.iter().map(|(_, u)| (&u.code, u)).collect();
    by_code.insert(&top.code, &top);
    check_links(part, &by_code, Some(&top), report);
    let mut units = vec![top_row];
    units.extend(parents_first(
        inside.iter().map(|(_, u)| u.clone()).collect(),
    ));
    units
}

/// The upload's row for the subtree's own top unit may rename it, nothing more: its parent
/// and kind are the higher committee's (the field and the message of each it changes).
fn top_change(u: &Unit, top: &Unit) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    if u.parent
        .as_ref()
        .is_some_and(|p| Some(p) != top.parent.as_ref())
    {
        problems.push((
            "parent_code",
            format!(
                "đơn vị cấp trên của {} do cấp trên quản lý: để trống hoặc ghi {}",
                top.name,
                top.parent.as_ref().map(|p| p.as_str()).unwrap_or("")
            ),
        ));
    }
    if u.kind != top.kind {
        problems.push((
            "kind",
            format!(
                "loại của {} ({}) do cấp trên quản lý, không đổi thành {}",
                top.name,
                top.kind.label(),
                u.kind.label()
            ),
        ));
    }
    problems
}

/// A unit of a subtree's upload: its code must not be a unit's outside the subtree, and it
/// needs a parent (the field and the message if not).
fn unit_in_subtree(
    u: &Unit,
    top: &Unit,
    current: &update::Current,
) -> Option<(&'static str, String)> {
    if let Some(other) = current.unit(&u.code) {
        if !current.within(&u.code, &top.code) {
            return Some((
                "code",
                format!(
                    "mã đơn vị {} đang là mã của {}, ngoài phạm vi {}",
                    u.code,
                    current.unit_path_names(&other.code),
                    top.name
                ),
            ));
        }
    }
    u.parent.is_none().then(|| {
        (
            "parent_code",
            format!(
                "đơn vị {} cần mã đơn vị cấp trên (một đơn vị trong tệp, hoặc {})",
                u.code, top.code
            ),
        )
    })
}

#[cfg(test)]
mod tests;
