//! The domain's types, parsed once at the edge (CSV, JSON, command line) so that the rest of
//! the server never re-checks a string: card numbers, unit codes, kinds, statuses, roles, event
//! types, the name key used to compare names typed by members, and dates and times as Vietnam
//! writes them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The digits printed on a party card. Spaces, dots and dashes that people type are dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CardNumber(String);

impl CardNumber {
    pub fn parse(s: &str) -> Option<CardNumber> {
        let digits: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '\u{a0}'))
            .collect();
        (digits.len() >= 6 && digits.len() <= 20 && digits.bytes().all(|b| b.is_ascii_digit()))
            .then_some(CardNumber(digits))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A unit's code in the roster ("TU", "DB01.X03.CB02").
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnitCode(String);

impl UnitCode {
    pub fn parse(s: &str) -> Option<UnitCode> {
        let s = s.trim();
        (!s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)))
        .then(|| UnitCode(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! slug_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $s)] $variant),* }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            pub const NAMES: &'static [&'static str] = &[$($s),*];
            pub fn parse(s: &str) -> Option<$name> {
                match s.trim() { $($s => Some($name::$variant),)* _ => None }
            }
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),* }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

slug_enum!(
    /// Level of a unit in the Party's organisation.
    UnitKind { TinhUy = "tinh-uy", DangBo = "dang-bo", DangBoCoSo = "dang-bo-co-so", ChiBoCoSo = "chi-bo-co-so", ChiBo = "chi-bo" }
);

impl UnitKind {
    /// Cells are where members meet: members belong to cells.
    pub fn is_cell(self) -> bool {
        matches!(self, UnitKind::ChiBo | UnitKind::ChiBoCoSo)
    }
    /// As staff write it in a roster file.
    pub fn label(self) -> &'static str {
        match self {
            UnitKind::TinhUy => "Tỉnh ủy",
            UnitKind::DangBo => "Đảng bộ",
            UnitKind::DangBoCoSo => "Đảng bộ cơ sở",
            UnitKind::ChiBoCoSo => "Chi bộ cơ sở",
            UnitKind::ChiBo => "Chi bộ",
        }
    }
}

slug_enum!(
    /// A member's standing: full, probationary, exempt from meetings.
    MemberStatus { ChinhThuc = "chinh-thuc", DuBi = "du-bi", MienSinhHoat = "mien-sinh-hoat" }
);

impl MemberStatus {
    /// As staff write it in a roster file.
    pub fn label(self) -> &'static str {
        match self {
            MemberStatus::ChinhThuc => "Chính thức",
            MemberStatus::DuBi => "Dự bị",
            MemberStatus::MienSinhHoat => "Miễn sinh hoạt",
        }
    }
}

slug_enum!(
    /// A member's role in their cell.
    Role { DangVien = "dang-vien", BiThu = "bi-thu", PhoBiThu = "pho-bi-thu", CapUyVien = "cap-uy-vien" }
);

impl Role {
    /// As staff write it in a roster file.
    pub fn label(self) -> &'static str {
        match self {
            Role::DangVien => "Đảng viên",
            Role::BiThu => "Bí thư",
            Role::PhoBiThu => "Phó bí thư",
            Role::CapUyVien => "Cấp ủy viên",
        }
    }
    /// Secretaries and deputies record that the cell's meeting used the handbook.
    pub fn may_record_meeting(self) -> bool {
        matches!(self, Role::BiThu | Role::PhoBiThu)
    }
}

slug_enum!(
    /// What a reading event records.
    EventType { View = "view", Read = "read", Bookmark = "bookmark", MeetingHeld = "meeting_held", Feedback = "feedback", NoticeRead = "notice_read" }
);

/// How a name typed at registration is compared with the roster: NFC, then folded by the project's one normaliser (case, diacritics, `đ` -> `d`),
/// words joined by one space. "NGUYEN VAN AN", "nguyễn  văn an" and "Nguyễn Văn An" in NFD
/// have the same key.
pub fn name_key(s: &str) -> String {
    let folded = sotay_generator::text::fold(&sotay_generator::text::nfc(s));
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A name as written, up to Unicode form, case and spacing: two roster rows with the same
/// spelling key and different text are probably one person written twice. Diacritics count
/// here ("Ân" and "An" are different names).
pub fn spelling_key(s: &str) -> String {
    let nfc = sotay_generator::text::nfc(s);
    nfc.split_whitespace()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a unit code typed by a member names the roster's unit `code`: case and the spaces
/// around it do not matter (phones capitalise the first letter: "Tu.01.01.01").
pub fn same_unit(typed: &UnitCode, code: &str) -> bool {
    typed.as_str().eq_ignore_ascii_case(code.trim())
}

/// A name as stored: NFC with single spaces, the member's own capitalisation kept.
pub fn clean_name(s: &str) -> String {
    sotay_generator::text::nfc(s)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A calendar date written YYYY-MM-DD, checked.
pub fn parse_date(s: &str) -> Option<time::Date> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s.trim(), &f).ok()
}

pub fn format_date(d: time::Date) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    d.format(&f).unwrap_or_default()
}

/// Serde for a date as `YYYY-MM-DD` (`#[serde(with = "crate::model::iso_date")]`).
pub mod iso_date {
    pub fn serialize<S: serde::Serializer>(d: &time::Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_date(*d))
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<time::Date, D::Error> {
        let s: String = serde::Deserialize::deserialize(d)?;
        super::parse_date(&s).ok_or_else(|| serde::de::Error::custom("a date YYYY-MM-DD"))
    }
}

/// Vietnam's time zone: days and months of events are counted in local time.
pub const VN: time::UtcOffset = time::macros::offset!(+7);

/// A unix time as RFC 3339 in Vietnam's time.
pub fn rfc3339_vn(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.to_offset(VN)
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The local (Vietnam) day of a unix time, "YYYY-MM-DD".
pub fn day_of(unix: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(unix) {
        Ok(t) => format_date(t.to_offset(VN).date()),
        Err(_) => "1970-01-01".into(),
    }
}

/// Today in Vietnam.
pub fn today_vn() -> time::Date {
    time::OffsetDateTime::now_utc().to_offset(VN).date()
}

/// A calendar month, written YYYY-MM: the month a cell meeting is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month {
    pub year: i32,
    pub month: time::Month,
}

impl Month {
    pub fn parse(s: &str) -> Option<Month> {
        let b = s.as_bytes();
        if b.len() != 7
            || b[4] != b'-'
            || !s[..4]
                .bytes()
                .chain(s[5..].bytes())
                .all(|c| c.is_ascii_digit())
        {
            return None;
        }
        let year: i32 = s[..4].parse().ok()?;
        let month = time::Month::try_from(s[5..].parse::<u8>().ok()?).ok()?;
        Some(Month { year, month })
    }
    pub fn of(d: time::Date) -> Month {
        Month {
            year: d.year(),
            month: d.month(),
        }
    }
    pub fn first_day(self) -> time::Date {
        time::Date::from_calendar_date(self.year, self.month, 1).unwrap_or(time::Date::MIN)
    }
    pub fn last_day(self) -> time::Date {
        let f = self.first_day();
        f.replace_day(self.month.length(self.year)).unwrap_or(f)
    }
    pub fn contains(self, d: time::Date) -> bool {
        Month::of(d) == self
    }
    /// The month before.
    pub fn prev(self) -> Month {
        match self.month {
            time::Month::January => Month {
                year: self.year - 1,
                month: time::Month::December,
            },
            m => Month {
                year: self.year,
                month: m.previous(),
            },
        }
    }
    /// "tháng 12/2026"
    pub fn vi(self) -> String {
        format!("tháng {}/{}", u8::from(self.month), self.year)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, u8::from(self.month))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a member may type for the roster's "Nguyễn Văn Đức" / "TU.01.01.01", and what
    /// must still be a different name or cell.
    #[test]
    fn registration_matching_table() {
        let roster = name_key("Nguyễn Văn Đức");
        for (typed, same) in [
            ("Nguyễn Văn Đức", true),
            ("NGUYỄN VĂN ĐỨC", true),
            ("nguyen van duc", true),
            ("NGUYEN VAN DUC", true),
            ("  Nguyễn   Văn\tĐức ", true),
            (
                "Nguye\u{302}\u{303}n Va\u{306}n \u{110}u\u{31b}\u{301}c",
                true,
            ), // NFD
            ("Nguyễn Văn Đúc", true), // diacritics are folded away, as the contract says
            ("Nguyễn Văn", false),
            ("Nguyễn Văn Đức Anh", false),
            ("Nguyễn Vănđức", false),
            ("Trần Văn Đức", false),
        ] {
            assert_eq!(
                name_key(typed) == roster,
                same,
                "{typed:?} -> {:?}",
                name_key(typed)
            );
        }
        let code = "TU.01.01.01";
        for (typed, same) in [
            ("TU.01.01.01", true),
            ("Tu.01.01.01", true),
            ("tu.01.01.01", true),
            ("  tU.01.01.01  ", true),
            ("TU.01.01.02", false),
            ("TU.01.01", false),
            ("TU010101", false),
        ] {
            let u = UnitCode::parse(typed).expect("well-formed");
            assert_eq!(same_unit(&u, code), same, "{typed:?}");
        }
    }

    #[test]
    fn parsing_table() {
        assert_eq!(
            CardNumber::parse("01 234.567-89").map(|c| c.to_string()),
            Some("0123456789".into())
        );
        assert_eq!(CardNumber::parse("12a45678"), None);
        assert_eq!(CardNumber::parse("123"), None);
        assert_eq!(
            UnitCode::parse(" TU.DB01 ").map(|u| u.to_string()),
            Some("TU.DB01".into())
        );
        assert_eq!(UnitCode::parse("a b"), None);
        assert_eq!(UnitKind::parse("chi-bo").map(UnitKind::is_cell), Some(true));
        assert_eq!(
            UnitKind::parse("dang-bo").map(UnitKind::is_cell),
            Some(false)
        );
        assert_eq!(
            Role::parse("bi-thu").map(Role::may_record_meeting),
            Some(true)
        );
        assert_eq!(
            EventType::parse("meeting_held"),
            Some(EventType::MeetingHeld)
        );
        assert_eq!(
            spelling_key("  NGUYE\u{302}\u{303}N   Văn  An "),
            "nguyễn văn an"
        );
        assert_eq!(clean_name("Nguyễn  Văn\tAn "), "Nguyễn Văn An");
        assert!(parse_date("2026-02-29").is_none());
        let m = Month::parse("2026-01").expect("month");
        assert_eq!(
            (m.to_string(), m.prev().to_string()),
            ("2026-01".into(), "2025-12".into())
        );
        assert_eq!(m.last_day(), parse_date("2026-01-31").expect("d"));
        assert!(m.contains(parse_date("2026-01-31").expect("d")));
        assert!(!m.contains(parse_date("2026-02-01").expect("d")));
        for bad in [
            "2026-13", "2026-00", "2026-1", "26-01", "2026/01", "+026-01", "2026-0a",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
        assert_eq!(
            parse_date("1960-02-29").map(format_date),
            Some("1960-02-29".into())
        );
    }
}
