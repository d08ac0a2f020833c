//! The reports as Excel files laid out like the committee's paper forms: the title, unit and
//! period above, the table with its totals and percentages, the date and the signature block
//! below, landscape, one page wide.

use super::form::{
    annual_period, cells, cells_head, header, month_mark, verdict, vi_date, ANNUAL_HEAD,
};
use super::{AnnualReport, Row, UsageReport};
use crate::model::MemberStatus;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

type Result<T> = std::result::Result<T, String>;

fn e(x: XlsxError) -> String {
    x.to_string()
}

/// The cell formats the forms use.
struct Styles {
    center: Format,
    bold: Format,
    /// A column head: bold, framed, wrapped, centred, grey.
    th: Format,
    td: Format,
    /// Framed text that wraps (long criteria, cell names).
    td_wrap: Format,
    /// Framed and centred (numbers of rows, verdicts, month marks).
    mid: Format,
    num: Format,
    pct: Format,
    total_txt: Format,
    total_num: Format,
    total_pct: Format,
    total_mid: Format,
}

impl Styles {
    fn new() -> Styles {
        let framed = || Format::new().set_border(FormatBorder::Thin);
        Styles {
            center: Format::new().set_align(FormatAlign::Center),
            bold: Format::new().set_bold(),
            th: framed()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color("#F2F2F2"),
            td: framed(),
            td_wrap: framed().set_text_wrap(),
            mid: framed().set_align(FormatAlign::Center),
            num: framed().set_num_format("#,##0"),
            pct: framed().set_num_format("0.0"),
            total_txt: framed().set_bold(),
            total_num: framed().set_bold().set_num_format("#,##0"),
            total_pct: framed().set_bold().set_num_format("0.0"),
            total_mid: framed().set_bold().set_align(FormatAlign::Center),
        }
    }
}

/// The form's title (bold, large, across all `ncols` columns) and the lines below it.
fn title_block(
    ws: &mut Worksheet,
    ncols: u16,
    title: (&str, &Format),
    lines: &[String],
    s: &Styles,
) -> Result<()> {
    ws.merge_range(0, 0, 0, ncols - 1, title.0, title.1)
        .map_err(e)?;
    for (i, line) in lines.iter().enumerate() {
        let row = 1 + i as u32;
        ws.merge_range(row, 0, row, ncols - 1, line, &s.center)
            .map_err(e)?;
    }
    Ok(())
}

fn title_format(wrap: bool) -> Format {
    let f = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    if wrap {
        f.set_text_wrap()
    } else {
        f
    }
}

/// Landscape, one page wide; the file's bytes.
fn finish(mut wb: Workbook) -> Result<Vec<u8>> {
    if let Ok(ws) = wb.worksheet_from_index(0) {
        ws.set_landscape();
        ws.set_print_fit_to_pages(1, 0);
    }
    wb.save_to_buffer().map_err(e)
}

/// The usage report as an Excel file: title, unit, period, the table with totals and
/// percentages, date and signatures.
pub fn to_xlsx(r: &UsageReport, made_on: time::Date) -> Result<Vec<u8>> {
    let s = Styles::new();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Thống kê").map_err(e)?;
    let head = header(MemberStatus::NAMES);
    let ncols = head.len() as u16;
    let lines = [
        format!("Đơn vị: {} ({})", r.unit.name, r.unit.code),
        format!(
            "Thời gian: từ ngày {} đến ngày {}",
            vi_date(&r.from),
            vi_date(&r.to)
        ),
    ];
    let title = "BẢNG THỐNG KÊ SỐ LƯỢNG ĐẢNG VIÊN ĐĂNG KÝ SỬ DỤNG SỔ TAY ĐẢNG VIÊN ĐIỆN TỬ";
    title_block(ws, ncols, (title, &title_format(false)), &lines, &s)?;
    let top = 4u32;
    ws.set_row_height(top, 45).map_err(e)?;
    for (c, h) in head.iter().enumerate() {
        ws.write_string_with_format(top, c as u16, h, &s.th)
            .map_err(e)?;
    }
    ws.set_column_width(0, 5).map_err(e)?;
    ws.set_column_width(1, 36).map_err(e)?;
    for c in 2..ncols {
        ws.set_column_width(c, 13).map_err(e)?;
    }
    let mut row = top + 1;
    for (i, x) in r.rows.iter().enumerate() {
        usage_row(ws, row, Some(i + 1), x, &s)?;
        row += 1;
    }
    usage_row(ws, row, None, &r.total, &s)?;
    signature(ws, row + 2, ncols, made_on)?;
    finish(wb)
}

/// One row of the usage table: a unit's (`stt` its number) or, without `stt`, the total.
fn usage_row(ws: &mut Worksheet, row: u32, stt: Option<usize>, x: &Row, s: &Styles) -> Result<()> {
    let total = stt.is_none();
    // "Tỷ lệ %" after "Đã đăng ký", and after "Số chi bộ sử dụng trong sinh hoạt".
    let pct_cols = [4u16, 5 + MemberStatus::NAMES.len() as u16 + 3];
    for (c, v) in cells(stt, x).iter().enumerate() {
        let c = c as u16;
        if c == 0 || c == 1 {
            let text = if total && c == 1 { "Tổng cộng" } else { v };
            let f = if total { &s.total_txt } else { &s.td };
            ws.write_string_with_format(row, c, text, f).map_err(e)?;
        } else {
            let n: f64 = v.parse().unwrap_or(0.0);
            let f = match (pct_cols.contains(&c), total) {
                (true, true) => &s.total_pct,
                (true, false) => &s.pct,
                (false, true) => &s.total_num,
                (false, false) => &s.num,
            };
            ws.write_number_with_format(row, c, n, f).map_err(e)?;
        }
    }
    Ok(())
}

/// The annual sheet's columns: STT, the name (criteria span the month columns), twelve
/// months, then the counts, percentage, target and verdict.
const ANNUAL_COLS: u16 = 19;

/// The annual sheet as an Excel file in the form style of [`to_xlsx`]: title, unit, period,
/// the criteria table with targets and verdicts, the cells' months, the signature block.
pub fn annual_xlsx(r: &AnnualReport, made_on: time::Date) -> Result<Vec<u8>> {
    let s = Styles::new();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(format!("Năm {}", r.year)).map_err(e)?;
    let ncols = ANNUAL_COLS;
    ws.set_row_height(0, 40).map_err(e)?;
    let title =
        "BIỂU TIÊU CHÍ SỔ TAY ĐẢNG VIÊN ĐIỆN TỬ PHỤC VỤ ĐÁNH GIÁ, XẾP LOẠI TỔ CHỨC CƠ SỞ ĐẢNG";
    let lines = [
        format!("Đơn vị: {} ({})", r.unit.name, r.unit.code),
        annual_period(r),
    ];
    title_block(ws, ncols, (title, &title_format(true)), &lines, &s)?;
    ws.set_column_width(0, 5).map_err(e)?;
    ws.set_column_width(1, 40).map_err(e)?;
    for c in 2..14 {
        ws.set_column_width(c, 5).map_err(e)?;
    }
    for c in 14..ncols {
        ws.set_column_width(c, 11).map_err(e)?;
    }
    ws.set_column_width(ncols - 1, 12).map_err(e)?;
    let row = criteria_table(ws, r, 4, &s)?;
    let row = cells_table(ws, r, row + 2, &s)?;
    signature(ws, row + 2, ncols, made_on)?;
    finish(wb)
}

/// Part I, the criteria, with its head on row `top`; the conclusion's row.
fn criteria_table(ws: &mut Worksheet, r: &AnnualReport, top: u32, s: &Styles) -> Result<u32> {
    ws.write_string_with_format(top - 1, 0, "I. Các tiêu chí", &s.bold)
        .map_err(e)?;
    ws.set_row_height(top, 30).map_err(e)?;
    ws.write_string_with_format(top, 0, ANNUAL_HEAD[0], &s.th)
        .map_err(e)?;
    ws.merge_range(top, 1, top, 13, ANNUAL_HEAD[1], &s.th)
        .map_err(e)?;
    for (k, h) in ANNUAL_HEAD[2..].iter().enumerate() {
        ws.write_string_with_format(top, 14 + k as u16, *h, &s.th)
            .map_err(e)?;
    }
    let mut row = top + 1;
    for (i, c) in r.criteria.iter().enumerate() {
        ws.set_row_height(row, 30).map_err(e)?;
        ws.write_number_with_format(row, 0, (i + 1) as f64, &s.mid)
            .map_err(e)?;
        ws.merge_range(row, 1, row, 13, &c.name, &s.td_wrap)
            .map_err(e)?;
        ws.write_number_with_format(row, 14, c.part as f64, &s.num)
            .map_err(e)?;
        ws.write_number_with_format(row, 15, c.whole as f64, &s.num)
            .map_err(e)?;
        ws.write_number_with_format(row, 16, c.pct, &s.pct)
            .map_err(e)?;
        ws.write_number_with_format(row, 17, c.target_pct, &s.pct)
            .map_err(e)?;
        ws.write_string_with_format(row, 18, verdict(c.met), &s.mid)
            .map_err(e)?;
        row += 1;
    }
    let conclusion = "Kết luận (đạt cả các tiêu chí)";
    ws.merge_range(row, 0, row, 17, conclusion, &s.total_mid)
        .map_err(e)?;
    ws.write_string_with_format(row, 18, verdict(r.met), &s.total_mid)
        .map_err(e)?;
    Ok(row)
}

/// Part II, the cells month by month, from row `row`; its last row.
fn cells_table(ws: &mut Worksheet, r: &AnnualReport, mut row: u32, s: &Styles) -> Result<u32> {
    ws.write_string_with_format(
        row,
        0,
        "II. Sinh hoạt chi bộ có dùng sổ tay theo tháng (x: có; -: không)",
        &s.bold,
    )
    .map_err(e)?;
    row += 1;
    ws.set_row_height(row, 45).map_err(e)?;
    for (c, h) in cells_head().iter().enumerate() {
        ws.write_string_with_format(row, c as u16, h, &s.th)
            .map_err(e)?;
    }
    for (i, c) in r.cells.iter().enumerate() {
        row += 1;
        ws.write_number_with_format(row, 0, (i + 1) as f64, &s.mid)
            .map_err(e)?;
        ws.write_string_with_format(row, 1, &c.unit_name, &s.td_wrap)
            .map_err(e)?;
        for (m, v) in c.months.iter().enumerate() {
            ws.write_string_with_format(row, 2 + m as u16, month_mark(*v), &s.mid)
                .map_err(e)?;
        }
        ws.write_number_with_format(row, 14, f64::from(c.held), &s.num)
            .map_err(e)?;
        ws.write_number_with_format(row, 15, f64::from(c.due), &s.num)
            .map_err(e)?;
        ws.write_number_with_format(row, 16, c.pct, &s.pct)
            .map_err(e)?;
        ws.write_number_with_format(row, 17, r.targets.meetings_pct, &s.pct)
            .map_err(e)?;
        ws.write_string_with_format(row, 18, verdict(c.met), &s.mid)
            .map_err(e)?;
    }
    Ok(row)
}

/// The date line and the signature block of the committee's forms, from row `sig`.
fn signature(ws: &mut Worksheet, sig: u32, ncols: u16, made_on: time::Date) -> Result<()> {
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
    Ok(())
}
