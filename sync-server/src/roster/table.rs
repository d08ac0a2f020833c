//! The roster's files as tables: CSV (UTF-8, comma or semicolon) and spreadsheets (.xlsx, and
//! the .xls and .ods calamine also reads), each cell with its place (`members.csv:14`,
//! `Đảng viên!C14`). Finds the header row below any title rows, maps the headers staff write
//! ("Số thẻ đảng viên", "SỐ THẺ", "card_number") to fields, and skips empty rows.

use super::{Level, Report, Source};

/// A value as the file holds it: text, or what a spreadsheet typed (a number, a date, a
/// boolean).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Number(f64),
    Date(time::Date),
    Bool(bool),
}

impl Value {
    /// The value as text: numbers without a fraction are written as whole numbers (a card
    /// number typed into a number cell), dates as `YYYY-MM-DD`.
    pub fn text(&self) -> String {
        match self {
            Value::Text(s) => s.trim().to_string(),
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e17 => format!("{}", *n as i64),
            Value::Number(n) => n.to_string(),
            Value::Date(d) => crate::model::format_date(*d),
            Value::Bool(b) => if *b { "co" } else { "khong" }.to_string(),
        }
    }
}

/// One row of a table: its line (CSV) or row number (sheet), from 1, and its cells by column.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: usize,
    pub cells: Vec<Option<Value>>,
}

impl Row {
    fn is_empty(&self) -> bool {
        self.cells.iter().all(|c| match c {
            None => true,
            Some(Value::Text(s)) => s.trim().is_empty(),
            Some(_) => false,
        })
    }
}

/// A table read from a file, or from one sheet of a workbook.
#[derive(Debug, Clone)]
pub struct Table {
    pub src: Source,
    pub rows: Vec<Row>,
    /// CSV rows keep their own length (a row shorter than the header is an error there); a
    /// sheet's missing cells are empty.
    pub csv: bool,
}

/// Where a problem is: a line of a CSV file, a cell of a sheet (line 0: the whole file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Place {
    pub line: usize,
    pub col: Option<u32>,
}

/// Column letters of a 0-based column: 0 -> A, 26 -> AA.
pub fn col_letters(mut c: u32) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

impl Table {
    pub fn push(&self, report: &mut Report, p: Place, level: Level, message: String) {
        self.src.push(report, p, level, message);
    }
}

/// A field of a roster table: its name in the CSV contract, the header staff write (used in
/// the template), the other headers accepted (as slugs), and whether it must be there.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    pub aliases: &'static [&'static str],
    pub required: bool,
}

pub const UNIT_FIELDS: &[Field] = &[
    Field {
        key: "code",
        label: "Mã đơn vị",
        aliases: &["ma-don-vi", "ma"],
        required: true,
    },
    Field {
        key: "name",
        label: "Tên đơn vị",
        aliases: &["ten-don-vi", "ten"],
        required: true,
    },
    Field {
        key: "parent_code",
        label: "Mã đơn vị cấp trên",
        aliases: &["ma-don-vi-cap-tren", "ma-cap-tren", "don-vi-cap-tren"],
        required: true,
    },
    Field {
        key: "kind",
        label: "Loại",
        aliases: &["loai", "loai-don-vi"],
        required: true,
    },
];

pub const MEMBER_FIELDS: &[Field] = &[
    Field {
        key: "card_number",
        label: "Số thẻ đảng viên",
        aliases: &["so-the-dang-vien", "so-the"],
        required: true,
    },
    Field {
        key: "full_name",
        label: "Họ và tên",
        aliases: &["ho-va-ten", "ho-ten"],
        required: true,
    },
    Field {
        key: "birth_date",
        label: "Ngày sinh",
        aliases: &["ngay-sinh", "ngay-thang-nam-sinh"],
        required: true,
    },
    Field {
        key: "unit_code",
        label: "Mã chi bộ",
        aliases: &["ma-chi-bo"],
        required: true,
    },
    Field {
        key: "status",
        label: "Tình trạng",
        aliases: &["tinh-trang", "trang-thai"],
        required: true,
    },
    Field {
        key: "role",
        label: "Chức vụ",
        aliases: &["chuc-vu"],
        required: true,
    },
    Field {
        key: "smartphone",
        label: "Điện thoại thông minh",
        aliases: &["dien-thoai-thong-minh", "co-dien-thoai-thong-minh"],
        required: false,
    },
];

/// Columns people add that carry nothing to import (the row number, notes, the unit's name
/// beside its code, what sotay's own export says needs fixing).
const IGNORED: &[&str] = &[
    "stt",
    "ghi-chu",
    "ten-chi-bo",
    "can-sua",
    "van-de-can-sua",
    "ten-don-vi-cap-tren",
];

/// How many rows a title may take above the header.
const HEADER_SEARCH: usize = 30;

fn field_of(fields: &[Field], header: &str) -> Option<usize> {
    let s = sotay_generator::text::slug(header);
    if s.is_empty() {
        return None;
    }
    fields
        .iter()
        .position(|f| sotay_generator::text::slug(f.key) == s || f.aliases.contains(&s.as_str()))
}

/// A row of a table with its values by field (`fields[i]` in `values[i]`), each with its
/// column.
#[derive(Debug, Clone)]
pub struct Record {
    pub line: usize,
    pub values: Vec<(Option<Value>, Option<u32>)>,
}

impl Record {
    /// The text of field `i` (empty if absent).
    pub fn text(&self, i: usize) -> String {
        self.values[i]
            .0
            .as_ref()
            .map(Value::text)
            .unwrap_or_default()
    }
    pub fn value(&self, i: usize) -> Option<&Value> {
        self.values[i].0.as_ref()
    }
    pub fn place(&self, i: usize) -> Place {
        Place {
            line: self.line,
            col: self.values[i].1,
        }
    }
    /// Whether the file has a column for field `i`.
    pub fn has(&self, i: usize) -> bool {
        self.values[i].1.is_some()
    }
}

/// The records of `table` for `fields`, after its header row; problems with the header or
/// rows go to `report`.
pub fn records(table: &Table, fields: &[Field], report: &mut Report) -> Vec<Record> {
    let first = table.rows.iter().position(|r| !r.is_empty());
    let Some(first) = first else {
        // An empty file has no header; an empty table is not an error by itself.
        return Vec::new();
    };
    let Some(hi) = header_row(table, fields, first, report) else {
        return Vec::new();
    };
    let header = &table.rows[hi];
    let before = report.errors();
    let col_of = header_columns(table, header, fields, report);
    require_columns(table, header, fields, &col_of, report);
    if report.errors() > before {
        return Vec::new();
    }
    rows_after(table, hi, &col_of, report)
}

/// The index of the header row: the first of [`HEADER_SEARCH`] rows from row `first` (the
/// first non-empty one) that names two fields or more; else an error at row `first`.
fn header_row(table: &Table, fields: &[Field], first: usize, report: &mut Report) -> Option<usize> {
    let known = |row: &Row| {
        row.cells
            .iter()
            .filter_map(|c| match c {
                Some(Value::Text(s)) => field_of(fields, s),
                _ => None,
            })
            .collect::<std::collections::HashSet<_>>()
            .len()
    };
    let header_at = table
        .rows
        .iter()
        .enumerate()
        .skip(first)
        .take(HEADER_SEARCH)
        .find(|(_, r)| known(r) >= 2)
        .map(|(i, _)| i);
    if header_at.is_none() {
        let names: Vec<&str> = fields.iter().map(|f| f.label).collect();
        table.push(
            report,
            Place {
                line: table.rows[first].line,
                col: None,
            },
            Level::Error,
            format!(
                "không tìm thấy dòng tiêu đề: cần các cột {} (hoặc {})",
                names.join(", "),
                fields.iter().map(|f| f.key).collect::<Vec<_>>().join(",")
            ),
        );
    }
    header_at
}

/// The column of each field in the `header` row; errors for a column named twice or not in
/// the template.
fn header_columns(
    table: &Table,
    header: &Row,
    fields: &[Field],
    report: &mut Report,
) -> Vec<Option<u32>> {
    let mut col_of: Vec<Option<u32>> = vec![None; fields.len()];
    for (c, cell) in header.cells.iter().enumerate() {
        let text = match cell {
            None => continue,
            Some(v) => v.text(),
        };
        if text.trim().is_empty() {
            continue;
        }
        let at = Place {
            line: header.line,
            col: Some(c as u32),
        };
        match field_of(fields, &text) {
            Some(f) if col_of[f].is_some() => table.push(
                report,
                at,
                Level::Error,
                format!("cột \"{}\" có hai lần", text.trim()),
            ),
            Some(f) => col_of[f] = Some(c as u32),
            None if IGNORED.contains(&sotay_generator::text::slug(&text).as_str()) => {}
            None => table.push(
                report,
                at,
                Level::Error,
                format!(
                    "cột \"{}\" không có trong mẫu; các cột: {}",
                    text.trim(),
                    fields
                        .iter()
                        .map(|f| f.label)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        }
    }
    col_of
}

/// An error at the `header` row for each required field without a column (`col_of`).
fn require_columns(
    table: &Table,
    header: &Row,
    fields: &[Field],
    col_of: &[Option<u32>],
    report: &mut Report,
) {
    for (f, col) in fields.iter().zip(col_of) {
        if f.required && col.is_none() {
            table.push(
                report,
                Place {
                    line: header.line,
                    col: None,
                },
                Level::Error,
                format!(
                    "thiếu cột \"{}\" ({}); các cột cần có: {}",
                    f.label,
                    f.key,
                    fields
                        .iter()
                        .filter(|f| f.required)
                        .map(|f| f.label)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
}

/// The records of the non-empty rows after the header row `hi`, each field's value taken from
/// its column (`col_of`); in a CSV file, a row whose cells are not as many as the header's is
/// an error.
fn rows_after(
    table: &Table,
    hi: usize,
    col_of: &[Option<u32>],
    report: &mut Report,
) -> Vec<Record> {
    let width = table.rows[hi].cells.len();
    let mut out = Vec::new();
    for row in &table.rows[hi + 1..] {
        if row.is_empty() {
            continue;
        }
        if table.csv && row.cells.len() != width {
            table.push(
                report,
                Place {
                    line: row.line,
                    col: None,
                },
                Level::Error,
                format!(
                    "dòng có {} ô, nhưng dòng tiêu đề có {} cột",
                    row.cells.len(),
                    width
                ),
            );
            continue;
        }
        out.push(Record {
            line: row.line,
            values: col_of
                .iter()
                .map(|c| {
                    (
                        c.and_then(|c| row.cells.get(c as usize).cloned().flatten()),
                        *c,
                    )
                })
                .collect(),
        });
    }
    out
}

// ---- CSV --------------------------------------------------------------------------------

/// A CSV file's rows. Excel set to Vietnamese saves CSV with semicolons: the delimiter is
/// whichever of `,` and `;` the first lines (where the title and header are) have more of.
pub fn csv_table(text: &str, file: &str, report: &mut Report) -> Table {
    let head: String = text.lines().take(HEADER_SEARCH).collect();
    let delim = if head.matches(';').count() > head.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delim)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let table = |rows| Table {
        src: Source {
            file: file.to_string(),
            sheet: None,
        },
        rows,
        csv: true,
    };
    for rec in rdr.records() {
        match rec {
            Ok(r) => rows.push(Row {
                line: r.position().map_or(0, |p| p.line() as usize),
                cells: r
                    .iter()
                    .map(|f| Some(Value::Text(f.trim().to_string())))
                    .collect(),
            }),
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                table(Vec::new()).push(
                    report,
                    Place { line, col: None },
                    Level::Error,
                    format!("CSV sai định dạng: {}", csv_error(&e)),
                );
            }
        }
    }
    table(rows)
}

fn csv_error(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "có byte không phải UTF-8".into(),
        _ => "dấu ngoặc kép hoặc dấu phân cách không khớp".into(),
    }
}

/// The text of a CSV file, or a problem: it must be UTF-8 (a BOM is dropped).
pub fn csv_text(bytes: Vec<u8>, file: &str, report: &mut Report) -> Option<String> {
    match String::from_utf8(bytes) {
        Ok(s) => Some(s.trim_start_matches('\u{feff}').to_string()),
        Err(e) => {
            report.push_file(
                file,
                Level::Error,
                format!(
                    "không phải văn bản UTF-8 (byte {}): hãy lưu tệp dạng \"CSV UTF-8\", hoặc dùng tệp Excel (.xlsx)",
                    e.utf8_error().valid_up_to()
                ),
            );
            None
        }
    }
}

// ---- spreadsheets -------------------------------------------------------------------------

/// The most a spreadsheet may hold once unpacked; beyond it the file is refused before it is
/// read (a few kilobytes of zip can unpack to gigabytes).
pub const MAX_UNPACKED: u64 = 1 << 30;

/// Whether `bytes` look like a spreadsheet rather than text: a zip (xlsx, ods) or an OLE file
/// (xls).
pub fn is_spreadsheet(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

/// An open workbook and the names of its sheets.
pub struct Workbook {
    book: calamine::Sheets<std::io::Cursor<Vec<u8>>>,
    pub file: String,
    pub sheets: Vec<String>,
}

impl Workbook {
    pub fn open(bytes: Vec<u8>, file: &str, report: &mut Report) -> Option<Workbook> {
        if bytes.starts_with(b"PK\x03\x04") {
            // The sizes the central directory declares: a file that says it unpacks to more
            // than MAX_UNPACKED is refused before anything is inflated.
            let total = zip::ZipArchive::new(std::io::Cursor::new(&bytes[..])).and_then(|mut z| {
                let mut total = 0u64;
                for i in 0..z.len() {
                    total = total.saturating_add(z.by_index_raw(i)?.size());
                }
                Ok(total)
            });
            match total {
                Ok(total) if total > MAX_UNPACKED => {
                    report.push_file(
                        file,
                        Level::Error,
                        "tệp quá lớn khi giải nén (hơn 1 GB): hãy chia danh sách thành nhiều tệp"
                            .into(),
                    );
                    return None;
                }
                Ok(_) => {}
                Err(_) => {
                    report.push_file(file, Level::Error, unreadable());
                    return None;
                }
            }
        }
        match calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)) {
            Ok(book) => {
                use calamine::Reader;
                let sheets = book.sheet_names();
                Some(Workbook {
                    book,
                    file: file.to_string(),
                    sheets,
                })
            }
            Err(_) => {
                report.push_file(file, Level::Error, unreadable());
                None
            }
        }
    }

    /// The sheet named like `name` (compared as slugs: "ĐẢNG VIÊN" is "Đảng viên").
    pub fn find(&self, name: &str) -> Option<String> {
        let want = sotay_generator::text::slug(name);
        self.sheets
            .iter()
            .find(|s| sotay_generator::text::slug(s) == want)
            .cloned()
    }

    /// The rows of sheet `name`, with their real row and column numbers.
    pub fn table(&mut self, name: &str, report: &mut Report) -> Option<Table> {
        use calamine::{Data, Reader};
        let range = match self.book.worksheet_range(name) {
            Ok(r) => r,
            Err(_) => {
                report.push_file(
                    &self.file,
                    Level::Error,
                    format!("không đọc được trang \"{name}\" của tệp"),
                );
                return None;
            }
        };
        let (r0, c0) = range.start().unwrap_or((0, 0));
        let mut rows = Vec::with_capacity(range.height());
        for (i, r) in range.rows().enumerate() {
            let mut cells: Vec<Option<Value>> = vec![None; c0 as usize];
            cells.extend(r.iter().map(|d| {
                match d {
                    Data::Empty | Data::Error(_) => None,
                    Data::String(s) => Some(Value::Text(s.clone())),
                    Data::Int(n) => Some(Value::Number(*n as f64)),
                    Data::Float(f) => Some(Value::Number(*f)),
                    Data::Bool(b) => Some(Value::Bool(*b)),
                    Data::DateTime(d) if d.is_datetime() => {
                        let (y, m, day, ..) = d.to_ymd_hms_milli();
                        date(i32::from(y), m, day)
                            .map(Value::Date)
                            .or(Some(Value::Number(d.as_f64())))
                    }
                    Data::DateTime(d) => Some(Value::Number(d.as_f64())),
                    Data::DateTimeIso(s) => Some(
                        s.get(..10)
                            .and_then(crate::model::parse_date)
                            .map(Value::Date)
                            .unwrap_or_else(|| Value::Text(s.clone())),
                    ),
                    Data::DurationIso(s) => Some(Value::Text(s.clone())),
                }
            }));
            rows.push(Row {
                line: r0 as usize + i + 1,
                cells,
            });
        }
        Some(Table {
            src: Source {
                file: self.file.clone(),
                sheet: Some(name.to_string()),
            },
            rows,
            csv: false,
        })
    }
}

fn unreadable() -> String {
    "không đọc được tệp: không phải tệp Excel (.xlsx) hay CSV hợp lệ, hoặc tệp bị hỏng".into()
}

fn date(y: i32, m: u8, d: u8) -> Option<time::Date> {
    time::Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()
}

/// A date as staff write it: `dd/mm/yyyy` (also with `-` or `.`, and one-digit day or
/// month), or `YYYY-MM-DD`. Never month first: 02/01/1960 is the 2nd of January.
pub fn parse_date_vn(s: &str) -> Option<time::Date> {
    let s = s.trim();
    if let Some(d) = crate::model::parse_date(s) {
        return Some(d);
    }
    let parts: Vec<&str> = s.split(['/', '-', '.']).collect();
    let [d, m, y] = parts[..] else { return None };
    let num = |x: &str, max: usize| {
        (!x.is_empty() && x.len() <= max && x.bytes().all(|b| b.is_ascii_digit()))
            .then(|| x.parse::<i32>().ok())
            .flatten()
    };
    let (d, m, y) = (num(d, 2)?, num(m, 2)?, num(y, 4)?);
    if y < 1000 {
        return None;
    }
    date(y, u8::try_from(m).ok()?, u8::try_from(d).ok()?)
}

/// The date of an Excel serial number (1900 date system, as Excel for Windows and
/// LibreOffice write), for a date column whose cells lost their date format.
pub fn excel_serial(n: f64) -> Option<time::Date> {
    if !(61.0..2_958_466.0).contains(&n) {
        return None;
    }
    // Serial 61 is 1900-03-01; Excel counts a 29 February 1900 that never was.
    let base = date(1899, 12, 30)?;
    base.checked_add(time::Duration::days(n.floor() as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_columns() {
        let d = |s: &str| parse_date_vn(s).map(crate::model::format_date);
        assert_eq!(d("02/01/1960").as_deref(), Some("1960-01-02"));
        assert_eq!(d("2/1/1960").as_deref(), Some("1960-01-02"));
        assert_eq!(d("02-01-1960").as_deref(), Some("1960-01-02"));
        assert_eq!(d("02.01.1960").as_deref(), Some("1960-01-02"));
        assert_eq!(d("1960-01-02").as_deref(), Some("1960-01-02"));
        assert_eq!(d("30/02/1960"), None);
        assert_eq!(d("01/13/1960"), None);
        assert_eq!(d("1/1/60"), None);
        assert_eq!(d("ngày 2"), None);
        assert_eq!(
            excel_serial(21917.0)
                .map(crate::model::format_date)
                .as_deref(),
            Some("1960-01-02")
        );
        assert_eq!(excel_serial(12.0), None);
        assert_eq!(col_letters(0), "A");
        assert_eq!(col_letters(2), "C");
        assert_eq!(col_letters(25), "Z");
        assert_eq!(col_letters(26), "AA");
        assert_eq!(col_letters(27), "AB");
        assert_eq!(col_letters(701), "ZZ");
        assert_eq!(col_letters(702), "AAA");
    }

    #[test]
    fn headers_as_staff_write_them() {
        for (h, key) in [
            ("Số thẻ đảng viên", Some("card_number")),
            ("SỐ THẺ ĐẢNG VIÊN", Some("card_number")),
            ("  Số  thẻ ", Some("card_number")),
            ("card_number", Some("card_number")),
            ("Ngày tháng năm sinh", Some("birth_date")),
            ("Mã chi bộ", Some("unit_code")),
            ("Điện thoại thông minh", Some("smartphone")),
            ("Tình trạng", Some("status")),
            ("Chức vụ", Some("role")),
            ("Họ tên", Some("full_name")),
            ("Quê quán", None),
        ] {
            assert_eq!(
                field_of(MEMBER_FIELDS, h).map(|i| MEMBER_FIELDS[i].key),
                key,
                "{h}"
            );
        }
        for (h, key) in [
            ("Mã đơn vị", Some("code")),
            ("Tên đơn vị", Some("name")),
            ("Mã đơn vị cấp trên", Some("parent_code")),
            ("parent_code", Some("parent_code")),
            ("Loại", Some("kind")),
        ] {
            assert_eq!(
                field_of(UNIT_FIELDS, h).map(|i| UNIT_FIELDS[i].key),
                key,
                "{h}"
            );
        }
    }
}
