//! The report forms' columns and cells as text, the same in every file format: the usage
//! report's columns and rows, the annual sheet's criteria and months, Vietnamese dates.

use super::{AnnualReport, Row};
use crate::model::MemberStatus;

/// The columns of the report form, in Vietnamese.
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

/// A member status as the form names it.
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

/// A percentage as the forms write it, one decimal.
pub fn fmt_pct(p: f64) -> String {
    format!("{p:.1}")
}

/// "Đạt" / "Chưa đạt".
pub fn verdict(met: bool) -> &'static str {
    if met {
        "Đạt"
    } else {
        "Chưa đạt"
    }
}

/// What the annual sheet's period says: the year, and the last day counted while it runs.
pub fn annual_period(r: &AnnualReport) -> String {
    if r.as_of.ends_with("-12-31") {
        format!("Năm {}", r.year)
    } else {
        format!("Năm {} (số liệu đến ngày {})", r.year, vi_date(&r.as_of))
    }
}

/// The columns of the annual sheet's criteria table.
pub const ANNUAL_HEAD: [&str; 7] = [
    "STT",
    "Tiêu chí",
    "Đạt được",
    "Tổng số",
    "Tỷ lệ %",
    "Mục tiêu %",
    "Kết quả",
];

/// A cell's months as the sheet writes them: "x" held, "-" not held, "" not yet due.
pub fn month_mark(m: Option<bool>) -> &'static str {
    match m {
        Some(true) => "x",
        Some(false) => "-",
        None => "",
    }
}

/// The columns of the annual sheet's cells table.
pub fn cells_head() -> Vec<String> {
    let mut h = vec!["STT".to_string(), "Chi bộ".into()];
    h.extend((1..=12).map(|m| format!("T{m}")));
    h.extend([
        "Số tháng có sinh hoạt".to_string(),
        "Số tháng phải sinh hoạt".into(),
        "Tỷ lệ %".into(),
        "Mục tiêu %".into(),
        "Kết quả".into(),
    ]);
    h
}

/// `YYYY-MM-DD` as Vietnamese write it, `DD/MM/YYYY`.
pub fn vi_date(iso: &str) -> String {
    let p: Vec<&str> = iso.split('-').collect();
    if p.len() == 3 {
        format!("{}/{}/{}", p[2], p[1], p[0])
    } else {
        iso.to_string()
    }
}
