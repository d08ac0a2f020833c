#!/usr/bin/env python3
"""Deterministic synthetic Vietnamese handbook corpus for build benchmarks.

    python3 bench/gen_corpus.py OUT_DIR --docs 1000 [--flavor sotay|hugo|zola|zola-min] [--seed 20261]

Writes OUT_DIR/content/ : a root `_index.md`, 20 sections `s01` ... `s20` (each with an
`_index.md`) and DOCS documents `sNN/doc-NNNNN.md` of about 6 KB of Markdown each, spread
round-robin over the sections. Only the standard library is used; the same arguments always give
byte-identical files (every document draws from its own RNG seeded with "seed:doc:i", so a
document does not depend on how many documents come after it).

The three flavors hold the same documents (same titles, dates, tags, prose):

- sotay: YAML front matter in sotay's format (docs/AUTHORING.md), relative links to the source
  files (`../s05/doc-00045.md#dieu-3`, always to an article that exists in the target),
  `:::note` containers, `::toc` in some documents, `:ref[...]{to="ID#dieu-1"}`.
- hugo: YAML front matter Hugo accepts (title, date, description, tags, params; plus the
  taxonomies kinds/issuers/years that mirror sotay's generated lists), links as site-absolute
  URLs (`/s05/doc-00045/#dieu-3`); directive lines stay as plain text.
- zola: TOML front matter (`+++`), `[taxonomies]`, the same absolute links; directives as text.
- zola-min: the same without taxonomies and without paginated sections: a small Zola site
  (bench/zola-site/min/).

Every document has at least 6 articles ("Điều 1" ... "Điều K"), so `#dieu-1` to `#dieu-6` exist
in every document; links point at `#dieu-N` with N <= the target's own K.
"""

import argparse
import json
import os
import random
import shutil
import sys
import unicodedata

SECTIONS = 20

# --- vocabulary -------------------------------------------------------------------------------

SECTION_TITLES = [
    "Điều lệ và quy định của Đảng",
    "Nghị quyết của Tỉnh ủy",
    "Chỉ thị, kết luận",
    "Công tác tổ chức, cán bộ",
    "Công tác kiểm tra, giám sát",
    "Sinh hoạt chi bộ",
    "Công tác đảng viên",
    "Công tác tuyên giáo",
    "Công tác dân vận",
    "Phòng, chống tham nhũng, tiêu cực",
    "Học tập và làm theo Bác",
    "Chuyển đổi số trong công tác Đảng",
    "Đảng phí và tài chính đảng",
    "Khen thưởng, kỷ luật",
    "Hướng dẫn nghiệp vụ",
    "Hỏi đáp cho đảng viên",
    "Biểu mẫu",
    "Chuyên đề sinh hoạt",
    "Tổ chức cơ sở đảng",
    "Văn bản của Đảng ủy Khối",
]

# (kind slug, label used in titles, code used in document numbers)
KINDS = [
    ("dieu-le", "Điều lệ", "ĐL"),
    ("nghi-quyet", "Nghị quyết", "NQ"),
    ("chi-thi", "Chỉ thị", "CT"),
    ("ket-luan", "Kết luận", "KL"),
    ("quy-dinh", "Quy định", "QĐ"),
    ("quyet-dinh", "Quyết định", "QĐ"),
    ("huong-dan", "Hướng dẫn", "HD"),
    ("tai-lieu-sinh-hoat", "Tài liệu sinh hoạt chi bộ", "TL"),
    ("hoi-dap", "Hỏi đáp", "HĐ"),
    ("bieu-mau", "Biểu mẫu", "BM"),
    ("chuyen-de", "Chuyên đề", "CĐ"),
]
# Real collections are mostly resolutions, directives, regulations and guides.
KIND_WEIGHTS = [1, 8, 6, 4, 6, 4, 8, 5, 3, 2, 3]

ISSUERS = [
    ("Tỉnh ủy tỉnh Mẫu", "TU"),
    ("Ban Thường vụ Tỉnh ủy", "TU"),
    ("Ban Chấp hành Đảng bộ tỉnh", "TU"),
    ("Ủy ban Kiểm tra Tỉnh ủy", "UBKTTU"),
    ("Ban Tổ chức Tỉnh ủy", "BTCTU"),
    ("Ban Tuyên giáo Tỉnh ủy", "BTGTU"),
    ("Ban Dân vận Tỉnh ủy", "BDVTU"),
    ("Văn phòng Tỉnh ủy", "VPTU"),
    ("Đảng ủy Khối các cơ quan tỉnh", "ĐUK"),
    ("Huyện ủy huyện Mẫu Sơn", "HU"),
    ("Thành ủy thành phố Mẫu", "ThU"),
    ("Đảng ủy xã Tân Mẫu", "ĐU"),
]

TAGS = [
    "xây dựng Đảng", "sinh hoạt chi bộ", "kiểm tra giám sát", "đảng viên", "chi bộ",
    "phát triển đảng viên", "đảng phí", "kỷ luật đảng", "tự phê bình và phê bình",
    "nêu gương", "học tập và làm theo Bác", "dân vận", "tuyên truyền", "chuyển đổi số",
    "phòng chống tham nhũng", "công tác cán bộ", "quy hoạch cán bộ", "đánh giá xếp loại",
    "khen thưởng", "tổ chức cơ sở đảng", "nghị quyết đại hội", "quy chế dân chủ",
    "bảo vệ nền tảng tư tưởng", "chính trị nội bộ", "đảng viên dự bị", "chuyển sinh hoạt đảng",
    "lấy phiếu tín nhiệm", "cải cách hành chính", "nông thôn mới", "an sinh xã hội",
    "quốc phòng an ninh", "văn hóa", "thanh niên", "phụ nữ", "cựu chiến binh", "đoàn thể",
    "kinh tế tập thể", "đất đai", "môi trường", "giáo dục chính trị",
]

SUBJECTS = [
    "Cấp ủy các cấp", "Chi bộ", "Mỗi đảng viên", "Ban Thường vụ", "Ủy ban Kiểm tra các cấp",
    "Bí thư chi bộ", "Các tổ chức cơ sở đảng", "Đảng ủy cơ sở", "Người đứng đầu cấp ủy",
    "Tổ đảng", "Ban Tuyên giáo", "Ban Tổ chức", "Mặt trận Tổ quốc và các đoàn thể chính trị - xã hội",
    "Cán bộ, đảng viên", "Chi ủy", "Đảng viên giữ chức vụ lãnh đạo, quản lý",
    "Các cơ quan tham mưu, giúp việc của cấp ủy", "Đảng bộ bộ phận",
]

VERBS = [
    "tăng cường", "nâng cao chất lượng", "đổi mới", "thực hiện nghiêm", "quán triệt sâu sắc",
    "triển khai đồng bộ", "chỉ đạo chặt chẽ", "duy trì nền nếp", "đẩy mạnh", "kiện toàn",
    "chủ động nắm chắc", "cụ thể hóa", "tổ chức thực hiện", "thường xuyên rà soát",
    "làm tốt", "coi trọng", "gắn trách nhiệm cá nhân với", "tiếp tục thực hiện có hiệu quả",
]

OBJECTS = [
    "công tác kiểm tra, giám sát", "sinh hoạt chi bộ", "công tác xây dựng Đảng",
    "nghị quyết của cấp ủy cấp trên", "công tác phát triển đảng viên",
    "việc học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "kỷ luật, kỷ cương trong Đảng", "công tác dân vận", "tự phê bình và phê bình",
    "công tác quản lý đảng viên", "việc thu, nộp và quản lý đảng phí",
    "chuyển đổi số trong công tác đảng", "trách nhiệm nêu gương của cán bộ, đảng viên",
    "nguyên tắc tập trung dân chủ", "quy chế làm việc của cấp ủy",
    "công tác đánh giá, xếp loại chất lượng tổ chức đảng và đảng viên",
    "việc bảo vệ nền tảng tư tưởng của Đảng", "công tác bảo vệ chính trị nội bộ",
    "mối quan hệ mật thiết giữa Đảng với nhân dân", "công tác quy hoạch, đào tạo cán bộ",
    "việc giải quyết đơn thư, khiếu nại, tố cáo", "chương trình hành động của chi bộ",
    "sinh hoạt chuyên đề", "phòng, chống tham nhũng, lãng phí, tiêu cực",
]

MODIFIERS = [
    "theo đúng quy định của Điều lệ Đảng", "gắn với nhiệm vụ chính trị của địa phương, đơn vị",
    "một cách thường xuyên, thực chất", "trong nhiệm kỳ 2025–2030", "ở cơ sở",
    "bảo đảm công khai, dân chủ, khách quan", "theo hướng dẫn của cấp ủy cấp trên",
    "phù hợp với đặc điểm của từng loại hình chi bộ", "có trọng tâm, trọng điểm",
    "không để xảy ra tình trạng hình thức, chiếu lệ", "đúng nguyên tắc, thủ tục",
    "sát với tình hình thực tế", "trên tinh thần đoàn kết, thống nhất",
    "kịp thời, hiệu quả", "với sự tham gia của nhân dân",
]

CONNECTORS = [
    "Đồng thời,", "Bên cạnh đó,", "Trên cơ sở đó,", "Qua đó,", "Mặt khác,", "Theo đó,",
    "Ngoài ra,", "Trong thời gian tới,",
]

CHAPTER_TITLES = [
    "Những quy định chung", "Nhiệm vụ và giải pháp", "Tổ chức thực hiện", "Quyền và nhiệm vụ",
    "Nội dung sinh hoạt", "Trách nhiệm của cấp ủy", "Kiểm tra, giám sát", "Điều khoản thi hành",
]

ARTICLE_TITLES = [
    "Phạm vi điều chỉnh", "Đối tượng áp dụng", "Giải thích từ ngữ", "Nguyên tắc thực hiện",
    "Nội dung sinh hoạt chi bộ", "Trách nhiệm của bí thư chi bộ", "Trách nhiệm của đảng viên",
    "Chế độ thông tin, báo cáo", "Kiểm tra, giám sát việc thực hiện", "Khen thưởng và xử lý vi phạm",
    "Quản lý hồ sơ đảng viên", "Thu, nộp đảng phí", "Chuyển sinh hoạt đảng",
    "Đánh giá, xếp loại chất lượng", "Tổ chức thực hiện", "Hiệu lực thi hành",
    "Lấy ý kiến nhận xét của nhân dân", "Nêu gương của người đứng đầu",
]

ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]

TABLE_UNITS = [
    "Ban Tổ chức Tỉnh ủy", "Ủy ban Kiểm tra Tỉnh ủy", "Ban Tuyên giáo Tỉnh ủy",
    "Văn phòng Tỉnh ủy", "Các huyện ủy, thành ủy", "Đảng ủy cơ sở", "Chi bộ", "Ban Dân vận Tỉnh ủy",
]
TABLE_DEADLINES = ["Quý I", "Quý II", "Quý III", "Quý IV", "Tháng 6", "Tháng 9", "Tháng 12"]

NOTES = [
    "Chi bộ ghi rõ nội dung này trong biên bản sinh hoạt và báo cáo cấp ủy cấp trên trước ngày 25 hằng tháng.",
    "Đảng viên đi làm ăn xa vẫn thực hiện nghĩa vụ đóng đảng phí và báo cáo định kỳ với chi bộ.",
    "Trường hợp chưa rõ, chi ủy xin ý kiến đảng ủy cơ sở trước khi thực hiện.",
    "Việc lấy ý kiến phải bảo đảm dân chủ, khách quan; không để ảnh hưởng đến đoàn kết nội bộ.",
    "Những nội dung thuộc bí mật của Đảng không đưa lên mạng xã hội và sổ tay điện tử.",
]

SEED = 20261


def nfc(s):
    return unicodedata.normalize("NFC", s)


def doc_path(i):
    """Section folder and file stem of document i (1-based)."""
    return "s%02d" % ((i - 1) % SECTIONS + 1), "doc-%05d" % i


def doc_id(i):
    s, stem = doc_path(i)
    return "%s/%s" % (s, stem)


# --- per-document metadata (needed by other documents' links) -----------------------------------


def meta(seed, i):
    r = random.Random("%d:meta:%d" % (seed, i))
    k = r.choices(range(len(KINDS)), weights=KIND_WEIGHTS)[0]
    kind, label, code = KINDS[k]
    issuer, iss_code = r.choice(ISSUERS)
    year = r.randint(2015, 2026)
    month = r.randint(1, 12)
    day = r.randint(1, 28)
    articles = r.randint(6, 9)
    topic = r.choice(OBJECTS)
    verb = r.choice(VERBS)
    tags = r.sample(TAGS, r.randint(2, 4))
    title = "%s về %s %s" % (label, verb, topic)
    # Keep titles distinct in lists, as real ones are (they carry their number anyway).
    number = "%d-%s/%s" % (r.randint(1, 150), code, iss_code)
    summary = "%s %s %s %s." % (r.choice(SUBJECTS), verb, topic, r.choice(MODIFIERS))
    return {
        "kind": kind, "kind_label": label, "issuer": issuer, "year": year,
        "date": "%04d-%02d-%02d" % (year, month, day), "articles": articles,
        "title": title[0].upper() + title[1:], "number": number, "tags": tags,
        "summary": summary, "verb": verb, "topic": topic,
    }


# --- prose ----------------------------------------------------------------------------------------


# Subjects that are names of bodies keep their capital after a connector ("Đồng thời, Ban ...").
PROPER = ("Ban ", "Ủy ban", "Mặt trận")


def lower_first(s):
    return s if s.startswith(PROPER) else s[0].lower() + s[1:]


def sentence(r):
    s = "%s %s %s %s." % (r.choice(SUBJECTS), r.choice(VERBS), r.choice(OBJECTS), r.choice(MODIFIERS))
    if r.random() < 0.35:
        s = "%s %s" % (r.choice(CONNECTORS), lower_first(s))
    return s


def paragraph(r, n=None):
    return " ".join(sentence(r) for _ in range(n or r.randint(2, 4)))


def clause(r):
    s = "%s %s %s." % (r.choice(VERBS), r.choice(OBJECTS), r.choice(MODIFIERS))
    return s[0].upper() + s[1:]


def yaml_scalar(s):
    """A plain YAML scalar when that is safe (as editors write it), else double-quoted."""
    if (": " in s or " #" in s or s[0] in "-?:,[]{}#&*!|>'\"%@`" or s.strip() != s
            or s.endswith(":")):
        return json.dumps(s, ensure_ascii=False)
    return s


def yaml_list(items):
    out = []
    for t in items:
        out.append(json.dumps(t, ensure_ascii=False) if any(c in t for c in ",[]{}:#\"'") else t)
    return "[" + ", ".join(out) + "]"


def toml_str(s):
    return json.dumps(s, ensure_ascii=False)


class Linker:
    """How a link or reference to document j is written in each flavor."""

    def __init__(self, flavor, i):
        self.flavor = flavor
        self.i = i

    def href(self, j, anchor=None):
        s, stem = doc_path(j)
        frag = "#" + anchor if anchor else ""
        if self.flavor == "sotay":
            return "../%s/%s.md%s" % (s, stem, frag)
        return "/%s/%s/%s" % (s, stem, frag)


def body(seed, i, n, metas, flavor):
    r = random.Random("%d:body:%d" % (seed, i))
    m = metas[i]
    link = Linker(flavor, i)
    others = [j for j in r.sample(range(1, n + 1), min(n, 5)) if j != i] or [i]

    # Links: 2-3 relative links (some with a #dieu-N anchor that exists in the target) and
    # one :ref to another document's "Điều 1".
    links = []
    for t, j in enumerate(others[: r.randint(2, 3)]):
        mj = metas[j]
        if t == 0 or r.random() < 0.5:
            a = r.randint(1, mj["articles"])
            links.append("[Điều %d của %s số %s](%s)" % (a, mj["kind_label"].lower(), mj["number"],
                                                       link.href(j, "dieu-%d" % a)))
        else:
            links.append("[%s](%s)" % (mj["title"], link.href(j)))
    ref_target = others[-1]

    out = []
    if i % 3 == 0:
        out += ["::toc", ""]
    out += [
        "%s này được ban hành nhằm %s %s. %s" % (m["kind_label"], m["verb"], m["topic"], paragraph(r, 2)),
        "",
    ]
    k = m["articles"]
    chapters = 3 if k >= 8 else 2
    per = [k // chapters + (1 if c < k % chapters else 0) for c in range(chapters)]
    art = 0
    chapter_titles = [CHAPTER_TITLES[x] for x in sorted(r.sample(range(len(CHAPTER_TITLES)), chapters))]
    article_titles = r.sample(ARTICLE_TITLES, k)
    extras = ["clauses", "bullets", "table", "note", "links", "ref"]
    r.shuffle(extras)
    # Articles 1..k; the special blocks go into the first six articles (k >= 6).
    for c in range(chapters):
        out += ["## Chương %s. %s" % (ROMAN[c], chapter_titles[c]), ""]
        for _ in range(per[c]):
            art += 1
            out += ["### Điều %d. %s" % (art, article_titles[art - 1]), "", paragraph(r, r.randint(1, 2)), ""]
            what = extras[art - 1] if art <= len(extras) else "prose"
            if what == "clauses":
                out += ["%d. %s" % (q + 1, clause(r)) for q in range(r.randint(3, 5))] + [""]
            elif what == "bullets":
                out += ["Nội dung chủ yếu gồm:", ""]
                out += ["- %s;" % clause(r).rstrip(".") for _ in range(r.randint(3, 5))] + [""]
            elif what == "table":
                out += ["| STT | Nội dung | Cơ quan chủ trì | Thời hạn |", "|---|---|---|---|"]
                for q in range(r.randint(3, 5)):
                    out.append("| %d | %s | %s | %s/%d |" % (
                        q + 1, clause(r).rstrip("."), r.choice(TABLE_UNITS), r.choice(TABLE_DEADLINES),
                        m["year"] + r.randint(0, 1)))
                out.append("")
            elif what == "note":
                if r.random() < 0.5:
                    out.append(':::note{title="Lưu ý"}')
                else:
                    out.append(":::note")
                out += [r.choice(NOTES), ":::", ""]
            elif what == "links":
                out += ["Thực hiện theo %s; xem thêm %s." % (links[0], ", ".join(links[1:]) or links[0]), ""]
            elif what == "ref":
                tail = sentence(r)
                out += ["Căn cứ :ref[Điều 1]{to=\"%s#dieu-1\"} và các quy định có liên quan, %s" % (
                    doc_id(ref_target), lower_first(tail)), ""]
            # Fill each article towards ~6 KB for the document.
            while len("\n".join(out).encode()) < 5300 * art // k:
                out += [paragraph(r, 3), ""]
    out += ["Nơi nhận: các chi bộ, đảng bộ bộ phận trực thuộc; lưu văn phòng cấp ủy.", ""]
    return "\n".join(out)


def front_matter(flavor, m, weight=None):
    if flavor == "sotay":
        lines = [
            "---",
            "title: " + yaml_scalar(m["title"]),
            "kind: " + m["kind"],
            "number: " + yaml_scalar(m["number"]),
            "issuer: " + yaml_scalar(m["issuer"]),
            "issued: " + m["date"],
            "tags: " + yaml_list(m["tags"]),
            "summary: " + yaml_scalar(m["summary"]),
            "---",
        ]
    elif flavor == "hugo":
        lines = [
            "---",
            "title: " + yaml_scalar(m["title"]),
            "date: " + m["date"],
            "description: " + yaml_scalar(m["summary"]),
            "tags: " + yaml_list(m["tags"]),
            "kinds: [%s]" % m["kind"],
            "issuers: " + yaml_list([m["issuer"]]),
            "years: ['%d']" % m["year"],
            "params:",
            "  number: " + yaml_scalar(m["number"]),
            "  issuer: " + yaml_scalar(m["issuer"]),
            "  kind: " + m["kind"],
            "---",
        ]
    elif flavor == "zola-min":
        lines = [
            "+++",
            "title = " + toml_str(m["title"]),
            "date = " + m["date"],
            "description = " + toml_str(m["summary"]),
            "",
            "[extra]",
            "number = " + toml_str(m["number"]),
            "issuer = " + toml_str(m["issuer"]),
            "kind = " + toml_str(m["kind"]),
            "+++",
        ]
    else:
        lines = [
            "+++",
            "title = " + toml_str(m["title"]),
            "date = " + m["date"],
            "description = " + toml_str(m["summary"]),
            "",
            "[taxonomies]",
            "tags = [%s]" % ", ".join(toml_str(t) for t in m["tags"]),
            "kinds = [%s]" % toml_str(m["kind"]),
            "issuers = [%s]" % toml_str(m["issuer"]),
            "years = [\"%d\"]" % m["year"],
            "",
            "[extra]",
            "number = " + toml_str(m["number"]),
            "issuer = " + toml_str(m["issuer"]),
            "kind = " + toml_str(m["kind"]),
            "+++",
        ]
    return "\n".join(lines) + "\n\n"


def section_index(flavor, title, summary, weight, intro):
    if flavor == "sotay":
        fm = "---\ntitle: %s\nsummary: %s\nweight: %d\n---\n" % (yaml_scalar(title), yaml_scalar(summary), weight)
    elif flavor == "hugo":
        fm = "---\ntitle: %s\ndescription: %s\nweight: %d\n---\n" % (yaml_scalar(title), yaml_scalar(summary), weight)
    elif flavor == "zola-min":
        fm = ('+++\ntitle = %s\ndescription = %s\nweight = %d\nsort_by = "date"\n+++\n'
              % (toml_str(title), toml_str(summary), weight))
    else:
        fm = ('+++\ntitle = %s\ndescription = %s\nweight = %d\nsort_by = "date"\npaginate_by = 30\n+++\n'
              % (toml_str(title), toml_str(summary), weight))
    return fm + "\n" + intro + "\n"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(nfc(text))


def generate(out, n, flavor, seed):
    content = os.path.join(out, "content")
    if os.path.isdir(content):
        shutil.rmtree(content)
    metas = [None] + [meta(seed, i) for i in range(1, n + 1)]
    r = random.Random("%d:sections" % seed)
    root_intro = ("Sổ tay đảng viên điện tử (dữ liệu thử nghiệm): văn bản, tài liệu sinh hoạt chi bộ, "
                  "hỏi đáp và biểu mẫu. " + paragraph(r, 2))
    if flavor == "zola":
        root = ('+++\ntitle = "Sổ tay đảng viên"\nsort_by = "date"\npaginate_by = 30\n+++\n\n' + root_intro + "\n")
    elif flavor == "zola-min":
        root = ('+++\ntitle = "Sổ tay đảng viên"\n+++\n\n' + root_intro + "\n")
    elif flavor == "hugo":
        root = "---\ntitle: Sổ tay đảng viên\n---\n\n" + root_intro + "\n"
    else:
        root = "---\ntitle: Sổ tay đảng viên\nsummary: Dữ liệu thử nghiệm cho đo hiệu năng.\n---\n\n" + root_intro + "\n"
    write(os.path.join(content, "_index.md"), root)
    for s in range(1, SECTIONS + 1):
        title = SECTION_TITLES[s - 1]
        write(os.path.join(content, "s%02d" % s, "_index.md"),
              section_index(flavor, title, "Các văn bản về %s." % title.lower(), s * 10, paragraph(r, 2)))
    total = 0
    for i in range(1, n + 1):
        s, stem = doc_path(i)
        text = front_matter(flavor, metas[i]) + body(seed, i, n, metas, flavor)
        write(os.path.join(content, s, stem + ".md"), text)
        total += len(text.encode())
    return total


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out", help="site root to write (its content/ is replaced)")
    p.add_argument("--docs", type=int, default=1000)
    p.add_argument("--flavor", choices=["sotay", "hugo", "zola", "zola-min"], default="sotay")
    p.add_argument("--seed", type=int, default=SEED)
    a = p.parse_args(argv)
    if a.docs < 1:
        p.error("--docs must be at least 1")
    total = generate(a.out, a.docs, a.flavor, a.seed)
    print("%s: %d documents in %d sections, %.1f MB of Markdown (%.1f KB/document)" % (
        a.out, a.docs, SECTIONS, total / 1e6, total / a.docs / 1e3), file=sys.stderr)


if __name__ == "__main__":
    main()
