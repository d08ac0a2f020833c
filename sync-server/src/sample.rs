//! A synthetic roster for a fictional province, generated deterministically (same numbers,
//! same output), so that `sotay serve` works out of the box and tests and benchmarks have
//! realistic data: a unit tree of varying depth and Vietnamese names. Nobody in it is real.

use std::fmt::Write;

/// SplitMix64: a small, well-known generator; good enough for sample data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const SURNAMES: &[&str] = &[
    "Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Trần", "Lê", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan",
    "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Trương", "Đinh", "Mai", "Tô",
];
const MIDDLE_M: &[&str] = &[
    "Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Xuân", "Thanh", "Công", "Ngọc", "Đình", "Tiến",
];
const MIDDLE_F: &[&str] = &[
    "Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Hồng", "Kim", "Minh", "Diệu",
];
const GIVEN_M: &[&str] = &[
    "An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Minh", "Nam", "Phong", "Quân",
    "Sơn", "Tài", "Thắng", "Toàn", "Trung", "Tuấn", "Việt", "Vinh", "Hòa", "Lộc", "Phúc", "Thành",
];
const GIVEN_F: &[&str] = &[
    "Anh", "Bích", "Chi", "Dung", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Liên", "Linh", "Mai",
    "Nga", "Nhung", "Phương", "Quyên", "Thảo", "Trang", "Tuyết", "Vân", "Yến", "Hằng",
];
const PLACES: &[&str] = &[
    "An Phú",
    "Bình Minh",
    "Đông Hòa",
    "Hòa Bình",
    "Tân Lập",
    "Phú Thọ",
    "Quang Trung",
    "Hưng Đạo",
    "Thống Nhất",
    "Đại Đồng",
    "Tân Hưng",
    "Xuân Sơn",
    "Nghĩa Hành",
    "Đức Phổ",
    "Sơn Tịnh",
    "Bình Châu",
    "Tịnh Khê",
    "Phổ Quang",
    "Hành Thiện",
    "Mộ Đức",
    "Ba Tơ",
    "Minh Long",
    "Trà Bồng",
    "Lý Sơn",
];
const AGENCIES: &[&str] = &[
    "Sở Giáo dục và Đào tạo",
    "Sở Y tế",
    "Sở Tài chính",
    "Sở Nông nghiệp và Môi trường",
    "Sở Xây dựng",
    "Bệnh viện Đa khoa tỉnh",
    "Trường Chính trị tỉnh",
    "Báo tỉnh",
    "Đài Phát thanh và Truyền hình",
    "Kho bạc Nhà nước",
    "Công an tỉnh",
    "Ban Tổ chức Tỉnh ủy",
    "Văn phòng Tỉnh ủy",
    "Sở Văn hóa, Thể thao và Du lịch",
];

/// The sample roster as the text of `units.csv` and `members.csv`, with about `target`
/// members.
pub fn generate(target: usize) -> (String, String) {
    let mut s = Sample {
        rng: Rng(20_231_005),
        units: String::from("code,name,parent_code,kind\nTU,Đảng bộ tỉnh Mẫu,,tinh-uy\n"),
        members: String::from(
            "card_number,full_name,birth_date,unit_code,status,role,smartphone\n",
        ),
        card: 80_000_000,
        count: 0,
    };
    for d in 1.. {
        let dcode = format!("TU.{d:02}");
        if d % 4 == 0 {
            s.agency_block(d, &dcode);
        } else {
            s.district(d, &dcode);
        }
        if s.count >= target {
            break;
        }
    }
    (s.units, s.members)
}

/// The roster as it is generated: both files' text so far, the generator, the last card
/// number given and how many members there are.
struct Sample {
    rng: Rng,
    units: String,
    members: String,
    card: u64,
    count: usize,
}

impl Sample {
    /// Block `d` (`dcode`): a party committee of agencies, with the cells of agencies
    /// directly under it.
    fn agency_block(&mut self, d: usize, dcode: &str) {
        let _ = writeln!(
            self.units,
            "{dcode},Đảng bộ Khối các cơ quan số {d},TU,dang-bo"
        );
        for a in 1..=12 {
            let name = format!("Chi bộ {} ({a})", AGENCIES[(d + a) % AGENCIES.len()]);
            self.cell(
                &format!("{dcode}.{a:02}"),
                &name.replace(',', ""),
                dcode,
                "chi-bo-co-so",
            );
        }
    }

    /// District `d` (`dcode`): its communes, each with the cells of its villages.
    fn district(&mut self, d: usize, dcode: &str) {
        let dname = PLACES[d % PLACES.len()];
        let _ = writeln!(self.units, "{dcode},Đảng bộ huyện {dname} {d},TU,dang-bo");
        let communes = 8 + self.rng.below(6);
        for c in 1..=communes {
            let ccode = format!("{dcode}.{c:02}");
            let place = PLACES[(d * 7 + c) % PLACES.len()];
            // Some communes kept an intermediate level: deeper trees exist.
            let parent = if d.is_multiple_of(3) && c.is_multiple_of(5) {
                let mid = format!("{ccode}M");
                let _ = writeln!(self.units, "{mid},Đảng bộ cụm {place},{dcode},dang-bo");
                mid
            } else {
                dcode.to_string()
            };
            let _ = writeln!(
                self.units,
                "{ccode},Đảng bộ xã {place} {c},{parent},dang-bo-co-so"
            );
            let villages = 4 + self.rng.below(6);
            for v in 1..=villages {
                self.cell(
                    &format!("{ccode}.{v:02}"),
                    &format!("Chi bộ thôn {} {v}", PLACES[(c + v * 3) % PLACES.len()]),
                    &ccode,
                    "chi-bo",
                );
            }
        }
    }

    /// A cell (unit `code` of `kind` under `parent`) and its 8 to 37 members.
    fn cell(&mut self, code: &str, name: &str, parent: &str, kind: &str) {
        let _ = writeln!(self.units, "{code},{name},{parent},{kind}");
        let size = 8 + self.rng.below(30);
        for i in 0..size {
            self.member(code, i, size);
        }
    }

    /// The `i`-th of the `size` members of cell `code`: the first is its secretary.
    fn member(&mut self, code: &str, i: usize, size: usize) {
        let rng = &mut self.rng;
        self.card += 1;
        self.count += 1;
        let female = rng.chance(45);
        let name = if female {
            format!(
                "{} {} {}",
                rng.pick(SURNAMES),
                rng.pick(MIDDLE_F),
                rng.pick(GIVEN_F)
            )
        } else {
            format!(
                "{} {} {}",
                rng.pick(SURNAMES),
                rng.pick(MIDDLE_M),
                rng.pick(GIVEN_M)
            )
        };
        let year = 1945 + rng.below(60);
        let birth = format!("{year}-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28));
        let old = year < 1960;
        let status = if old && rng.chance(35) {
            "mien-sinh-hoat"
        } else if year > 1995 && rng.chance(30) {
            "du-bi"
        } else {
            "chinh-thuc"
        };
        let role = match i {
            0 => "bi-thu",
            1 if size >= 7 => "pho-bi-thu",
            2 | 3 if size >= 12 => "cap-uy-vien",
            _ => "dang-vien",
        };
        let phone = if (old && rng.chance(40)) || rng.chance(5) {
            "khong"
        } else {
            "co"
        };
        let card = self.card;
        let _ = writeln!(
            self.members,
            "{card},{name},{birth},{code},{status},{role},{phone}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_clean() {
        let (u1, m1) = generate(5_000);
        let (u2, m2) = generate(5_000);
        assert_eq!((&u1, &m1), (&u2, &m2));
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join("u.csv"), &u1).expect("w");
        std::fs::write(dir.path().join("m.csv"), &m1).expect("w");
        let (roster, report) =
            crate::roster::read(&dir.path().join("u.csv"), &dir.path().join("m.csv"));
        assert_eq!(
            report.errors(),
            0,
            "{:?}",
            report.problems.iter().take(5).collect::<Vec<_>>()
        );
        let r = roster.expect("roster");
        assert!(r.members.len() >= 5_000, "{}", r.members.len());
        assert!(m1
            .lines()
            .nth(1)
            .expect("first member")
            .starts_with("80000001,"));
    }
}
