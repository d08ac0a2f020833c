//! Reading roster files end to end: each table of inputs and the problems reported, with
//! their places.

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
    let (r, p) = run(UNITS, "card_number,full_name,birth_date,unit_code,status,role,smartphone\n01000001,Nguyễn Văn An,1960-01-02,CB1,chinh-thuc,bi-thu,co\n01000002,Trần Thị Bình,1975-05-06,CB2,du-bi,bi-thu,khong\n");
    assert!(p.is_empty(), "{p:?}");
    let r = r.expect("roster");
    assert_eq!(r.units.len(), 4);
    assert_eq!(r.members.len(), 2);
    assert_eq!(r.members[1].smartphone, Some(false));
    assert_eq!(
        r.units.iter().map(|u| u.code.as_str()).collect::<Vec<_>>(),
        ["TU", "DB1", "CB1", "CB2"]
    );
}

#[test]
fn every_problem_with_its_line() {
    let units = "code,name,parent_code,kind\nTU,Tỉnh,,tinh-uy\nDB1,Đảng bộ,TU,dang-bo\nDB1,Lặp,TU,dang-bo\nX,Mồ côi,,dang-bo\nCB1,Chi bộ,DB1,chi-bo\nCB9,Chi bộ,ZZ,chi-bo\nC1,Vòng 1,C2,dang-bo\nC2,Vòng 2,C1,dang-bo\nCB3,Chi bộ  3,DB1,chi-bo\nK,Sai,DB1,to-dan-pho\n";
    let members = "card_number,full_name,birth_date,unit_code,status,role,smartphone\n01000001,Nguyễn Văn An,1960-01-02,CB1,chinh-thuc,bi-thu,co\n01000001,Lê Văn Cường,1961-02-30,CB1,chinh-thuc,dang-vien,co\n0100x,Phạm Dũng,1962-01-01,DB1,old,boss,co\n01000004,nguye\u{302}\u{303}n  văn an,1960-01-02,CB1,chinh-thuc,dang-vien,co\n01000005,Hồ Văn E,1970-01-01,NOPE,chinh-thuc,dang-vien,co\n";
    let (r, p) = run(units, members);
    assert!(r.is_none());
    assert_eq!(
        p,
        [
            "/members.csv:3: lỗi: ngày sinh \"1961-02-30\" không hợp lệ (ngày/tháng/năm như 02/01/1960, một ngày có thật)",
            "/members.csv:3: lỗi: số thẻ 01000001 bị trùng (đã có ở dòng 2)",
            "/members.csv:4: lỗi: số thẻ đảng viên \"0100x\" không hợp lệ (6 đến 20 chữ số)",
            "/members.csv:4: lỗi: tình trạng \"old\" không hợp lệ; dùng một trong: Chính thức, Dự bị, Miễn sinh hoạt",
            "/members.csv:4: lỗi: chức vụ \"boss\" không hợp lệ; dùng một trong: Đảng viên, Bí thư, Phó bí thư, Cấp ủy viên",
            "/members.csv:5: cảnh báo: họ và tên của 01000004 đã được chuẩn hóa (dạng Unicode hoặc khoảng trắng): \"nguyễn văn an\"",
            "/members.csv:5: cảnh báo: \"nguye\u{302}\u{303}n  văn an\" và \"Nguyễn Văn An\" (dòng 2) ở CB1 chỉ khác nhau về dạng Unicode, chữ hoa, chữ thường hoặc khoảng trắng; kiểm tra xem có phải hai người",
            "/members.csv:5: cảnh báo: họ và tên \"nguyễn văn an\" chưa viết theo dạng chuẩn; nên là \"Nguyễn Văn An\"",
            "/members.csv:6: lỗi: mã chi bộ NOPE không có trong danh sách đơn vị",
            "/units.csv:4: lỗi: mã đơn vị DB1 bị trùng (đã có ở dòng 3)",
            "/units.csv:5: lỗi: đơn vị X không có đơn vị cấp trên, nhưng TU đã là đơn vị gốc; đảng viên của đơn vị này sẽ nằm ngoài mọi báo cáo",
            "/units.csv:7: lỗi: đơn vị CB9 có đơn vị cấp trên ZZ không có trong danh sách đơn vị",
            "/units.csv:7: cảnh báo: chi bộ CB9 chưa có đảng viên",
            "/units.csv:8: lỗi: đơn vị C1 là cấp trên của chính nó (vòng qua C2)",
            "/units.csv:9: lỗi: đơn vị C2 là cấp trên của chính nó (vòng qua C1)",
            "/units.csv:10: cảnh báo: tên đơn vị CB3 đã được chuẩn hóa (dạng Unicode hoặc khoảng trắng): \"Chi bộ 3\"",
            "/units.csv:10: cảnh báo: chi bộ CB3 chưa có đảng viên",
            "/units.csv:11: lỗi: loại đơn vị \"to-dan-pho\" không hợp lệ; dùng một trong: Tỉnh ủy (tinh-uy), Đảng bộ (dang-bo), Đảng bộ cơ sở (dang-bo-co-so), Chi bộ cơ sở (chi-bo-co-so), Chi bộ (chi-bo)",
        ]
    );
}

#[test]
fn control_characters_in_names_are_errors_on_their_line() {
    let (r, p) = run(UNITS, "card_number,full_name,birth_date,unit_code,status,role\n01000001,Nguyễn\u{0}Văn An,1960-01-02,CB1,chinh-thuc,bi-thu\n");
    assert!(r.is_none());
    assert!(
        p.iter()
            .any(|x| x.contains(":2:") && x.contains("ký tự điều khiển")),
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
    assert_eq!(
        p,
        [
            "/members.csv:1: lỗi: cột \"extra\" không có trong mẫu; các cột: Số thẻ đảng viên, Họ và tên, Ngày sinh, Mã chi bộ, Tình trạng, Chức vụ, Điện thoại thông minh",
            "/units.csv:1: lỗi: thiếu cột \"Mã đơn vị cấp trên\" (parent_code); các cột cần có: Mã đơn vị, Tên đơn vị, Mã đơn vị cấp trên, Loại",
        ]
    );
}

#[test]
fn vietnamese_headers_values_dates_titles_and_semicolons() {
    // As Excel set to Vietnamese saves CSV: semicolons, a title line, Vietnamese headers and
    // values, dd/mm/yyyy dates, a row number column, empty lines.
    let units = "DANH SÁCH ĐƠN VỊ;;;;\nSTT;Mã đơn vị;Tên đơn vị;Mã đơn vị cấp trên;Loại\n1;TU;Đảng bộ tỉnh Mẫu;;Tỉnh ủy\n2;DB1;Đảng bộ Sở A;TU;Đảng bộ\n;;;;\n3;CB1;Chi bộ 1;DB1;Chi bộ\n";
    let members = "Danh sách đảng viên\n\nSố thẻ đảng viên;HỌ VÀ TÊN;Ngày sinh;Mã chi bộ;Tình trạng;Chức vụ;Điện thoại thông minh\n01000001;Nguyễn Văn An;02/01/1960;CB1;Chính thức;Bí thư;Có\n01000002;Trần Thị Bình;6/5/1975;CB1;Dự bị;Đảng viên;không\n;;;;;;\n";
    let (r, p) = run(units, members);
    assert!(p.is_empty(), "{p:?}");
    let r = r.expect("roster");
    assert_eq!(r.units.len(), 3);
    let m = &r.members;
    assert_eq!(crate::model::format_date(m[0].birth_date), "1960-01-02");
    assert_eq!(crate::model::format_date(m[1].birth_date), "1975-05-06");
    assert_eq!(m[0].role, Role::BiThu);
    assert_eq!(m[1].status, MemberStatus::DuBi);
    assert_eq!(m[1].smartphone, Some(false));
    assert_eq!(r.units[0].kind, UnitKind::TinhUy);
}

#[test]
fn no_header_row_is_one_error() {
    let (r, p) = run(UNITS, "một dòng\nhai dòng\n");
    assert!(r.is_none());
    assert_eq!(
        p,
        ["/members.csv:1: lỗi: không tìm thấy dòng tiêu đề: cần các cột Số thẻ đảng viên, Họ và tên, Ngày sinh, Mã chi bộ, Tình trạng, Chức vụ, Điện thoại thông minh (hoặc card_number,full_name,birth_date,unit_code,status,role,smartphone)"]
    );
}

#[test]
fn data_quality_warnings_of_an_import() {
    let units = "code,name,parent_code,kind\nTU,Tỉnh,,tinh-uy\nCB1,Chi bộ 1,TU,chi-bo\nCB2,Chi bộ 2,TU,chi-bo\n";
    let members = "card_number,full_name,birth_date,unit_code,status,role,smartphone\n01000001,NGUYỄN VĂN AN,1960-01-02,CB1,chinh-thuc,bi-thu,\n01000002,Nguyễn Văn An,1960-01-02,CB2,chinh-thuc,dang-vien,co\n";
    let (r, p) = run(units, members);
    assert!(r.is_some(), "warnings only: {p:?}");
    assert_eq!(
        p,
        [
            "/members.csv:2: cảnh báo: chưa ghi có điện thoại thông minh hay không (đang được tính là có)",
            "/members.csv:2: cảnh báo: họ và tên \"NGUYỄN VĂN AN\" chưa viết theo dạng chuẩn; nên là \"Nguyễn Văn An\"",
            "/members.csv:2: cảnh báo: trùng họ tên và ngày sinh với số thẻ 01000002 ở Chi bộ 2: kiểm tra xem có phải một người được ghi ở hai nơi",
            "/members.csv:3: cảnh báo: trùng họ tên và ngày sinh với số thẻ 01000001 ở Chi bộ 1: kiểm tra xem có phải một người được ghi ở hai nơi",
            "/units.csv:4: cảnh báo: Chi bộ 2 chưa có bí thư",
        ]
    );
}

fn xlsx(sheets: &[(&str, Vec<Vec<&str>>)]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).expect("name");
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if v.is_empty() {
                    continue;
                }
                ws.write_string(r as u32, c as u16, *v).expect("write");
            }
        }
    }
    wb.save_to_buffer().expect("xlsx")
}

#[test]
fn errors_in_a_workbook_are_placed_at_their_cells() {
    let book = xlsx(&[
        (
            "Đơn vị",
            vec![
                vec!["Mã đơn vị", "Tên đơn vị", "Mã đơn vị cấp trên", "Loại"],
                vec!["TU", "Tỉnh", "", "Tỉnh ủy"],
                vec!["CB1", "Chi bộ 1", "TU", "Chi bộ"],
            ],
        ),
        (
            "Đảng viên",
            vec![
                vec!["DANH SÁCH"],
                vec![],
                vec![
                    "STT",
                    "Số thẻ đảng viên",
                    "Họ và tên",
                    "Ngày sinh",
                    "Mã chi bộ",
                    "Tình trạng",
                    "Chức vụ",
                ],
                vec![
                    "1",
                    "01000001",
                    "Nguyễn Văn An",
                    "31/02/1960",
                    "CB1",
                    "Chính thức",
                    "Bí thư",
                ],
                vec![
                    "2",
                    "01000002",
                    "Trần Thị Bình",
                    "01/01/1970",
                    "CB7",
                    "Chính thức",
                    "Đảng viên",
                ],
            ],
        ),
    ]);
    let dir = tempfile::tempdir().expect("tmp");
    let f = dir.path().join("ds.xlsx");
    std::fs::write(&f, book).expect("w");
    let (r, rep) = read_workbook(&f);
    assert!(r.is_none());
    let errors: Vec<(String, String)> = rep
        .problems
        .iter()
        .filter(|p| p.level == Level::Error)
        .map(|p| (p.place.clone(), p.message.clone()))
        .collect();
    assert_eq!(
        errors,
        [
            (
                "Đảng viên!D4".to_string(),
                "ngày sinh \"31/02/1960\" không hợp lệ (ngày/tháng/năm như 02/01/1960, một ngày có thật)".to_string()
            ),
            (
                "Đảng viên!E5".to_string(),
                "mã chi bộ CB7 không có trong danh sách đơn vị".to_string()
            ),
        ]
    );
    let shown = rep
        .problems
        .iter()
        .find(|p| p.level == Level::Error)
        .expect("error")
        .to_string();
    assert!(
        shown.ends_with("ds.xlsx: Đảng viên!D4: lỗi: ngày sinh \"31/02/1960\" không hợp lệ (ngày/tháng/năm như 02/01/1960, một ngày có thật)"),
        "{shown}"
    );
}

#[test]
fn the_template_imports_as_it_is() {
    let dir = tempfile::tempdir().expect("tmp");
    let f = dir.path().join("mau.xlsx");
    std::fs::write(&f, xlsx::template().expect("template")).expect("w");
    let (r, rep) = read_workbook(&f);
    assert_eq!(rep.errors(), 0, "{:?}", rep.problems);
    assert!(rep.problems.is_empty(), "{:?}", rep.problems);
    let r = r.expect("roster");
    assert_eq!(r.units.len(), 2);
    assert_eq!(r.members.len(), 2);
    assert_eq!(
        crate::model::format_date(r.members[0].birth_date),
        "1960-01-02"
    );
    assert_eq!(r.members[0].card.as_str(), "01012345");
    // The same file given as both --units and --members.
    let (r2, rep2) = read(&f, &f);
    assert_eq!(rep2.errors(), 0, "{:?}", rep2.problems);
    assert_eq!(r2.expect("roster").members.len(), 2);
}
