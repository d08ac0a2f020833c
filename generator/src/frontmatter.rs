//! Front matter: the YAML block between `---` lines at the top of a Markdown file, checked
//! field by field (names, types, dates, statuses, kinds; the fields are listed for authors in
//! docs/AUTHORING.md).
//!
//! Cross-document checks (duplicate ids, `supersedes` targets) belong to `content`; this
//! module only sees one file.

use crate::diagnostics::{Diagnostics, LineIndex, Pos};
use crate::yaml::YamlMap;
use serde::Serialize;
use std::fmt;

/// Every field a document's front matter may have.
pub const FIELDS: &[&str] = &[
    "title",
    "id",
    "kind",
    "number",
    "issuer",
    "issued",
    "effective",
    "updated",
    "status",
    "supersedes",
    "tags",
    "summary",
    "weight",
    "meeting",
];

/// A calendar date, `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// Parses `YYYY-MM-DD`, rejecting impossible days (2026-02-30).
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year: u16 = digits(&s[0..4])?;
        let month: u8 = digits(&s[5..7])?;
        let day: u8 = digits(&s[8..10])?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// "15/03/2026", the way dates are written in Vietnamese documents.
    pub fn vi(&self) -> String {
        format!("{:02}/{:02}/{}", self.day, self.month, self.year)
    }

    /// "2026-03-15T00:00:00Z" for feeds.
    pub fn rfc3339(&self) -> String {
        format!("{self}T00:00:00Z")
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A month, `YYYY-MM` (the month a cell meeting material is for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: u16,
    pub month: u8,
}

impl Month {
    pub fn parse(s: &str) -> Option<Month> {
        let b = s.as_bytes();
        if b.len() != 7 || b[4] != b'-' {
            return None;
        }
        let year: u16 = digits(&s[0..4])?;
        let month: u8 = digits(&s[5..7])?;
        (1..=12).contains(&month).then_some(Month { year, month })
    }

    /// "tháng 11/2026"
    pub fn vi(&self) -> String {
        format!("tháng {}/{}", self.month, self.year)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

fn digits<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Whether a document is in force. Drafts are not published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    #[default]
    InForce,
    Expired,
    Superseded,
    Draft,
}

impl Status {
    pub const NAMES: &'static [&'static str] = &["in-force", "expired", "superseded", "draft"];

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "in-force" => Status::InForce,
            "expired" => Status::Expired,
            "superseded" => Status::Superseded,
            "draft" => Status::Draft,
            _ => return None,
        })
    }

    /// The badge text shown to members.
    pub fn label(self) -> &'static str {
        match self {
            Status::InForce => "Còn hiệu lực",
            Status::Expired => "Hết hiệu lực",
            Status::Superseded => "Đã được thay thế",
            Status::Draft => "Dự thảo",
        }
    }

    pub fn as_str(self) -> &'static str {
        Status::NAMES[self as usize]
    }
}

/// The checked front matter of one page. (Hashed, not formatted, for fingerprints.)
#[derive(Debug, Clone, Default, Hash, PartialEq)]
pub struct FrontMatter {
    pub title: String,
    pub id: Option<String>,
    pub kind: Option<String>,
    pub number: Option<String>,
    pub issuer: Option<String>,
    pub issued: Option<Date>,
    pub effective: Option<Date>,
    pub updated: Option<Date>,
    pub status: Status,
    pub supersedes: Vec<String>,
    pub tags: Vec<String>,
    pub summary: Option<String>,
    pub weight: Option<i64>,
    pub meeting: Option<Month>,
    /// Where each `supersedes` entry was written, for cross-document errors.
    pub supersedes_pos: Vec<Pos>,
    /// Where `id` was written (or the file start).
    pub id_pos: Pos,
}

/// Where the front matter and the body are in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// Byte range of the YAML between the `---` lines, if there is a front matter block.
    pub yaml: Option<(usize, usize)>,
    /// Byte offset where the Markdown body starts.
    pub body: usize,
}

/// Finds the front matter block. It must start on the first line (after an optional BOM) with
/// `---` and end with a line `---` or `...`. An opening line with no closing line is reported.
pub fn split(text: &str) -> Result<Split, Pos> {
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let rest = &text[start..];
    let first_end = rest.find('\n').map_or(rest.len(), |i| i + 1);
    if rest[..first_end].trim_end() != "---" {
        return Ok(Split {
            yaml: None,
            body: start,
        });
    }
    let yaml_start = start + first_end;
    let mut off = yaml_start;
    for line in text[yaml_start..].split_inclusive('\n') {
        let t = line.trim_end();
        if t == "---" || t == "..." {
            return Ok(Split {
                yaml: Some((yaml_start, off)),
                body: off + line.len(),
            });
        }
        off += line.len();
    }
    Err(Pos::new(1, 1))
}

/// What kind of file the front matter belongs to: documents and sections need a title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Title,
    Nothing,
}

/// Reads and checks the front matter of `text` (`file` is its path for messages).
/// `kinds` are the document kinds the site allows. Returns what could be read even when there
/// were errors, so that later passes can still report their own problems.
pub fn parse(
    file: &str,
    text: &str,
    lines: &LineIndex,
    kinds: &[&str],
    need: Need,
    diags: &mut Diagnostics,
) -> (FrontMatter, usize) {
    let split = match split(text) {
        Ok(s) => s,
        Err(pos) => {
            diags.error(
                file,
                pos,
                "front matter starts with `---` but has no closing `---` line",
            );
            return (FrontMatter::default(), text.len());
        }
    };
    let Some((ys, ye)) = split.yaml else {
        if need == Need::Title {
            diags.error(
                file,
                Pos::new(1, 1),
                "missing front matter: start the file with a `---` line, `title: ...`, and a closing `---` line",
            );
        }
        return (FrontMatter::default(), split.body);
    };
    let Some(y) = YamlMap::parse(file, text, lines, ys, ye, diags) else {
        return (FrontMatter::default(), split.body);
    };
    y.check_keys(FIELDS, "front matter", diags);

    let mut fm = FrontMatter {
        id_pos: y.key_pos("id"),
        ..FrontMatter::default()
    };
    match y.string("title", diags) {
        Some(t) if !t.is_empty() => fm.title = t,
        Some(_) if need == Need::Title => {
            diags.error(file, y.key_pos("title"), "\"title\" is empty");
        }
        None if need == Need::Title && y.get("title").is_none_or(|v| v.is_null()) => {
            let pos = lines.pos(text, ys.saturating_sub(4));
            diags.error(file, pos, "missing required field \"title\"");
        }
        _ => {}
    }
    fm.id = id(file, &y, diags);
    fm.kind = kind(file, &y, kinds, diags);
    fm.number = y.string("number", diags);
    fm.issuer = y.string("issuer", diags);
    fm.summary = y.string("summary", diags);
    dates(file, &y, &mut fm, diags);
    if let Some(status) = status(file, &y, diags) {
        fm.status = status;
    }
    fm.supersedes = y.string_list("supersedes", diags);
    fm.supersedes_pos = fm
        .supersedes
        .iter()
        .map(|s| y.value_pos("supersedes", s))
        .collect();
    fm.tags = y.string_list("tags", diags);
    fm.weight = y.integer("weight", diags);
    fm.meeting = meeting(file, &y, diags);
    if let (Some(i), Some(e)) = (fm.issued, fm.effective) {
        if e < i {
            diags.error(
                file,
                y.value_pos("effective", &e.to_string()),
                format!("\"effective\" ({e}) is before \"issued\" ({i})"),
            );
        }
    }
    (fm, split.body)
}

/// `id`: lowercase letters, digits, `-`, `_`, `.` and `/`.
fn id(file: &str, y: &YamlMap, diags: &mut Diagnostics) -> Option<String> {
    let id = y.string("id", diags)?;
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_/.".contains(c))
    {
        diags.error(
            file,
            y.value_pos("id", &id),
            format!("id \"{id}\" may only use a-z, 0-9, -, _, . and /"),
        );
        return None;
    }
    Some(id)
}

/// `kind`: one of the site's kinds.
fn kind(file: &str, y: &YamlMap, kinds: &[&str], diags: &mut Diagnostics) -> Option<String> {
    let kind = y.string("kind", diags)?;
    if kinds.contains(&kind.as_str()) {
        return Some(kind);
    }
    diags.error(
        file,
        y.value_pos("kind", &kind),
        format!(
            "unknown kind \"{kind}\"{}; kinds are listed in sotay.yaml (`kinds:`)",
            crate::diagnostics::suggestion(&kind, kinds.iter().copied())
        ),
    );
    None
}

/// `issued`, `effective` and `updated`: dates written YYYY-MM-DD.
fn dates(file: &str, y: &YamlMap, fm: &mut FrontMatter, diags: &mut Diagnostics) {
    for (key, slot) in [
        ("issued", &mut fm.issued),
        ("effective", &mut fm.effective),
        ("updated", &mut fm.updated),
    ] {
        if let Some(s) = y.string(key, diags) {
            match Date::parse(&s) {
                Some(d) => *slot = Some(d),
                None => diags.error(
                    file,
                    y.value_pos(key, &s),
                    format!("\"{key}\" must be a date written YYYY-MM-DD, found \"{s}\""),
                ),
            }
        }
    }
}

/// `status`: one of [`Status::NAMES`].
fn status(file: &str, y: &YamlMap, diags: &mut Diagnostics) -> Option<Status> {
    let s = y.string("status", diags)?;
    let status = Status::parse(&s);
    if status.is_none() {
        diags.error(
            file,
            y.value_pos("status", &s),
            format!(
                "unknown status \"{s}\"{}; one of: {}",
                crate::diagnostics::suggestion(&s, Status::NAMES.iter().copied()),
                Status::NAMES.join(", ")
            ),
        );
    }
    status
}

/// `meeting`: the month of cell meeting material, `YYYY-MM`.
fn meeting(file: &str, y: &YamlMap, diags: &mut Diagnostics) -> Option<Month> {
    let s = y.string("meeting", diags)?;
    let month = Month::parse(&s);
    if month.is_none() {
        diags.error(
            file,
            y.value_pos("meeting", &s),
            format!("\"meeting\" must be a month written YYYY-MM, found \"{s}\""),
        );
    }
    month
}

#[cfg(test)]
mod tests {
    use super::*;

    const KINDS: &[&str] = &["nghi-quyet", "chi-thi", "huong-dan"];

    fn run(text: &str) -> (FrontMatter, Vec<String>) {
        let lines = LineIndex::new();
        let mut d = Diagnostics::new();
        let (fm, _) = parse("a.md", text, &lines, KINDS, Need::Title, &mut d);
        (fm, d.sorted().iter().map(|d| d.to_string()).collect())
    }

    #[test]
    fn split_table() {
        let cases: &[(&str, Result<Split, Pos>)] = &[
            (
                "---\ntitle: a\n---\nbody",
                Ok(Split {
                    yaml: Some((4, 13)),
                    body: 17,
                }),
            ),
            (
                "---\r\ntitle: a\r\n---\r\nbody",
                Ok(Split {
                    yaml: Some((5, 15)),
                    body: 20,
                }),
            ),
            (
                "\u{feff}---\ntitle: a\n...\n",
                Ok(Split {
                    yaml: Some((7, 16)),
                    body: 20,
                }),
            ),
            (
                "# no front matter",
                Ok(Split {
                    yaml: None,
                    body: 0,
                }),
            ),
            ("---\ntitle: a\n", Err(Pos::new(1, 1))),
            (
                "---\n---\n",
                Ok(Split {
                    yaml: Some((4, 4)),
                    body: 8,
                }),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(&split(input), want, "split({input:?})");
        }
    }

    #[test]
    fn valid_front_matter() {
        let (fm, errs) = run("---\ntitle: Nghị quyết 05\nkind: nghi-quyet\nnumber: 05-NQ/TU\nissued: 2026-03-15\neffective: 2026-04-01\nstatus: superseded\nsupersedes: [a, b]\ntags: Chuyển đổi số\nweight: 3\nmeeting: 2026-11\n---\nx");
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(fm.title, "Nghị quyết 05");
        assert_eq!(fm.kind.as_deref(), Some("nghi-quyet"));
        assert_eq!(fm.issued.map(|d| d.vi()), Some("15/03/2026".into()));
        assert_eq!(fm.status, Status::Superseded);
        assert_eq!(fm.supersedes, ["a", "b"]);
        assert_eq!(fm.tags, ["Chuyển đổi số"]);
        assert_eq!(fm.weight, Some(3));
        assert_eq!(fm.meeting.map(|m| m.vi()), Some("tháng 11/2026".into()));
    }

    /// Every front matter error with its exact position.
    #[test]
    fn error_table() {
        let cases = [
            ("---\nkind: chi-thi\n---\n", "a.md:1:1: error: missing required field \"title\""),
            ("---\ntitle: x\ntitel: y\n---\n", "a.md:3:1: error: unknown front matter field \"titel\" (did you mean \"title\"?)"),
            ("---\ntitle: x\nissued: 2026-02-30\n---\n", "a.md:3:9: error: \"issued\" must be a date written YYYY-MM-DD, found \"2026-02-30\""),
            ("---\ntitle: x\neffective: 15/03/2026\n---\n", "a.md:3:12: error: \"effective\" must be a date written YYYY-MM-DD, found \"15/03/2026\""),
            ("---\ntitle: x\nkind: nghi-quyat\n---\n", "a.md:3:7: error: unknown kind \"nghi-quyat\" (did you mean \"nghi-quyet\"?); kinds are listed in sotay.yaml (`kinds:`)"),
            ("---\ntitle: x\nstatus: old\n---\n", "a.md:3:9: error: unknown status \"old\"; one of: in-force, expired, superseded, draft"),
            ("---\ntitle: x\nweight: nặng\n---\n", "a.md:3:1: error: \"weight\" must be a whole number"),
            ("---\ntitle: x\nmeeting: 2026-13\n---\n", "a.md:3:10: error: \"meeting\" must be a month written YYYY-MM, found \"2026-13\""),
            ("---\ntitle: [a, b]\n---\n", "a.md:2:1: error: \"title\" must be a single text value"),
            ("---\ntitle: x\nid: Nghị Quyết\n---\n", "a.md:3:5: error: id \"Nghị Quyết\" may only use a-z, 0-9, -, _, . and /"),
            ("---\ntitle: x\n  bad: : indent\n---\n", "a.md:3:6: error: invalid YAML: mapping values are not allowed in this context"),
            ("# Title\n", "a.md:1:1: error: missing front matter: start the file with a `---` line, `title: ...`, and a closing `---` line"),
            ("---\ntitle: x\n", "a.md:1:1: error: front matter starts with `---` but has no closing `---` line"),
            ("---\ntitle: x\nissued: 2026-05-01\neffective: 2026-04-01\n---\n", "a.md:4:12: error: \"effective\" (2026-04-01) is before \"issued\" (2026-05-01)"),
        ];
        for (input, want) in cases {
            let (_, errs) = run(input);
            assert_eq!(errs, [want.to_string()], "input: {input:?}");
        }
    }
}
