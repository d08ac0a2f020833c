//! Roster workbooks written for staff: the template (headers and a filled example), a unit's
//! current roster with what needs fixing (the data-quality export, filled in and uploaded
//! back), and a subtree's roster before a change (the change log's "previous state"). All
//! three are laid out alike — a title row, a note, the header, the rows — and read back by
//! `table`, so any of them can be uploaded as it is.

use super::quality::{Finding, Index, Kind};
use super::{Member, Unit};
use crate::model::{MemberStatus, Role, UnitKind};
use rust_xlsxwriter::{
    DataValidation, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
    XlsxError,
};

/// The row of the header (0-based): a title and a note are above it.
pub const HEADER_ROW: u32 = 2;

fn e(x: XlsxError) -> String {
    x.to_string()
}

struct Styles {
    title: Format,
    note: Format,
    th: Format,
    td: Format,
    text: Format,
    date: Format,
    fix: Format,
    fix_text: Format,
    fix_date: Format,
}

impl Styles {
    fn new() -> Styles {
        let td = Format::new().set_border(FormatBorder::Thin);
        let yellow = "#FFF2CC";
        Styles {
            title: Format::new()
                .set_bold()
                .set_font_size(14)
                .set_align(FormatAlign::Center),
            note: Format::new().set_italic().set_font_color("#595959"),
            th: Format::new()
                .set_bold()
                .set_border(FormatBorder::Thin)
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color("#F2F2F2"),
            text: td.clone().set_num_format("@"),
            date: td.clone().set_num_format("dd/mm/yyyy"),
            fix: td.clone().set_background_color(yellow),
            fix_text: td.clone().set_num_format("@").set_background_color(yellow),
            fix_date: td
                .clone()
                .set_num_format("dd/mm/yyyy")
                .set_background_color(yellow),
            td,
        }
    }
}

fn list(
    ws: &mut Worksheet,
    col: u16,
    first: u32,
    values: &[&str],
    msg: &str,
) -> Result<(), String> {
    let dv = DataValidation::new()
        .allow_list_strings(values)
        .map_err(e)?
        .set_input_message(msg)
        .map_err(e)?;
    ws.add_data_validation(first, col, first + 200_000, col, &dv)
        .map_err(e)?;
    Ok(())
}

fn head(
    ws: &mut Worksheet,
    s: &Styles,
    title: &str,
    note: &str,
    cols: &[(&str, f64)],
) -> Result<(), String> {
    let last = cols.len() as u16 - 1;
    ws.merge_range(0, 0, 0, last, title, &s.title).map_err(e)?;
    ws.merge_range(1, 0, 1, last, note, &s.note).map_err(e)?;
    ws.set_row_height(HEADER_ROW, 32).map_err(e)?;
    for (c, (name, width)) in cols.iter().enumerate() {
        ws.write_string_with_format(HEADER_ROW, c as u16, *name, &s.th)
            .map_err(e)?;
        ws.set_column_width(c as u16, *width).map_err(e)?;
    }
    ws.set_freeze_panes(HEADER_ROW + 1, 0).map_err(e)?;
    Ok(())
}

/// What a workbook holds.
pub struct Content<'a> {
    /// The title's unit ("Đảng bộ huyện A"), or the template's words.
    pub title: String,
    pub units: &'a [Unit],
    pub members: &'a [Member],
    /// Findings to show in a "Cần sửa" column, for the data-quality export.
    pub findings: Option<&'a Index>,
    /// The name of each unit (a member's cell, written beside its code).
    pub unit_name: &'a dyn Fn(&crate::model::UnitCode) -> String,
}

/// Puts the filter buttons on the header of a sheet of `rows` rows and `cols` columns.
fn autofilter(ws: &mut Worksheet, rows: usize, cols: usize) -> Result<(), String> {
    ws.autofilter(HEADER_ROW, 0, HEADER_ROW + rows as u32, cols as u16 - 1)
        .map_err(e)?;
    Ok(())
}

/// The workbook of `c`: sheets "Đơn vị", "Đảng viên" and "Hướng dẫn".
pub fn workbook(c: &Content) -> Result<Vec<u8>, String> {
    let s = Styles::new();
    let mut wb = Workbook::new();
    units_sheet(wb.add_worksheet(), &s, c)?;
    members_sheet(wb.add_worksheet(), &s, c)?;
    guide_sheet(wb.add_worksheet())?;
    wb.save_to_buffer().map_err(e)
}

/// The findings' messages, one after the other (the "Cần sửa" column).
fn messages(found: &[Finding]) -> String {
    found
        .iter()
        .map(|f| f.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Writes sheet "Đơn vị": the units of `c`, a cell's findings marked.
fn units_sheet(ws: &mut Worksheet, s: &Styles, c: &Content) -> Result<(), String> {
    let fixes = c.findings.is_some();
    ws.set_name("Đơn vị").map_err(e)?;
    let mut cols = vec![
        ("STT", 6.0),
        ("Mã đơn vị", 18.0),
        ("Tên đơn vị", 40.0),
        ("Mã đơn vị cấp trên", 18.0),
        ("Loại", 16.0),
    ];
    if fixes {
        cols.push(("Cần sửa", 50.0));
    }
    head(
        ws,
        s,
        &format!("DANH SÁCH ĐƠN VỊ — {}", c.title),
        "Mỗi dòng một đơn vị. Dòng đầu là đơn vị của tệp: mã đơn vị cấp trên và loại của nó do cấp trên quản lý.",
        &cols,
    )?;
    let kinds: Vec<&str> = UnitKind::ALL.iter().map(|k| k.label()).collect();
    list(ws, 4, HEADER_ROW + 1, &kinds, "Chọn loại đơn vị")?;
    for (i, u) in c.units.iter().enumerate() {
        unit_row(ws, s, c, i, u)?;
    }
    autofilter(ws, c.units.len(), cols.len())?;
    Ok(())
}

/// Writes unit `u`, the `i`-th of `c`, in its row: all yellow if the cell has findings.
fn unit_row(ws: &mut Worksheet, s: &Styles, c: &Content, i: usize, u: &Unit) -> Result<(), String> {
    let r = HEADER_ROW + 1 + i as u32;
    let cell_fix = c
        .findings
        .and_then(|f| f.by_cell.get(&u.code))
        .filter(|v| !v.is_empty());
    let fmt = if cell_fix.is_some() { &s.fix } else { &s.td };
    let tfmt = if cell_fix.is_some() {
        &s.fix_text
    } else {
        &s.text
    };
    ws.write_number_with_format(r, 0, (i + 1) as f64, fmt)
        .map_err(e)?;
    ws.write_string_with_format(r, 1, u.code.as_str(), tfmt)
        .map_err(e)?;
    ws.write_string_with_format(r, 2, &u.name, fmt).map_err(e)?;
    ws.write_string_with_format(
        r,
        3,
        u.parent.as_ref().map(|p| p.as_str()).unwrap_or(""),
        tfmt,
    )
    .map_err(e)?;
    ws.write_string_with_format(r, 4, u.kind.label(), fmt)
        .map_err(e)?;
    if c.findings.is_some() {
        let text = cell_fix.map(|v| messages(v)).unwrap_or_default();
        ws.write_string_with_format(r, 5, &text, fmt).map_err(e)?;
    }
    Ok(())
}

/// Writes sheet "Đảng viên" (the active one): the members of `c`, the cells of their
/// findings marked.
fn members_sheet(ws: &mut Worksheet, s: &Styles, c: &Content) -> Result<(), String> {
    ws.set_name("Đảng viên").map_err(e)?;
    let mut cols = vec![
        ("STT", 6.0),
        ("Số thẻ đảng viên", 16.0),
        ("Họ và tên", 28.0),
        ("Ngày sinh", 12.0),
        ("Mã chi bộ", 18.0),
        ("Tên chi bộ", 30.0),
        ("Tình trạng", 14.0),
        ("Chức vụ", 14.0),
        ("Điện thoại thông minh", 14.0),
    ];
    if c.findings.is_some() {
        cols.push(("Cần sửa", 60.0));
    }
    head(
        ws,
        s,
        &format!("DANH SÁCH ĐẢNG VIÊN — {}", c.title),
        "Ngày sinh ghi ngày/tháng/năm (02/01/1960). Cột Tên chi bộ và Cần sửa chỉ để xem: sotay không đọc hai cột này.",
        &cols,
    )?;
    ws.set_column_format(1, &s.text).map_err(e)?;
    ws.set_column_format(3, &s.date).map_err(e)?;
    let statuses: Vec<&str> = MemberStatus::ALL.iter().map(|k| k.label()).collect();
    let roles: Vec<&str> = Role::ALL.iter().map(|k| k.label()).collect();
    list(ws, 6, HEADER_ROW + 1, &statuses, "Chọn tình trạng")?;
    list(ws, 7, HEADER_ROW + 1, &roles, "Chọn chức vụ")?;
    list(
        ws,
        8,
        HEADER_ROW + 1,
        &["Có", "Không"],
        "Có điện thoại thông minh không?",
    )?;
    for (i, m) in c.members.iter().enumerate() {
        member_row(ws, s, c, i, m)?;
    }
    autofilter(ws, c.members.len(), cols.len())?;
    ws.set_active(true);
    Ok(())
}

/// Writes member `m`, the `i`-th of `c`, in its row: the cells a finding is about in yellow.
fn member_row(
    ws: &mut Worksheet,
    s: &Styles,
    c: &Content,
    i: usize,
    m: &Member,
) -> Result<(), String> {
    let r = HEADER_ROW + 1 + i as u32;
    let found = c
        .findings
        .and_then(|f| f.by_member.get(&m.card))
        .map(|v| v.as_slice())
        .unwrap_or(&[]);
    let has = |k: Kind| found.iter().any(|f| f.kind == k);
    let (td, text, date) = (&s.td, &s.text, &s.date);
    let pick = |bad: bool, normal: &Format, marked: &Format| -> Format {
        if bad {
            marked.clone()
        } else {
            normal.clone()
        }
    };
    ws.write_number_with_format(r, 0, (i + 1) as f64, td)
        .map_err(e)?;
    ws.write_string_with_format(r, 1, m.card.as_str(), text)
        .map_err(e)?;
    ws.write_string_with_format(
        r,
        2,
        &m.full_name,
        &pick(has(Kind::NameForm) || has(Kind::SameNameBirth), td, &s.fix),
    )
    .map_err(e)?;
    let d = m.birth_date;
    let when = ExcelDateTime::from_ymd(d.year() as u16, u8::from(d.month()), d.day()).map_err(e)?;
    ws.write_datetime_with_format(
        r,
        3,
        &when,
        &pick(has(Kind::SameNameBirth), date, &s.fix_date),
    )
    .map_err(e)?;
    ws.write_string_with_format(
        r,
        4,
        m.unit.as_str(),
        &pick(has(Kind::NotInCell), text, &s.fix_text),
    )
    .map_err(e)?;
    ws.write_string_with_format(r, 5, (c.unit_name)(&m.unit), td)
        .map_err(e)?;
    ws.write_string_with_format(r, 6, m.status.label(), td)
        .map_err(e)?;
    ws.write_string_with_format(r, 7, m.role.label(), td)
        .map_err(e)?;
    let phone = match m.smartphone {
        Some(true) => "Có",
        Some(false) => "Không",
        None => "",
    };
    ws.write_string_with_format(r, 8, phone, &pick(has(Kind::SmartphoneMissing), td, &s.fix))
        .map_err(e)?;
    if c.findings.is_some() {
        ws.write_string_with_format(r, 9, messages(found), &pick(!found.is_empty(), td, &s.fix))
            .map_err(e)?;
    }
    Ok(())
}

/// Writes sheet "Hướng dẫn": how to fill in each column.
fn guide_sheet(ws: &mut Worksheet) -> Result<(), String> {
    ws.set_name("Hướng dẫn").map_err(e)?;
    ws.set_column_width(0, 26).map_err(e)?;
    ws.set_column_width(1, 90).map_err(e)?;
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    let lines: Vec<(String, String)> = vec![
        ("Cách dùng".into(), "Điền hoặc sửa hai trang \"Đơn vị\" và \"Đảng viên\", rồi tải tệp lên trang Danh sách đảng viên của sổ tay (mục Quản trị). Sổ tay kiểm tra tệp và cho xem trước những gì thay đổi; chỉ khi bấm \"Áp dụng\" danh sách mới được cập nhật.".into()),
        ("Mã đơn vị".into(), "Chữ không dấu, số và các dấu . _ - (ví dụ TU.01.02). Mỗi đơn vị một mã, không trùng.".into()),
        ("Loại".into(), UnitKind::ALL.iter().map(|k| k.label()).collect::<Vec<_>>().join(", ")),
        ("Số thẻ đảng viên".into(), "Các chữ số trên thẻ đảng viên (6 đến 20 chữ số). Cột này để dạng Văn bản để giữ số 0 ở đầu.".into()),
        ("Ngày sinh".into(), "Ngày/tháng/năm, ví dụ 02/01/1960 (ngày 2 tháng 1).".into()),
        ("Mã chi bộ".into(), "Mã của chi bộ (Chi bộ hoặc Chi bộ cơ sở) nơi đảng viên sinh hoạt.".into()),
        ("Tình trạng".into(), MemberStatus::ALL.iter().map(|k| k.label()).collect::<Vec<_>>().join(", ")),
        ("Chức vụ".into(), Role::ALL.iter().map(|k| k.label()).collect::<Vec<_>>().join(", ")),
        ("Điện thoại thông minh".into(), "Có hoặc Không. Để trống là chưa rõ (được tính là có).".into()),
        ("Chuyển sinh hoạt".into(), "Đảng viên đang sinh hoạt ở đơn vị ngoài phạm vi của tệp không thêm được vào tệp: việc chuyển sinh hoạt do cấp trên thực hiện.".into()),
    ];
    for (i, (k, v)) in lines.iter().enumerate() {
        ws.write_string_with_format(i as u32, 0, k, &bold)
            .map_err(e)?;
        ws.write_string_with_format(i as u32, 1, v, &wrap)
            .map_err(e)?;
    }
    Ok(())
}

/// The template to download: the header rows and a filled example that imports as it is.
pub fn template() -> Result<Vec<u8>, String> {
    use crate::model::{CardNumber, UnitCode};
    let code = |s: &str| UnitCode::parse(s).ok_or_else(|| format!("bad code {s}"));
    let units = vec![
        Unit {
            code: code("DB.TANLAP")?,
            name: "Đảng bộ xã Tân Lập".into(),
            parent: None,
            kind: UnitKind::DangBoCoSo,
        },
        Unit {
            code: code("DB.TANLAP.01")?,
            name: "Chi bộ thôn Đông".into(),
            parent: Some(code("DB.TANLAP")?),
            kind: UnitKind::ChiBo,
        },
    ];
    let date = |s: &str| crate::model::parse_date(s).ok_or_else(|| format!("bad date {s}"));
    let card = |s: &str| CardNumber::parse(s).ok_or_else(|| format!("bad card {s}"));
    let members = vec![
        Member {
            card: card("01012345")?,
            full_name: "Nguyễn Văn An".into(),
            birth_date: date("1960-01-02")?,
            unit: code("DB.TANLAP.01")?,
            status: MemberStatus::ChinhThuc,
            role: Role::BiThu,
            smartphone: Some(true),
        },
        Member {
            card: card("01012346")?,
            full_name: "Trần Thị Bình".into(),
            birth_date: date("1985-11-20")?,
            unit: code("DB.TANLAP.01")?,
            status: MemberStatus::DuBi,
            role: Role::DangVien,
            smartphone: Some(false),
        },
    ];
    let name_of = |u: &UnitCode| {
        if u.as_str() == "DB.TANLAP.01" {
            "Chi bộ thôn Đông".to_string()
        } else {
            String::new()
        }
    };
    workbook(&Content {
        title: "MẪU (thay các dòng ví dụ bằng danh sách của đơn vị)".into(),
        units: &units,
        members: &members,
        findings: None,
        unit_name: &name_of,
    })
}
