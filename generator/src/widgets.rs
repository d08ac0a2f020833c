//! What each built-in directive means: its allowed form and attributes, and the HTML it makes.
//!
//! The syntax is parsed in `directives`; `markdown` calls in here when it meets a directive.
//! Errors come back as `(byte offset in the directive's text, message)` so that the caller can
//! turn them into `file:line:col`.

use crate::anchors::Heading;
use crate::content::{Content, Page, PageIdx, PageKind};
use crate::directives::Directive;
use crate::html::{esc, human_size, type_label};
use crate::Ctx;

/// Where a directive may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Inline,
    Leaf,
    Container,
}

/// The rules of one directive.
pub struct Spec {
    pub name: &'static str,
    pub form: Form,
    pub attrs: &'static [&'static str],
    pub required: &'static [&'static str],
}

pub const SPECS: &[Spec] = &[
    Spec {
        name: "note",
        form: Form::Container,
        attrs: &["title"],
        required: &[],
    },
    Spec {
        name: "tip",
        form: Form::Container,
        attrs: &["title"],
        required: &[],
    },
    Spec {
        name: "warning",
        form: Form::Container,
        attrs: &["title"],
        required: &[],
    },
    Spec {
        name: "important",
        form: Form::Container,
        attrs: &["title"],
        required: &[],
    },
    Spec {
        name: "quiz",
        form: Form::Container,
        attrs: &["title"],
        required: &[],
    },
    Spec {
        name: "toc",
        form: Form::Leaf,
        attrs: &[],
        required: &[],
    },
    Spec {
        name: "include",
        form: Form::Leaf,
        attrs: &["file"],
        required: &["file"],
    },
    Spec {
        name: "doc-list",
        form: Form::Leaf,
        attrs: &["kind", "tag", "section", "limit", "sort"],
        required: &[],
    },
    Spec {
        name: "meeting",
        form: Form::Leaf,
        attrs: &["month"],
        required: &[],
    },
    Spec {
        name: "form",
        form: Form::Leaf,
        attrs: &["file"],
        required: &["file"],
    },
    Spec {
        name: "ref",
        form: Form::Inline,
        attrs: &["to"],
        required: &["to"],
    },
];

pub type WidgetError = (usize, String);

/// Checks the name, form and attributes of a directive against its spec.
pub fn check(d: &Directive, form: Form) -> Result<&'static Spec, Vec<WidgetError>> {
    let Some(spec) = SPECS.iter().find(|s| s.name == d.name) else {
        let names = SPECS.iter().map(|s| s.name);
        return Err(vec![(
            d.name_at,
            format!(
                "unknown directive \"{}\"{}",
                d.name,
                crate::diagnostics::suggestion(&d.name, names)
            ),
        )]);
    };
    if spec.form != form {
        let how = match spec.form {
            Form::Inline => format!(
                "an inline directive: write :{}[text]{{...}} inside a paragraph",
                spec.name
            ),
            Form::Leaf => format!(
                "a block directive: write ::{}{{...}} alone on its line",
                spec.name
            ),
            Form::Container => format!(
                "a container directive: write :::{} on its own line, the content, then a line :::",
                spec.name
            ),
        };
        return Err(vec![(d.name_at, format!("\"{}\" is {how}", spec.name))]);
    }
    let mut errs = Vec::new();
    for a in &d.attrs {
        if !spec.attrs.contains(&a.key.as_str()) {
            let known = if spec.attrs.is_empty() {
                " (it takes no attributes)".to_string()
            } else {
                crate::diagnostics::suggestion(&a.key, spec.attrs.iter().copied())
            };
            errs.push((
                a.at,
                format!(
                    "unknown attribute \"{}\" for \"{}\"{known}",
                    a.key, spec.name
                ),
            ));
        } else if a.value.trim().is_empty() {
            errs.push((a.at, format!("attribute \"{}\" needs a value", a.key)));
        }
    }
    for r in spec.required {
        if d.attr(r).is_none() {
            errs.push((
                d.name_at,
                format!("\"{}\" needs the attribute {r}=...", spec.name),
            ));
        }
    }
    if errs.is_empty() {
        Ok(spec)
    } else {
        Err(errs)
    }
}

/// Opening and closing HTML of a callout.
pub fn callout(name: &str, title: Option<&str>) -> (String, String) {
    let default = match name {
        "note" => "Ghi chú",
        "tip" => "Gợi ý",
        "warning" => "Cảnh báo",
        _ => "Quan trọng",
    };
    // An author's title is text of the page (search reads it); the default label is not.
    let nosearch = if title.is_some() {
        ""
    } else {
        " data-nosearch"
    };
    (
        format!(
            "<aside class=\"callout callout-{name}\"><p class=\"callout-title\"{nosearch}>{}</p><div class=\"callout-body\">\n",
            esc(title.unwrap_or(default))
        ),
        "</div></aside>\n".to_string(),
    )
}

/// The table of contents of a page from its headings (levels 2 and 3).
pub fn toc(headings: &[Heading]) -> String {
    let items: Vec<&Heading> = headings
        .iter()
        .filter(|h| h.level == 2 || h.level == 3)
        .collect();
    if items.is_empty() {
        return String::new();
    }
    let top = items.iter().map(|h| h.level).min().unwrap_or(2);
    let mut s = String::from(
        "<nav class=\"toc\" aria-label=\"Mục lục\"><p class=\"toc-title\">Mục lục</p><ol>",
    );
    let mut open_sub = false;
    for (i, h) in items.iter().enumerate() {
        if h.level == top {
            if open_sub {
                s.push_str("</li></ol></li>");
                open_sub = false;
            } else if i > 0 {
                s.push_str("</li>");
            }
        } else if open_sub {
            s.push_str("</li>");
        } else {
            if i == 0 {
                s.push_str("<li>");
            }
            s.push_str("<ol>");
            open_sub = true;
        }
        s.push_str(&format!(
            "<li><a href=\"#{}\">{}</a>",
            esc(&h.anchor),
            esc(&h.text)
        ));
    }
    s.push_str(if open_sub { "</li></ol></li>" } else { "</li>" });
    s.push_str("</ol></nav>\n");
    s
}

/// A document's line in a list: link, number and date.
pub fn doc_item(ctx: &Ctx, p: &Page) -> String {
    let mut meta = Vec::new();
    if let Some(n) = &p.fm.number {
        meta.push(esc(n));
    }
    if let Some(d) = p.date() {
        meta.push(d.vi());
    }
    let meta = if meta.is_empty() {
        String::new()
    } else {
        format!(" <span class=\"meta\">{}</span>", meta.join(" · "))
    };
    format!(
        "<li><a href=\"{}\">{}</a>{meta}</li>",
        esc(&ctx.href(&p.url)),
        esc(&p.fm.title)
    )
}

/// `::doc-list{kind= tag= section= limit= sort=}`
#[allow(clippy::too_many_lines, reason = "split pending (issue 20)")]
pub fn doc_list(ctx: &Ctx, d: &Directive) -> Result<String, Vec<WidgetError>> {
    let c = ctx.content;
    let mut errs = Vec::new();
    let mut docs: Vec<PageIdx> = (0..c.pages.len())
        .filter(|&i| c.pages[i].kind == PageKind::Document)
        .collect();
    if let Some(a) = d.attr("kind") {
        if ctx.config.kind_label(&a.value).is_none() {
            let ids = ctx.config.kind_ids();
            errs.push((
                a.value_at,
                format!(
                    "unknown kind \"{}\"{}",
                    a.value,
                    crate::diagnostics::suggestion(&a.value, ids)
                ),
            ));
        }
        docs.retain(|&i| c.pages[i].fm.kind.as_deref() == Some(a.value.as_str()));
    }
    if let Some(a) = d.attr("tag") {
        let want = crate::text::slug(&a.value);
        docs.retain(|&i| {
            c.pages[i]
                .fm
                .tags
                .iter()
                .any(|t| crate::text::slug(t) == want)
        });
        if docs.is_empty() && errs.is_empty() {
            let mut tags: Vec<&str> = c
                .pages
                .iter()
                .flat_map(|p| p.fm.tags.iter().map(String::as_str))
                .collect();
            tags.sort_unstable();
            tags.dedup();
            errs.push((
                a.value_at,
                format!(
                    "no document has the tag \"{}\"{}",
                    a.value,
                    crate::diagnostics::suggestion(&a.value, tags)
                ),
            ));
        }
    }
    if let Some(a) = d.attr("section") {
        match c.section_by_id.get(a.value.trim_matches('/')).copied() {
            Some(s) => docs.retain(|&i| is_within(c, i, s)),
            None => {
                let secs = c
                    .pages
                    .iter()
                    .filter(|p| p.kind == PageKind::Section)
                    .map(|p| p.id.as_str());
                errs.push((
                    a.value_at,
                    format!(
                        "no section has the id \"{}\"{}",
                        a.value,
                        crate::diagnostics::suggestion(&a.value, secs)
                    ),
                ));
            }
        }
    }
    let mut limit = usize::MAX;
    if let Some(a) = d.attr("limit") {
        match a.value.parse::<usize>() {
            Ok(n) if n > 0 => limit = n,
            _ => errs.push((
                a.value_at,
                format!(
                    "limit must be a positive whole number, found \"{}\"",
                    a.value
                ),
            )),
        }
    }
    let sort = d.attr("sort").map_or("weight", |a| a.value.as_str());
    match sort {
        "weight" => docs.sort_by(|&a, &b| crate::content::order(&c.pages[a], &c.pages[b])),
        "issued" | "-issued" => {
            docs.sort_by(|&a, &b| {
                c.pages[a]
                    .date()
                    .cmp(&c.pages[b].date())
                    .then_with(|| c.pages[a].src.path.cmp(&c.pages[b].src.path))
            });
            if sort == "-issued" {
                docs.reverse();
            }
        }
        "title" => docs.sort_by_cached_key(|&i| {
            (
                crate::text::fold(&c.pages[i].fm.title),
                c.pages[i].src.path.clone(),
            )
        }),
        other => {
            let at = d.attr("sort").map_or(d.name_at, |a| a.value_at);
            let opts = ["issued", "-issued", "title", "weight"];
            errs.push((
                at,
                format!(
                    "unknown sort \"{other}\"{}; one of: issued, -issued, title, weight",
                    crate::diagnostics::suggestion(other, opts)
                ),
            ));
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    if docs.is_empty() {
        return Err(vec![(
            d.name_at,
            "this list matches no document".to_string(),
        )]);
    }
    let items: String = docs
        .iter()
        .take(limit)
        .map(|&i| doc_item(ctx, &c.pages[i]))
        .collect();
    Ok(format!("<ul class=\"doc-list\">{items}</ul>\n"))
}

fn is_within(c: &Content, mut page: PageIdx, section: PageIdx) -> bool {
    while let Some(p) = c.pages[page].parent {
        if p == section {
            return true;
        }
        page = p;
    }
    false
}

/// How many months of meeting material a "this month" card carries: the phone picks the one
/// its date falls in, also weeks after the site was built.
pub const MEETING_MONTHS: usize = 6;

/// The latest `n` months that have cell meeting material (front matter `meeting`), newest
/// first, each with its documents in section order.
pub fn meeting_months(c: &Content, n: usize) -> Vec<(crate::frontmatter::Month, Vec<PageIdx>)> {
    let mut months: Vec<crate::frontmatter::Month> =
        c.pages.iter().filter_map(|p| p.fm.meeting).collect();
    months.sort_unstable_by(|a, b| b.cmp(a));
    months.dedup();
    months.truncate(n);
    months
        .into_iter()
        .map(|m| {
            let mut docs: Vec<PageIdx> = (0..c.pages.len())
                .filter(|&i| c.pages[i].fm.meeting == Some(m))
                .collect();
            docs.sort_by(|&a, &b| crate::content::order(&c.pages[a], &c.pages[b]));
            (m, docs)
        })
        .collect()
}

/// One month's card: its documents, each linked, with its summary.
fn meeting_card(
    ctx: &Ctx,
    month: crate::frontmatter::Month,
    docs: &[&Page],
    hidden: bool,
) -> String {
    let mut s = format!(
        "<section class=\"meeting-card\" data-month=\"{month}\" data-doc=\"{}\" aria-label=\"Sinh hoạt chi bộ {m}\"{}><p class=\"meeting-title\">Sinh hoạt chi bộ {m}</p><ol>",
        esc(docs.first().map_or("", |p| p.id.as_str())),
        if hidden { " hidden" } else { "" },
        m = month.vi()
    );
    for p in docs {
        s.push_str(&format!(
            "<li><a href=\"{}\">{}</a>",
            esc(&ctx.href(&p.url)),
            esc(&p.fm.title)
        ));
        if let Some(sum) = &p.fm.summary {
            s.push_str(&format!("<br><span class=\"meta\">{}</span>", esc(sum)));
        }
        s.push_str("</li>");
    }
    s.push_str("</ol></section>");
    s
}

/// `::meeting{month=YYYY-MM}`: the documents of that month's cell meeting. Without `month`:
/// "this month's" card, chosen on the phone at view time among the latest
/// [`MEETING_MONTHS`] months with material (the newest is shown until the script has chosen,
/// and without it); a page built in November still shows December's material in December.
pub fn meeting(ctx: &Ctx, d: &Directive) -> Result<String, Vec<WidgetError>> {
    let c = ctx.content;
    let Some(a) = d.attr("month") else {
        let months = meeting_months(c, MEETING_MONTHS);
        if months.is_empty() {
            return Err(vec![(
                d.name_at,
                "no document is meeting material yet (front matter `meeting: YYYY-MM`)".into(),
            )]);
        }
        let mut s = String::from("<div class=\"meeting-months\" data-meeting-months>");
        for (i, (m, docs)) in months.iter().enumerate() {
            let docs: Vec<&Page> = docs.iter().map(|&k| &c.pages[k]).collect();
            s.push_str(&meeting_card(ctx, *m, &docs, i > 0));
        }
        s.push_str("<p class=\"meeting-note meta\" hidden></p></div>\n");
        return Ok(s);
    };
    let Some(month) = crate::frontmatter::Month::parse(&a.value) else {
        return Err(vec![(
            a.value_at,
            format!("month must be written YYYY-MM, found \"{}\"", a.value),
        )]);
    };
    let mut docs: Vec<&Page> = c
        .pages
        .iter()
        .filter(|p| p.fm.meeting == Some(month))
        .collect();
    if docs.is_empty() {
        return Err(vec![(
            a.value_at,
            format!(
                "no document is meeting material for {month} (front matter `meeting: {month}`)"
            ),
        )]);
    }
    docs.sort_by(|a, b| crate::content::order(a, b));
    let mut s = meeting_card(ctx, month, &docs, false);
    s.push('\n');
    Ok(s)
}

/// `::form[label]{file=...}`: a card for an attachment.
pub fn form_card(ctx: &Ctx, asset: usize, label: Option<&str>) -> String {
    let a = &ctx.content.assets[asset];
    let label = label.filter(|l| !l.trim().is_empty()).unwrap_or(&a.name);
    format!(
        "<p class=\"form-card\"><a href=\"{}\" download><span class=\"form-name\">{}</span> <span class=\"meta\">{} · {}</span></a></p>\n",
        esc(&ctx.href(&a.url)),
        esc(label),
        esc(&type_label(&a.ext)),
        human_size(a.size)
    )
}

/// One self-check question of a quiz, already rendered to HTML.
pub struct Question {
    pub prompt: String,
    /// (html, correct)
    pub options: Vec<(String, bool)>,
    /// Plain text of the options, for the answer line.
    pub option_text: Vec<String>,
    pub explanation: String,
}

/// A quiz: radio buttons (checkboxes when several options are right), checked by the theme's
/// script; without JavaScript every answer can still be opened with `<details>`.
pub fn quiz(n: usize, title: Option<&str>, questions: &[Question]) -> String {
    let title = title.unwrap_or("Câu hỏi tự kiểm tra");
    let mut s = format!(
        "<section class=\"quiz\" id=\"quiz-{n}\" aria-labelledby=\"quiz-{n}-title\"><p class=\"quiz-title\" id=\"quiz-{n}-title\" data-nosearch>{}</p><ol class=\"quiz-list\">",
        esc(title)
    );
    for (qi, q) in questions.iter().enumerate() {
        let multi = q.options.iter().filter(|o| o.1).count() > 1;
        let ty = if multi { "checkbox" } else { "radio" };
        s.push_str(&format!(
            "<li class=\"quiz-q\"><fieldset><legend>{}</legend>",
            q.prompt.trim()
        ));
        for (oi, (html, correct)) in q.options.iter().enumerate() {
            s.push_str(&format!(
                "<label class=\"quiz-opt\"><input type=\"{ty}\" name=\"quiz-{n}-{qi}\" value=\"{oi}\"{}> <span>{}</span></label>",
                if *correct { " data-correct" } else { "" },
                html.trim()
            ));
        }
        let answers: Vec<String> = q
            .options
            .iter()
            .zip(&q.option_text)
            .filter(|(o, _)| o.1)
            .map(|(_, t)| esc(t))
            .collect();
        s.push_str(&format!(
            "</fieldset><details class=\"quiz-answer\"><summary data-nosearch>Xem đáp án</summary><p data-nosearch><strong>Đáp án:</strong> {}</p>{}</details></li>",
            answers.join("; "),
            q.explanation
        ));
    }
    s.push_str("</ol><p class=\"quiz-result\" aria-live=\"polite\"></p></section>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(level: u8, a: &str) -> Heading {
        Heading {
            level,
            text: a.to_uppercase(),
            anchor: a.into(),
            at: 0,
        }
    }

    #[test]
    fn toc_nests_levels() {
        let t = toc(&[
            h(2, "a"),
            h(3, "a1"),
            h(3, "a2"),
            h(2, "b"),
            h(4, "x"),
            h(2, "c"),
        ]);
        assert_eq!(
            t,
            "<nav class=\"toc\" aria-label=\"Mục lục\"><p class=\"toc-title\">Mục lục</p><ol><li><a href=\"#a\">A</a><ol><li><a href=\"#a1\">A1</a></li><li><a href=\"#a2\">A2</a></li></ol></li><li><a href=\"#b\">B</a></li><li><a href=\"#c\">C</a></li></ol></nav>\n"
        );
        assert_eq!(toc(&[]), "");
        let only3 = toc(&[h(3, "x"), h(3, "y")]);
        assert!(
            only3.contains("<li><a href=\"#x\">X</a></li><li><a href=\"#y\">Y</a></li>"),
            "{only3}"
        );
    }
}
