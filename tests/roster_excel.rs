//! `sotay roster import` with Excel files as staff make them: written by rust_xlsxwriter (a
//! merged title row above the headers, Vietnamese headers, dates as text, as Excel dates and
//! as bare serial numbers, empty rows after the table) and by LibreOffice from a CSV file (dates
//! kept as text, or turned into dates), as a workbook with both sheets or as one file each.
//! What was imported is read back from the database; errors are placed at their cells.

mod common;

use rust_xlsxwriter::{ExcelDateTime, Format, FormatBorder, Workbook};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sotay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sotay"))
        .args(args)
        .output()
        .expect("run sotay")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// (card, name, birth date, unit, status, role, smartphone) as stored.
fn members(db: &Path) -> Vec<(String, String, String, String, String, String, i64)> {
    let c = rusqlite::Connection::open(db).expect("db");
    let mut q = c
        .prepare("SELECT card_number, full_name, birth_date, unit_code, status, role, smartphone FROM members WHERE active = 1 ORDER BY card_number")
        .expect("query");
    q.query_map([], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
        ))
    })
    .expect("rows")
    .collect::<Result<_, _>>()
    .expect("rows")
}

fn units(db: &Path) -> Vec<(String, Option<String>, String)> {
    let c = rusqlite::Connection::open(db).expect("db");
    let mut q = c
        .prepare("SELECT code, parent_code, kind FROM units WHERE active = 1 ORDER BY code")
        .expect("query");
    q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows")
}

const UNIT_ROWS: &[[&str; 4]] = &[
    ["TU", "Đảng bộ tỉnh Mẫu", "", "Tỉnh ủy"],
    ["DB1", "Đảng bộ huyện Một", "TU", "Đảng bộ"],
    ["CB1", "Chi bộ thôn Một", "DB1", "Chi bộ"],
    ["CB2", "Chi bộ Sở Hai", "TU", "Chi bộ cơ sở"],
];

/// The workbook a district's staff would send: titles merged over the table, Vietnamese
/// headers in capitals on one sheet, three ways of writing a date, formatted empty rows below.
fn staff_workbook(path: &Path) {
    let mut wb = Workbook::new();
    let title = Format::new().set_bold();
    let border = Format::new().set_border(FormatBorder::Thin);
    let date = Format::new().set_num_format("dd/mm/yyyy");
    {
        let ws = wb.add_worksheet();
        ws.set_name("Đơn vị").expect("name");
        ws.merge_range(0, 0, 0, 4, "DANH SÁCH ĐƠN VỊ ĐẢNG BỘ TỈNH MẪU", &title)
            .expect("merge");
        for (c, h) in [
            "STT",
            "Mã đơn vị",
            "Tên đơn vị",
            "Mã đơn vị cấp trên",
            "Loại",
        ]
        .iter()
        .enumerate()
        {
            ws.write_string(2, c as u16, *h).expect("w");
        }
        for (i, row) in UNIT_ROWS.iter().enumerate() {
            let r = 3 + i as u32;
            ws.write_number(r, 0, (i + 1) as f64).expect("w");
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    ws.write_string(r, c as u16 + 1, *v).expect("w");
                }
            }
        }
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("Đảng viên").expect("name");
        ws.merge_range(0, 0, 1, 7, "DANH SÁCH ĐẢNG VIÊN\nĐẢNG BỘ TỈNH MẪU", &title)
            .expect("merge");
        for (c, h) in [
            "SỐ THẺ ĐẢNG VIÊN",
            "HỌ VÀ TÊN",
            "NGÀY SINH",
            "MÃ CHI BỘ",
            "TÌNH TRẠNG",
            "CHỨC VỤ",
            "ĐIỆN THOẠI THÔNG MINH",
            "GHI CHÚ",
        ]
        .iter()
        .enumerate()
        {
            ws.write_string(3, c as u16, *h).expect("w");
        }
        let rows: [[&str; 7]; 4] = [
            [
                "01000001",
                "Nguyễn Văn An",
                "",
                "CB1",
                "Chính thức",
                "Bí thư",
                "Có",
            ],
            [
                "01000002",
                "Trần Thị Bình",
                "",
                "CB1",
                "Dự bị",
                "Đảng viên",
                "Không",
            ],
            [
                "01000003",
                "Lê Văn Cường",
                "",
                "CB2",
                "Miễn sinh hoạt",
                "Bí thư",
                "",
            ],
            [
                "01000004",
                "Phạm Thị Dung",
                "",
                "CB2",
                "Chính thức",
                "Phó bí thư",
                "có",
            ],
        ];
        for (i, row) in rows.iter().enumerate() {
            let r = 4 + i as u32;
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    ws.write_string(r, c as u16, *v).expect("w");
                }
            }
        }
        // A date typed as text, a real Excel date, a bare serial number (a date column that
        // lost its format), and text with one-digit day and month.
        ws.write_string(4, 2, "02/01/1960").expect("w");
        ws.write_datetime_with_format(
            5,
            2,
            ExcelDateTime::from_ymd(1975, 5, 13).expect("date"),
            &date,
        )
        .expect("w");
        ws.write_number(6, 2, 17_901.0).expect("w"); // 1949-01-03
        ws.write_string(7, 2, "7/8/1981").expect("w");
        ws.write_string(7, 7, "mới chuyển đến").expect("w");
        // Empty rows with borders below the table, and one with empty text.
        for r in 8..30u32 {
            for c in 0..8u16 {
                ws.write_blank(r, c, &border).expect("w");
            }
        }
        ws.write_string(30, 1, "").expect("w");
    }
    wb.save(path).expect("save");
}

#[test]
fn a_workbook_written_by_rust_xlsxwriter_imports() {
    let dir = tempfile::tempdir().expect("tmp");
    let book = dir.path().join("danh-sach.xlsx");
    staff_workbook(&book);
    let db = dir.path().join("db.sqlite");
    let out = sotay(&[
        "roster",
        "import",
        "--workbook",
        s(&book),
        "--db",
        &format!("sqlite://{}", s(&db)),
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(out.status.success(), "{v}");
    assert_eq!(v["errors"], 0, "{v}");
    assert_eq!(v["imported"]["members"], 4);
    // The one data-quality warning: member 3 has no smartphone answer, at its cell.
    let problems = v["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{v}");
    assert_eq!(problems[0]["place"], "Đảng viên!G7");
    assert_eq!(problems[0]["sheet"], "Đảng viên");
    assert_eq!(problems[0]["column"], "G");
    assert_eq!(problems[0]["line"], 7);
    assert_eq!(
        members(&db),
        [
            (
                "01000001".into(),
                "Nguyễn Văn An".into(),
                "1960-01-02".into(),
                "CB1".into(),
                "chinh-thuc".into(),
                "bi-thu".into(),
                1
            ),
            (
                "01000002".into(),
                "Trần Thị Bình".into(),
                "1975-05-13".into(),
                "CB1".into(),
                "du-bi".into(),
                "dang-vien".into(),
                0
            ),
            (
                "01000003".into(),
                "Lê Văn Cường".into(),
                "1949-01-03".into(),
                "CB2".into(),
                "mien-sinh-hoat".into(),
                "bi-thu".into(),
                1
            ),
            (
                "01000004".into(),
                "Phạm Thị Dung".into(),
                "1981-08-07".into(),
                "CB2".into(),
                "chinh-thuc".into(),
                "pho-bi-thu".into(),
                1
            ),
        ]
    );
    assert_eq!(
        units(&db),
        [
            ("CB1".into(), Some("DB1".into()), "chi-bo".into()),
            ("CB2".into(), Some("TU".into()), "chi-bo-co-so".into()),
            ("DB1".into(), Some("TU".into()), "dang-bo".into()),
            ("TU".into(), None, "tinh-uy".into()),
        ]
    );

    // The same sheets as two files given with --units and --members (each read from the sheet
    // of its name), into a fresh database.
    let db2 = dir.path().join("db2.sqlite");
    let out = sotay(&[
        "roster",
        "import",
        "--units",
        s(&book),
        "--members",
        s(&book),
        "--db",
        &format!("sqlite://{}", s(&db2)),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(members(&db2), members(&db));
}

#[test]
fn errors_are_placed_at_their_cells_and_nothing_is_imported() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Đảng viên").expect("name");
    ws.merge_range(0, 0, 0, 5, "DANH SÁCH", &Format::new())
        .expect("merge");
    let rows: &[[&str; 6]] = &[
        [
            "Số thẻ đảng viên",
            "Họ và tên",
            "Ngày sinh",
            "Mã chi bộ",
            "Tình trạng",
            "Chức vụ",
        ],
        [
            "01000001",
            "Nguyễn Văn An",
            "02/01/1960",
            "CB1",
            "Chính thức",
            "Bí thư",
        ],
        [
            "01000002",
            "Trần Thị Bình",
            "30/02/1975",
            "CB1",
            "Chính thức",
            "Đảng viên",
        ],
        [
            "01000003",
            "Lê Văn Cường",
            "01/01/1970",
            "CB9",
            "Chính thức",
            "Đảng viên",
        ],
        [
            "01000004",
            "Phạm Thị Dung",
            "01/01/1971",
            "CB1",
            "đã mất",
            "Đảng viên",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32 + 2, c as u16, *v).expect("w");
        }
    }
    let members = dir.path().join("dang-vien.xlsx");
    wb.save(&members).expect("save");
    let units = dir.path().join("don-vi.csv");
    std::fs::write(
        &units,
        "code,name,parent_code,kind\nTU,Tỉnh,,tinh-uy\nCB1,Chi bộ 1,TU,chi-bo\n",
    )
    .expect("w");
    let db = dir.path().join("db.sqlite");
    let out = sotay(&[
        "roster",
        "import",
        "--units",
        s(&units),
        "--members",
        s(&members),
        "--db",
        &format!("sqlite://{}", s(&db)),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let file = s(&members);
    for line in [
        format!("{file}: Đảng viên!C5: lỗi: ngày sinh \"30/02/1975\" không hợp lệ"),
        format!("{file}: Đảng viên!D6: lỗi: mã chi bộ CB9 không có trong danh sách đơn vị"),
        format!("{file}: Đảng viên!E7: lỗi: tình trạng \"đã mất\" không hợp lệ"),
        "chưa nhập gì: 3 lỗi".to_string(),
    ] {
        assert!(err.contains(&line), "{line:?} not in:\n{err}");
    }
    assert!(
        !db.exists() || members_count(&db) == 0,
        "nothing is imported when there is an error"
    );
}

fn members_count(db: &Path) -> i64 {
    rusqlite::Connection::open(db)
        .expect("db")
        .query_row("SELECT count(*) FROM members", [], |r| r.get(0))
        .unwrap_or(0)
}

/// Converts `csv` to .xlsx with LibreOffice, each column read as `formats` says (LibreOffice's
/// CSV filter codes: 1 standard, 2 text, 4 a date day/month/year).
fn libreoffice(csv: &Path, formats: &[u8], out: &Path) -> PathBuf {
    let cols: Vec<String> = formats
        .iter()
        .enumerate()
        .map(|(i, f)| format!("{}/{f}", i + 1))
        .collect();
    let profile = out.join("lo-profile");
    let o = Command::new("soffice")
        .arg(format!("-env:UserInstallation=file://{}", s(&profile)))
        .arg("--headless")
        .arg(format!("--infilter=CSV:44,34,76,1,{}", cols.join("/")))
        .args(["--convert-to", "xlsx", "--outdir"])
        .arg(out)
        .arg(csv)
        .env("HOME", out)
        .output()
        .expect("LibreOffice (soffice) must be installed for this test: Debian package libreoffice-calc-nogui (.ci/run installs it)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let name = csv.file_stem().expect("stem").to_string_lossy().to_string();
    let x = out.join(format!("{name}.xlsx"));
    assert!(
        x.exists(),
        "LibreOffice wrote no {}: {}",
        x.display(),
        String::from_utf8_lossy(&o.stdout)
    );
    x
}

#[test]
fn files_converted_by_libreoffice_import() {
    let dir = tempfile::tempdir().expect("tmp");
    let units_csv = dir.path().join("don-vi.csv");
    let mut u =
        String::from("Danh sách đơn vị,,,,\nSTT,Mã đơn vị,Tên đơn vị,Mã đơn vị cấp trên,Loại\n");
    for (i, r) in UNIT_ROWS.iter().enumerate() {
        u.push_str(&format!("{},{}\n", i + 1, r.join(",")));
    }
    u.push_str(",,,,\n,,,,\n");
    std::fs::write(&units_csv, u).expect("w");
    let members_csv = dir.path().join("dang-vien.csv");
    std::fs::write(
        &members_csv,
        "DANH SÁCH ĐẢNG VIÊN,,,,,,,\n,,,,,,,\nSTT,Số thẻ đảng viên,Họ và tên,Ngày sinh,Mã chi bộ,Tình trạng,Chức vụ,Điện thoại thông minh\n1,01000001,Nguyễn Văn An,02/01/1960,CB1,Chính thức,Bí thư,Có\n2,01000002,Trần Thị Bình,13/05/1975,CB1,Dự bị,Đảng viên,Không\n3,01000003,Lê Văn Cường,03/01/1949,CB2,Miễn sinh hoạt,Bí thư,Có\n4,01000004,Phạm Thị Dung,7/8/1981,CB2,Chính thức,Phó bí thư,Có\n,,,,,,,\n,,,,,,,\n",
    )
    .expect("w");
    // The units: codes as text. The members twice: the date column kept as text, and read
    // as day/month/year dates (stored by LibreOffice as serial numbers with a date format).
    // Card numbers as text, as staff must (else Excel drops their leading zeros).
    let units_x = libreoffice(&units_csv, &[1, 2, 1, 2, 1], &dir.path().join("u"));
    let text_dates = libreoffice(
        &members_csv,
        &[1, 2, 1, 2, 2, 1, 1, 1],
        &dir.path().join("a"),
    );
    let real_dates = libreoffice(
        &members_csv,
        &[1, 2, 1, 4, 2, 1, 1, 1],
        &dir.path().join("b"),
    );
    let mut stored = Vec::new();
    for (i, m) in [&text_dates, &real_dates].iter().enumerate() {
        let db = dir.path().join(format!("db{i}.sqlite"));
        let out = sotay(&[
            "roster",
            "import",
            "--units",
            s(&units_x),
            "--members",
            s(m),
            "--db",
            &format!("sqlite://{}", s(&db)),
        ]);
        assert!(
            out.status.success(),
            "{}: {}",
            m.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let got = members(&db);
        assert_eq!(
            got.iter()
                .map(|m| (m.0.as_str(), m.2.as_str()))
                .collect::<Vec<_>>(),
            [
                ("01000001", "1960-01-02"),
                ("01000002", "1975-05-13"),
                ("01000003", "1949-01-03"),
                ("01000004", "1981-08-07"),
            ],
            "{}",
            m.display()
        );
        assert_eq!(units(&db).len(), 4);
        stored.push(got);
    }
    assert_eq!(stored[0], stored[1]);

    // Card numbers left to LibreOffice's "standard" reading become numbers and lose their
    // leading zero: the import warns, once, at the first such cell.
    let numbers = libreoffice(
        &members_csv,
        &[1, 1, 1, 2, 2, 1, 1, 1],
        &dir.path().join("c"),
    );
    let db = dir.path().join("db-numbers.sqlite");
    let out = sotay(&[
        "roster",
        "import",
        "--units",
        s(&units_x),
        "--members",
        s(&numbers),
        "--db",
        &format!("sqlite://{}", s(&db)),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let warning = format!(
        "{}: dang-vien!B4: cảnh báo: 4 số thẻ được lưu dạng số",
        s(&numbers)
    );
    assert!(err.contains(&warning), "{warning:?} not in:\n{err}");
    let cards: Vec<String> = members(&db).into_iter().map(|m| m.0).collect();
    assert_eq!(cards, ["1000001", "1000002", "1000003", "1000004"]);
}

#[test]
fn the_template_from_the_command_line_imports_as_it_is() {
    let dir = tempfile::tempdir().expect("tmp");
    let t = dir.path().join("mau.xlsx");
    let out = sotay(&["roster", "template", "--out", s(&t)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = dir.path().join("db.sqlite");
    let out = sotay(&[
        "roster",
        "import",
        "--workbook",
        s(&t),
        "--db",
        &format!("sqlite://{}", s(&db)),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(members(&db).len(), 2);
    // --workbook wants both sheets.
    let one = dir.path().join("one.xlsx");
    let mut wb = Workbook::new();
    wb.add_worksheet().set_name("Đảng viên").expect("name");
    wb.save(&one).expect("save");
    let out = sotay(&[
        "roster",
        "import",
        "--workbook",
        s(&one),
        "--db",
        &format!("sqlite://{}", s(&db)),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("không có trang \"Đơn vị\"; các trang của tệp: \"Đảng viên\""),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn convert_writes_the_workbook_staff_keep_and_it_imports_the_same() {
    let dir = tempfile::tempdir().expect("tmp");
    let roster = dir.path().join("r");
    assert!(
        sotay(&["roster", "sample", "--members", "300", "--out", s(&roster)])
            .status
            .success()
    );
    let book = dir.path().join("r.xlsx");
    let out = sotay(&[
        "roster",
        "convert",
        "--units",
        s(&roster.join("units.csv")),
        "--members",
        s(&roster.join("members.csv")),
        "--out",
        s(&book),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (a, b) = (dir.path().join("a.sqlite"), dir.path().join("b.sqlite"));
    let from_csv = sotay(&[
        "roster",
        "import",
        "--units",
        s(&roster.join("units.csv")),
        "--members",
        s(&roster.join("members.csv")),
        "--db",
        &format!("sqlite://{}", s(&a)),
    ]);
    assert!(from_csv.status.success());
    let from_xlsx = sotay(&[
        "roster",
        "import",
        "--workbook",
        s(&book),
        "--db",
        &format!("sqlite://{}", s(&b)),
    ]);
    assert!(
        from_xlsx.status.success(),
        "{}",
        String::from_utf8_lossy(&from_xlsx.stderr)
    );
    assert_eq!(members(&a), members(&b));
    assert_eq!(units(&a), units(&b));
    assert!(members(&a).len() >= 300);
    // A roster with errors is not written.
    std::fs::write(roster.join("members.csv"), "card_number,full_name\n1,x\n").expect("w");
    let bad = dir.path().join("bad.xlsx");
    let out = sotay(&[
        "roster",
        "convert",
        "--units",
        s(&roster.join("units.csv")),
        "--members",
        s(&roster.join("members.csv")),
        "--out",
        s(&bad),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!bad.exists());
}
