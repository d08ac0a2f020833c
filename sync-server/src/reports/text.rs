//! The reports as text: CSV (UTF-8 with a byte-order mark, so that Excel reads the Vietnamese
//! right) and the table `sotay report usage` prints.

use super::form::{
    annual_period, cells, cells_head, fmt_pct, header, month_mark, verdict, vi_date, ANNUAL_HEAD,
};
use super::{AnnualReport, UsageReport};
use crate::model::MemberStatus;

/// CSV in UTF-8 with a BOM, so that Excel shows Vietnamese correctly.
pub fn to_csv(r: &UsageReport) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(vec![0xEF, 0xBB, 0xBF]);
    let _ = w.write_record(["Đơn vị", &format!("{} ({})", r.unit.name, r.unit.code)]);
    let _ = w.write_record([
        "Thời gian",
        &format!("từ ngày {} đến ngày {}", vi_date(&r.from), vi_date(&r.to)),
    ]);
    let _ = w.write_record([""]);
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

/// The annual sheet as CSV (UTF-8 with a BOM): the unit and the period on the first lines,
/// then the criteria with their targets and verdicts, then the cells month by month.
pub fn annual_csv(r: &AnnualReport) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(vec![0xEF, 0xBB, 0xBF]);
    let _ = w.write_record(["Đơn vị", &format!("{} ({})", r.unit.name, r.unit.code)]);
    let _ = w.write_record(["Kỳ báo cáo", &annual_period(r)]);
    let _ = w.write_record([
        "Biểu",
        "Tiêu chí sổ tay đảng viên điện tử phục vụ đánh giá, xếp loại tổ chức cơ sở đảng",
    ]);
    let _ = w.write_record([""]);
    let _ = w.write_record(ANNUAL_HEAD);
    for (i, c) in r.criteria.iter().enumerate() {
        let _ = w.write_record([
            (i + 1).to_string(),
            c.name.clone(),
            c.part.to_string(),
            c.whole.to_string(),
            fmt_pct(c.pct),
            fmt_pct(c.target_pct),
            verdict(c.met).to_string(),
        ]);
    }
    let _ = w.write_record([
        "",
        "Kết luận (đạt cả các tiêu chí)",
        "",
        "",
        "",
        "",
        verdict(r.met),
    ]);
    let _ = w.write_record([""]);
    let _ = w.write_record(cells_head());
    for (i, c) in r.cells.iter().enumerate() {
        let mut row = vec![(i + 1).to_string(), c.unit_name.clone()];
        row.extend(c.months.iter().map(|m| month_mark(*m).to_string()));
        row.extend([
            c.held.to_string(),
            c.due.to_string(),
            fmt_pct(c.pct),
            fmt_pct(r.targets.meetings_pct),
            verdict(c.met).to_string(),
        ]);
        let _ = w.write_record(row);
    }
    w.into_inner().unwrap_or_default()
}
