//! Markdown to HTML for one page: CommonMark with tables, footnotes, strikethrough and task
//! lists, plus directives, Vietnamese heading anchors and checked links.
//!
//! How it works:
//! 1. `prepare` finds block directive lines (outside fenced code) and replaces each with an
//!    HTML comment placeholder of its own, one line for one line, so that every other line
//!    keeps its number and column for error messages.
//! 2. pulldown-cmark parses the result; adjacent text events are merged so inline directives
//!    split over several events are seen whole.
//! 3. One pass rewrites the events: heading ids, links, inline directives, placeholders turned
//!    into directive HTML, raw HTML escaped unless the site trusts it. Quizzes are rebuilt from
//!    the events of their list.
//! 4. `::toc` is filled in once all headings (including those of included partials) are known.
//!
//! Anchors in *other* pages are not known yet while a page renders; such links come back in
//! `Rendered::checks`, and the build's anchors step (`pipeline::check_anchors`) checks them
//! once every page is rendered.

use crate::content::{PageIdx, Source};
use crate::diagnostics::{Diagnostics, LineIndex, Pos};
use crate::directives::{self, BlockLine, Directive};
use crate::links::{self, Target};
use crate::widgets::{self, Form, Question};
use crate::Ctx;
use pulldown_cmark::{CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};
use std::collections::{BTreeSet, HashSet};
use std::ops::Range;

const MARK: &str = "<!--\u{E000}";
const TOC_MARKER: &str = "\u{E000}toc\u{E000}";
const MAX_INCLUDE_DEPTH: usize = 8;

pub use crate::anchors::Heading;

/// A link to an anchor in another page, to be checked once every page is rendered.
#[derive(Debug, Clone)]
pub struct AnchorCheck {
    pub file: String,
    pub pos: Pos,
    /// Source path of the page the anchor should be in.
    pub target: String,
    pub anchor: String,
}

/// One rendered page body.
#[derive(Debug, Default)]
pub struct Rendered {
    pub html: String,
    pub headings: Vec<Heading>,
    pub anchors: HashSet<String>,
    /// Plain text of the body, for search.
    pub text: String,
    /// The first paragraph's text, for lists when the page has no summary.
    pub excerpt: String,
    pub checks: Vec<AnchorCheck>,
    pub diags: Diagnostics,
    /// What the HTML was made from besides the page's own source, so that an incremental
    /// build knows when it must be made again.
    pub deps: Deps,
    /// Hash of `html`, for output fingerprints.
    pub html_hash: u64,
}

/// Inputs of a rendered page other than its own source, by source path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Deps {
    /// Pages linked or referenced (their URL and title appear in the HTML).
    pub pages: BTreeSet<String>,
    /// Assets linked or shown as form cards (URL, size, type appear).
    pub assets: BTreeSet<String>,
    /// Partials included.
    pub partials: BTreeSet<String>,
    /// Uses `doc-list` or `meeting`: depends on every document's front matter.
    pub lists: bool,
}

/// Renders the body of page `page`.
pub fn render(ctx: &Ctx, page: PageIdx) -> Rendered {
    render_source(ctx, page, &ctx.content.pages[page].src)
}

/// Renders page `page` from `src` (its source, held by the caller).
pub fn render_source(ctx: &Ctx, page: PageIdx, src: &Source) -> Rendered {
    let mut r = Renderer {
        ctx,
        page,
        anchors: Default::default(),
        out: Rendered::default(),
        here_checks: Vec::new(),
        include_stack: vec![src.path.clone()],
        quizzes: 0,
        excerpt_done: false,
    };
    let mut html = r.render_source(src);
    if html.contains(TOC_MARKER) {
        html = html.replace(TOC_MARKER, &widgets::toc(&r.out.headings));
    }
    for (file, pos, anchor) in std::mem::take(&mut r.here_checks) {
        if !r.anchors.contains(&anchor) {
            let msg = format!(
                "no heading with anchor \"#{anchor}\" in this page{}",
                crate::diagnostics::suggestion(
                    &anchor,
                    r.out.headings.iter().map(|h| h.anchor.as_str())
                )
            );
            r.out.diags.error(&file, pos, msg);
        }
    }
    r.out.html_hash = crate::hash::fast(html.as_bytes());
    html.shrink_to_fit();
    r.out.html = html;
    r.out.text.shrink_to_fit();
    r.out.anchors = r.anchors.into_set();
    r.out
}

/// The number of the block directive a placeholder (`MARK` + number) stands for.
fn placeholder_index(html: &str) -> usize {
    html[MARK.len()..]
        .split("-->")
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}

/// A block directive found by `prepare`, with offsets in the original body.
#[derive(Debug)]
enum Block {
    Leaf(Directive),
    Open(Directive),
    Close,
}

struct Prepared {
    md: String,
    blocks: Vec<Block>,
}

/// Replaces block directive lines with placeholders. Offsets in `Block`s are relative to
/// `body`.
fn prepare(body: &str, mut error: impl FnMut(usize, String)) -> Prepared {
    let mut md = String::with_capacity(body.len() + 64);
    let mut blocks = Vec::new();
    let mut stack: Vec<(usize, usize, usize)> = Vec::new(); // (block index, colons, offset)
    let mut fence: Option<(char, usize)> = None;
    let mut off = 0;
    for line in body.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let ending = &line[content.len()..];
        let trimmed = content.trim_start_matches(' ');
        let indent = content.len() - trimmed.len();
        if indent <= 3 {
            fence_line(trimmed, &mut fence);
        }
        let parsed = if fence.is_none() {
            directives::block_line(content)
        } else {
            Ok(None)
        };
        match parsed {
            Ok(None) => md.push_str(line),
            Err(e) => {
                error(off + e.at, e.message);
                md.push_str(ending);
            }
            Ok(Some(bl)) => {
                let idx = blocks.len();
                match bl {
                    BlockLine::Leaf(d) => blocks.push(Block::Leaf(shift(d, off))),
                    BlockLine::Open(d, colons) => {
                        stack.push((idx, colons, off + d.start));
                        blocks.push(Block::Open(shift(d, off)));
                    }
                    BlockLine::Close(colons) => match stack.last() {
                        Some(&(_, need, _)) if need <= colons => {
                            stack.pop();
                            blocks.push(Block::Close);
                        }
                        Some(&(_, need, _)) => {
                            error(off + indent, format!("this line closes nothing: the open container needs at least {need} colons to close"));
                            md.push_str(ending);
                            off += line.len();
                            continue;
                        }
                        None => {
                            error(
                                off + indent,
                                "closing `:::` without an open container directive".into(),
                            );
                            md.push_str(ending);
                            off += line.len();
                            continue;
                        }
                    },
                }
                md.push_str(&format!("{MARK}{idx}-->{ending}"));
            }
        }
        off += line.len();
    }
    close_unclosed(stack, &mut blocks, &mut md, error);
    Prepared { md, blocks }
}

/// Tracks fenced code: a line (without its indent) that opens a fence, or closes the open
/// one.
fn fence_line(trimmed: &str, fence: &mut Option<(char, usize)>) {
    let Some(c) = trimmed.chars().next().filter(|c| *c == '`' || *c == '~') else {
        return;
    };
    let n = trimmed.chars().take_while(|&x| x == c).count();
    if n < 3 {
        return;
    }
    match *fence {
        None => *fence = Some((c, n)),
        Some((fc, fnum)) if fc == c && n >= fnum && trimmed[n..].trim().is_empty() => *fence = None,
        _ => {}
    }
}

/// Containers still open at the end of the body: each an error, closed there.
fn close_unclosed(
    mut stack: Vec<(usize, usize, usize)>,
    blocks: &mut Vec<Block>,
    md: &mut String,
    mut error: impl FnMut(usize, String),
) {
    while let Some((open, _, at)) = stack.pop() {
        let name = match &blocks[open] {
            Block::Open(d) => d.name.clone(),
            _ => String::new(),
        };
        error(
            at,
            format!("container \"{name}\" is never closed: add a line `:::` after its content"),
        );
        let idx = blocks.len();
        blocks.push(Block::Close);
        if !md.ends_with('\n') {
            md.push('\n');
        }
        md.push_str(&format!("{MARK}{idx}-->\n"));
    }
}

fn shift(mut d: Directive, by: usize) -> Directive {
    d.start += by;
    d.end += by;
    d.name_at += by;
    for a in &mut d.attrs {
        a.at += by;
        a.value_at += by;
    }
    d
}

/// What an open container turns into when it closes.
enum Open {
    Callout(String),
    Quiz {
        start: usize,
        title: Option<String>,
        at: usize,
    },
    Nothing,
}

struct Renderer<'c, 'a> {
    ctx: &'c Ctx<'a>,
    page: PageIdx,
    anchors: crate::anchors::Anchors,
    out: Rendered,
    here_checks: Vec<(String, Pos, String)>,
    include_stack: Vec<String>,
    quizzes: usize,
    excerpt_done: bool,
}

/// Positions in one source file being rendered.
struct Place<'s> {
    path: &'s str,
    /// The original body text and where it starts in its file.
    body: &'s str,
    file_lines: &'s LineIndex,
    file_text: &'s str,
    body_start: usize,
    /// The prepared text and its line index.
    md: &'s str,
    md_lines: LineIndex,
}

impl Place<'_> {
    fn body_pos(&self, off: usize) -> Pos {
        self.file_lines
            .pos(self.file_text, self.body_start + off.min(self.body.len()))
    }
    fn md_pos(&self, off: usize) -> Pos {
        // The prepared text has the body's lines (directive lines replaced line for line), so
        // a column in it is one in the file's NFC text; the file's index counts it as written.
        let p = self.md_lines.pos(self.md, off);
        // The line number of the body's first line, minus one.
        let line0 = self.file_lines.pos(self.file_text, self.body_start).line - 1;
        self.file_lines
            .written(self.file_text, Pos::new(p.line + line0, p.column))
    }
}

type Ev<'e> = (Event<'e>, usize);

/// A heading's start tag, taken apart: level, id, classes, attributes.
type HeadingTag<'e> = (
    HeadingLevel,
    Option<CowStr<'e>>,
    Vec<CowStr<'e>>,
    Vec<(CowStr<'e>, Option<CowStr<'e>>)>,
);

/// Where [`Renderer::transform`] is in the events: what it has written, the containers
/// open, the heading and paragraph it is in (where they start in the output and the text),
/// how deep in lists.
struct Walk<'e> {
    out: Vec<Ev<'e>>,
    opens: Vec<Open>,
    heading_start: Option<(usize, usize)>,
    list_depth: usize,
    para_text_start: Option<usize>,
}

impl<'c, 'a> Renderer<'c, 'a> {
    fn render_source(&mut self, src: &Source) -> String {
        let body = &src.text[src.body.min(src.text.len())..];
        let mut errors = Vec::new();
        let prep = prepare(body, |at, msg| errors.push((at, msg)));
        let place = Place {
            path: &src.path,
            body,
            file_lines: &src.lines,
            file_text: &src.text,
            body_start: src.body,
            md: &prep.md,
            md_lines: LineIndex::new(),
        };
        for (at, msg) in errors {
            self.out.diags.error(place.path, place.body_pos(at), msg);
        }
        let events = merged_events(&prep.md);
        let out = self.transform(&place, &prep, events);
        let mut html = String::with_capacity(prep.md.len() * 3 / 2);
        pulldown_cmark::html::push_html(&mut html, out.into_iter().map(|(e, _)| e));
        html
    }

    /// The one pass over the events: each kind of event to its step.
    fn transform<'e>(
        &mut self,
        place: &Place,
        prep: &Prepared,
        events: Vec<(Event<'e>, Range<usize>)>,
    ) -> Vec<Ev<'e>> {
        let mut w = Walk {
            out: Vec::with_capacity(events.len()),
            opens: Vec::new(),
            heading_start: None,
            list_depth: 0,
            para_text_start: None,
        };
        for (ev, range) in events {
            let at = range.start;
            match ev {
                Event::Start(Tag::Heading {
                    level,
                    id,
                    classes,
                    attrs,
                }) => self.heading_start(place, &mut w, at, (level, id, classes, attrs)),
                Event::End(TagEnd::Heading(level)) => self.heading_end(&mut w, at, level),
                Event::Start(Tag::Paragraph) => {
                    w.para_text_start = Some(self.out.text.len());
                    w.out.push((ev, at));
                }
                Event::End(TagEnd::Paragraph) => self.paragraph_end(&mut w, at),
                Event::Start(Tag::List(_)) => {
                    w.list_depth += 1;
                    w.out.push((ev, at));
                }
                Event::End(TagEnd::List(_)) => {
                    w.list_depth = w.list_depth.saturating_sub(1);
                    w.out.push((ev, at));
                }
                Event::End(
                    TagEnd::Item | TagEnd::TableCell | TagEnd::CodeBlock | TagEnd::BlockQuote(_),
                ) => {
                    self.out.text.push('\n');
                    w.out.push((ev, at));
                }
                Event::Start(Tag::Table(_)) => {
                    let wrap = "<div class=\"table-wrap\" tabindex=\"0\">";
                    w.out.push((Event::Html(wrap.into()), at));
                    w.out.push((ev, at));
                }
                Event::End(TagEnd::Table) => {
                    w.out.push((ev, at));
                    w.out.push((Event::Html("</div>\n".into()), at));
                }
                Event::Start(tag @ (Tag::Link { .. } | Tag::Image { .. })) => {
                    let tag = self.link_tag(place, tag, &range);
                    w.out.push((Event::Start(tag), at));
                }
                Event::Text(t) => self.inline_directives(place, t, &range, &mut w.out),
                Event::Code(t) => {
                    self.out.text.push_str(&t);
                    w.out.push((Event::Code(t), at));
                }
                Event::Html(h) | Event::InlineHtml(h) if h.starts_with(MARK) => {
                    let idx = placeholder_index(&h);
                    self.block(place, prep, idx, &mut w, at);
                }
                Event::Html(h) | Event::InlineHtml(h) => self.raw_html(&mut w.out, h, at),
                Event::SoftBreak | Event::HardBreak => {
                    self.out.text.push(' ');
                    w.out.push((ev, at));
                }
                other => w.out.push((other, at)),
            }
        }
        w.out
    }

    /// A link or an image, its destination resolved.
    fn link_tag<'e>(&mut self, place: &Place, tag: Tag<'e>, range: &Range<usize>) -> Tag<'e> {
        match tag {
            Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            } => Tag::Link {
                dest_url: self.link(place, link_type, dest_url, range, false),
                link_type,
                title,
                id,
            },
            Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            } => Tag::Image {
                dest_url: self.link(place, link_type, dest_url, range, true),
                link_type,
                title,
                id,
            },
            other => other,
        }
    }

    /// A heading opens: `{#anchor}` is how authors name an anchor; classes and other
    /// attributes (`{.x onclick=...}`) would be markup, allowed only where HTML is.
    fn heading_start<'e>(
        &mut self,
        place: &Place,
        w: &mut Walk<'e>,
        at: usize,
        (level, id, mut classes, mut attrs): HeadingTag<'e>,
    ) {
        if !self.ctx.config.allow_html && (!classes.is_empty() || !attrs.is_empty()) {
            let found: Vec<String> = classes
                .iter()
                .map(|c| format!(".{c}"))
                .chain(attrs.iter().map(|(k, _)| k.to_string()))
                .collect();
            self.out.diags.error(
                place.path,
                place.md_pos(at),
                format!(
                    "a heading may name only its anchor, as {{#anchor}}; found {}",
                    found.join(" ")
                ),
            );
            classes.clear();
            attrs.clear();
        }
        w.heading_start = Some((w.out.len(), self.out.text.len()));
        let tag = Tag::Heading {
            level,
            id,
            classes,
            attrs,
        };
        w.out.push((Event::Start(tag), at));
    }

    /// A heading closes: its anchor (the one named, or one made from its text) is claimed
    /// and it joins the page's headings.
    fn heading_end(&mut self, w: &mut Walk, at: usize, level: HeadingLevel) {
        if let Some((start, text_at)) = w.heading_start.take() {
            let text = plain_text(&w.out[start + 1..]);
            if let (Event::Start(Tag::Heading { id, .. }), _) = &mut w.out[start] {
                let wanted = match id {
                    Some(explicit) => explicit.to_string(),
                    None => crate::anchors::anchor(&text),
                };
                let anchor = self.anchors.claim(&wanted);
                *id = Some(CowStr::from(anchor.clone()));
                self.out.headings.push(Heading {
                    level: level as u8,
                    text,
                    anchor,
                    at: text_at,
                });
            }
            self.out.text.push('\n');
        }
        w.out.push((Event::End(TagEnd::Heading(level)), at));
    }

    /// A paragraph closes: the page's first paragraph of its own (not in a list, a directive
    /// or an included partial) is its excerpt.
    fn paragraph_end(&mut self, w: &mut Walk, at: usize) {
        if let Some(s) = w.para_text_start.take() {
            if !self.excerpt_done
                && w.list_depth == 0
                && w.opens.is_empty()
                && self.include_stack.len() == 1
            {
                let t = self.out.text[s..].trim();
                if !t.is_empty() {
                    self.out.excerpt = crate::html::truncate_words(t, 240);
                    self.excerpt_done = true;
                }
            }
        }
        self.out.text.push('\n');
        w.out.push((Event::End(TagEnd::Paragraph), at));
    }

    /// Raw HTML: kept when the site trusts it, else shown as text (comments dropped). Search
    /// reads what the page shows: the HTML's text, or the HTML itself.
    fn raw_html<'e>(&mut self, out: &mut Vec<Ev<'e>>, h: CowStr<'e>, at: usize) {
        if self.ctx.config.allow_html {
            self.out.text.push_str(&strip_tags(&h));
            out.push((Event::Html(h), at));
        } else if !h.trim_start().starts_with("<!--") {
            self.out.text.push_str(&h);
            out.push((Event::Text(h), at));
        }
    }

    /// Resolves a link or image destination and returns what to write in the HTML.
    fn link<'e>(
        &mut self,
        place: &Place,
        link_type: LinkType,
        dest: CowStr<'e>,
        range: &Range<usize>,
        image: bool,
    ) -> CowStr<'e> {
        if matches!(link_type, LinkType::Autolink | LinkType::Email) {
            return match links::refuse_scheme(&dest) {
                Ok(()) => dest,
                Err(msg) => {
                    let pos = place.md_pos(range.start + 1);
                    self.out.diags.error(place.path, pos, msg);
                    CowStr::from("#")
                }
            };
        }
        let src = &place.md[range.clone()];
        let dest_at = src.rfind("](").map_or(range.start, |i| range.start + i + 2);
        let dest_at = if src[dest_at - range.start..].starts_with('<') {
            dest_at + 1
        } else {
            dest_at
        };
        // Where the destination is, found only for a check or a problem: most links need none.
        let pos = || place.md_pos(dest_at);
        match links::resolve(self.ctx.content, place.path, &dest) {
            Ok(Target::External) => dest,
            Ok(Target::Here(anchor)) => {
                self.here_checks
                    .push((place.path.to_string(), pos(), anchor));
                dest
            }
            Ok(Target::Asset(a)) => {
                self.out
                    .deps
                    .assets
                    .insert(self.ctx.content.assets[a].path.clone());
                CowStr::from(self.ctx.href(&self.ctx.content.assets[a].url))
            }
            Ok(Target::Page(p, anchor)) if !image => {
                CowStr::from(self.page_href(place.path, &pos, p, anchor))
            }
            Ok(Target::Page(..)) => {
                self.out.diags.error(
                    place.path,
                    pos(),
                    format!("image \"{dest}\" points to a page, not an image file"),
                );
                dest
            }
            Err(msg) => {
                self.out.diags.error(place.path, pos(), msg);
                // Nothing is written when there is an error; still, never pass on a refused
                // scheme.
                if links::refuse_scheme(&dest).is_err() {
                    CowStr::from("#")
                } else {
                    dest
                }
            }
        }
    }

    fn page_href(
        &mut self,
        file: &str,
        pos: &dyn Fn() -> Pos,
        p: PageIdx,
        anchor: Option<String>,
    ) -> String {
        let mut url = self.ctx.href(&self.ctx.content.pages[p].url);
        self.out
            .deps
            .pages
            .insert(self.ctx.content.pages[p].src.path.clone());
        if let Some(a) = anchor {
            url.push('#');
            url.push_str(&a);
            if p == self.page {
                self.here_checks.push((file.to_string(), pos(), a));
            } else {
                self.out.checks.push(AnchorCheck {
                    file: file.to_string(),
                    pos: pos(),
                    target: self.ctx.content.pages[p].src.path.clone(),
                    anchor: a,
                });
            }
        }
        url
    }

    fn inline_directives<'e>(
        &mut self,
        place: &Place,
        text: CowStr<'e>,
        range: &Range<usize>,
        out: &mut Vec<Ev<'e>>,
    ) {
        let found = if text.contains(':') {
            directives::inline(&text)
        } else {
            Vec::new()
        };
        if found.is_empty() {
            self.out.text.push_str(&text);
            out.push((Event::Text(text), range.start));
            return;
        }
        // Map offsets in the event text back to the source when the two are the same text.
        let same = place.md.get(range.clone()) == Some(&text[..]);
        let pos = |off: usize| place.md_pos(if same { range.start + off } else { range.start });
        let mut last = 0;
        for item in found {
            match item {
                Err(e) => self.out.diags.error(place.path, pos(e.at), e.message),
                Ok(d) => {
                    if d.start > last {
                        self.out.text.push_str(&text[last..d.start]);
                        out.push((
                            Event::Text(CowStr::from(text[last..d.start].to_string())),
                            range.start,
                        ));
                    }
                    last = d.end;
                    match widgets::check(&d, Form::Inline) {
                        Err(errs) => {
                            for (at, msg) in errs {
                                self.out.diags.error(place.path, pos(at), msg);
                            }
                        }
                        Ok(_) => {
                            let html = self.reference(place.path, &d, &pos);
                            out.push((Event::InlineHtml(CowStr::from(html)), range.start));
                        }
                    }
                }
            }
        }
        if last < text.len() {
            self.out.text.push_str(&text[last..]);
            out.push((
                Event::Text(CowStr::from(text[last..].to_string())),
                range.start,
            ));
        }
    }

    /// `:ref[text]{to="id#anchor"}`
    fn reference(&mut self, file: &str, d: &Directive, pos: &dyn Fn(usize) -> Pos) -> String {
        let Some(to) = d.attr("to") else {
            return String::new();
        };
        let (id, anchor) = match to.value.split_once('#') {
            Some((i, a)) => (i, Some(a.to_string()).filter(|a| !a.is_empty())),
            None => (to.value.as_str(), None),
        };
        let content = self.ctx.content;
        let Some(&p) = content
            .by_id
            .get(id)
            .or_else(|| content.section_by_id.get(id))
        else {
            let ids = content.by_id.keys().map(String::as_str);
            self.out.diags.error(
                file,
                pos(to.value_at),
                format!(
                    "no document has the id \"{id}\"{}",
                    crate::diagnostics::suggestion(id, ids)
                ),
            );
            return crate::html::esc(d.label.as_deref().unwrap_or(id));
        };
        let href = self.page_href(file, &|| pos(to.value_at), p, anchor);
        let label = d
            .label
            .clone()
            .filter(|l| !l.trim().is_empty())
            .unwrap_or_else(|| content.pages[p].fm.title.clone());
        self.out.text.push_str(&label);
        format!(
            "<a class=\"ref\" href=\"{}\">{}</a>",
            crate::html::esc(&href),
            crate::html::esc(&label)
        )
    }

    /// Handles the placeholder of block directive `idx`.
    /// The block directive a placeholder stands for.
    fn block(&mut self, place: &Place, prep: &Prepared, idx: usize, w: &mut Walk, at: usize) {
        match prep.blocks.get(idx) {
            Some(Block::Close) => self.close_container(place, w, at),
            Some(Block::Open(d)) => self.open_container(place, d, w, at),
            Some(Block::Leaf(d)) => self.leaf(place, d, &mut w.out, at),
            None => {}
        }
    }

    /// A container's closing line: the callout's closing HTML, or the quiz made from the
    /// list inside.
    fn close_container(&mut self, place: &Place, w: &mut Walk, at: usize) {
        match w.opens.pop() {
            Some(Open::Callout(close)) => w.out.push((Event::Html(close.into()), at)),
            Some(Open::Quiz {
                start,
                title,
                at: qat,
            }) => {
                let inner: Vec<Ev> = w.out.drain(start..).collect();
                match build_quiz(inner) {
                    Ok(questions) => {
                        self.quizzes += 1;
                        let html = widgets::quiz(self.quizzes, title.as_deref(), &questions);
                        w.out.push((Event::Html(html.into()), at));
                    }
                    Err((_, msg)) => self.out.diags.error(place.path, place.body_pos(qat), msg),
                }
            }
            Some(Open::Nothing) | None => {}
        }
    }

    /// A container's opening line: a quiz (made when it closes) or a callout.
    fn open_container(&mut self, place: &Place, d: &Directive, w: &mut Walk, at: usize) {
        match widgets::check(d, Form::Container) {
            Err(errs) => {
                self.widget_errors(place, errs);
                w.opens.push(Open::Nothing);
            }
            Ok(spec) if spec.name == "quiz" => {
                w.opens.push(Open::Quiz {
                    start: w.out.len(),
                    title: title_of(d),
                    at: d.name_at,
                });
            }
            Ok(spec) => {
                let title = title_of(d);
                if let Some(t) = &title {
                    self.out.text.push_str(t);
                    self.out.text.push('\n');
                }
                let (open, close) = widgets::callout(spec.name, title.as_deref());
                w.out.push((Event::Html(open.into()), at));
                w.opens.push(Open::Callout(close));
            }
        }
    }

    /// A leaf directive, alone on its line: its HTML.
    fn leaf(&mut self, place: &Place, d: &Directive, out: &mut Vec<Ev>, at: usize) {
        let result = widgets::check(d, Form::Leaf).and_then(|spec| match spec.name {
            "toc" => Ok(TOC_MARKER.to_string()),
            "doc-list" => {
                self.out.deps.lists = true;
                widgets::doc_list(self.ctx, d)
            }
            "meeting" => {
                self.out.deps.lists = true;
                widgets::meeting(self.ctx, d)
            }
            "form" => self.form(place, d),
            "include" => self.include(place, d),
            _ => Ok(String::new()),
        });
        match result {
            Ok(html) => out.push((Event::Html(html.into()), at)),
            Err(errs) => self.widget_errors(place, errs),
        }
    }

    /// A directive's problems, each at its place in the file.
    fn widget_errors(&mut self, place: &Place, errs: Vec<widgets::WidgetError>) {
        for (o, msg) in errs {
            self.out.diags.error(place.path, place.body_pos(o), msg);
        }
    }

    fn form(&mut self, place: &Place, d: &Directive) -> Result<String, Vec<widgets::WidgetError>> {
        let Some(file) = d.attr("file") else {
            return Err(vec![]);
        };
        match links::resolve(self.ctx.content, place.path, &file.value) {
            Ok(Target::Asset(a)) => {
                self.out
                    .deps
                    .assets
                    .insert(self.ctx.content.assets[a].path.clone());
                Ok(widgets::form_card(self.ctx, a, d.label.as_deref()))
            }
            Ok(_) => Err(vec![(
                file.value_at,
                format!("\"{}\" is not an attachment file", file.value),
            )]),
            Err(msg) => Err(vec![(file.value_at, msg.replacen("link", "file", 1))]),
        }
    }

    fn include(
        &mut self,
        place: &Place,
        d: &Directive,
    ) -> Result<String, Vec<widgets::WidgetError>> {
        let Some(file) = d.attr("file") else {
            return Err(vec![]);
        };
        let from_dir = place.path.rsplit_once('/').map_or("", |(d, _)| d);
        let target = normalize_join(from_dir, &file.value);
        let Some(src) = target
            .as_ref()
            .and_then(|t| self.ctx.content.partials.get(t))
        else {
            let why = match &target {
                Some(t) if self.ctx.content.by_path.contains_key(t) => {
                    format!("{t} is a page; only partials (names starting with _) can be included")
                }
                Some(t) => {
                    format!("{t} does not exist, or is not a partial (names starting with _)")
                }
                None => "the path leaves content/".to_string(),
            };
            return Err(vec![(
                file.value_at,
                format!("cannot include \"{}\": {why}", file.value),
            )]);
        };
        if self.include_stack.contains(&src.path) {
            return Err(vec![(
                file.value_at,
                format!(
                    "include cycle: {} -> {}",
                    self.include_stack.join(" -> "),
                    src.path
                ),
            )]);
        }
        if self.include_stack.len() > MAX_INCLUDE_DEPTH {
            return Err(vec![(
                file.value_at,
                "includes are nested too deeply".to_string(),
            )]);
        }
        self.out.deps.partials.insert(src.path.clone());
        self.include_stack.push(src.path.clone());
        let html = self.render_source(src);
        self.include_stack.pop();
        Ok(html)
    }
}

fn title_of(d: &Directive) -> Option<String> {
    d.attr("title")
        .map(|a| a.value.clone())
        .or_else(|| d.label.clone())
        .filter(|t| !t.trim().is_empty())
}

fn normalize_join(dir: &str, rel: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    let joined = format!("{dir}/{}", links::percent_decode(rel));
    for seg in joined.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            s => out.push(s),
        }
    }
    let p = crate::text::nfc(&out.join("/")).into_owned();
    p.starts_with("content/").then_some(p)
}

/// Parses with our options, merging adjacent text events.
fn merged_events(md: &str) -> Vec<(Event<'_>, Range<usize>)> {
    let opts = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES;
    let mut out: Vec<(Event<'_>, Range<usize>)> = Vec::new();
    for (ev, range) in Parser::new_ext(md, opts).into_offset_iter() {
        if let Event::Text(t) = &ev {
            if let Some((Event::Text(prev), prange)) = out.last_mut() {
                let mut s = prev.to_string();
                s.push_str(t);
                *prev = CowStr::from(s);
                prange.end = range.end;
                continue;
            }
        }
        out.push((ev, range));
    }
    out
}

fn plain_text(events: &[Ev]) -> String {
    let mut s = String::new();
    for (e, _) in events {
        match e {
            Event::Text(t) | Event::Code(t) => s.push_str(t),
            Event::InlineHtml(h) | Event::Html(h) => s.push_str(&strip_tags(h)),
            Event::SoftBreak | Event::HardBreak => s.push(' '),
            _ => {}
        }
    }
    s.trim().to_string()
}

fn strip_tags(h: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in h.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

fn to_html(events: Vec<Ev>) -> String {
    let mut s = String::new();
    pulldown_cmark::html::push_html(&mut s, events.into_iter().map(|(e, _)| e));
    s
}

/// Rebuilds a quiz from the events of its numbered list (see docs/AUTHORING.md).
fn build_quiz(events: Vec<Ev>) -> Result<Vec<Question>, (usize, String)> {
    let mut it = events
        .into_iter()
        .filter(|(e, _)| {
            !matches!(
                e,
                Event::Start(Tag::HtmlBlock) | Event::End(TagEnd::HtmlBlock)
            ) && !matches!(e, Event::Text(t) if t.trim().is_empty())
        })
        .peekable();
    match it.next() {
        Some((Event::Start(Tag::List(Some(_))), _)) => {}
        Some((_, at)) => {
            return Err((
                at,
                "a quiz is a numbered list of questions (1. ...), each with options - [ ] / - [x]"
                    .into(),
            ))
        }
        None => return Err((0, "this quiz has no questions".into())),
    }
    let mut questions = Vec::new();
    loop {
        match it.next() {
            Some((Event::Start(Tag::Item), _)) => {}
            Some((Event::End(TagEnd::List(_)), _)) => break,
            Some((_, at)) => return Err((at, "a quiz is a numbered list of questions".into())),
            None => break,
        }
        // One question: its events up to the matching End(Item).
        let mut depth = 0i32;
        let mut item = Vec::new();
        for (e, at) in it.by_ref() {
            match &e {
                Event::Start(_) => depth += 1,
                Event::End(TagEnd::Item) if depth == 0 => break,
                Event::End(_) => depth -= 1,
                _ => {}
            }
            item.push((e, at));
        }
        questions.push(question(item, questions.len() + 1)?);
    }
    if it.any(|(e, _)| !matches!(e, Event::Html(_))) {
        return Err((
            0,
            "a quiz holds one numbered list of questions and nothing after it".into(),
        ));
    }
    if questions.is_empty() {
        return Err((0, "this quiz has no questions".into()));
    }
    Ok(questions)
}

/// Where the element that starts at `start` ends (the index of its end event), or the end.
fn block_end(events: &[Ev], start: usize) -> usize {
    let mut depth = 0i32;
    for (i, (e, _)) in events.iter().enumerate().skip(start) {
        match e {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    events.len()
}

/// A question's options, from its task list: each as HTML with whether it is correct, each as
/// text, and whether some option lacks its `[ ]` or `[x]`.
type QuizOptions = (Vec<(String, bool)>, Vec<String>, bool);

fn options(list: Vec<Ev>) -> QuizOptions {
    let mut options = Vec::new();
    let mut option_text = Vec::new();
    let mut depth = 0i32;
    let mut cur: Option<(bool, Vec<Ev>)> = None;
    let mut marker_missing = false;
    for (e, a) in list.into_iter().skip(1) {
        match &e {
            Event::Start(Tag::Item) if depth == 0 => {
                cur = Some((false, Vec::new()));
                depth += 1;
                continue;
            }
            Event::End(TagEnd::Item) if depth == 1 => {
                if let Some((correct, evs)) = cur.take() {
                    if !evs
                        .iter()
                        .any(|(e, _)| matches!(e, Event::TaskListMarker(_)))
                    {
                        marker_missing = true;
                    }
                    let evs: Vec<Ev> = evs
                        .into_iter()
                        .filter(|(e, _)| {
                            !matches!(
                                e,
                                Event::TaskListMarker(_)
                                    | Event::Start(Tag::Paragraph)
                                    | Event::End(TagEnd::Paragraph)
                            )
                        })
                        .collect();
                    option_text.push(plain_text(&evs));
                    options.push((to_html(evs), correct));
                }
                depth -= 1;
                continue;
            }
            Event::Start(_) => depth += 1,
            Event::End(_) => depth -= 1,
            Event::TaskListMarker(checked) if depth == 1 => {
                if let Some(c) = cur.as_mut() {
                    c.0 = *checked;
                }
            }
            _ => {}
        }
        if let Some(c) = cur.as_mut() {
            c.1.push((e, a));
        }
    }
    (options, option_text, marker_missing)
}

fn question(item: Vec<Ev>, n: usize) -> Result<Question, (usize, String)> {
    let at = item.first().map_or(0, |(_, a)| *a);
    let list_start = item
        .iter()
        .position(|(e, _)| matches!(e, Event::Start(Tag::List(None))));
    let Some(ls) = list_start else {
        return Err((at, format!("question {n} of the quiz has no options: add lines \"- [ ] ...\" and \"- [x] ...\" under it")));
    };
    let le = block_end(&item, ls);
    let mut rest = item;
    let after: Vec<Ev> = rest.split_off((le + 1).min(rest.len()));
    let list: Vec<Ev> = rest.split_off(ls);
    let prompt: Vec<Ev> = rest
        .into_iter()
        .filter(|(e, _)| {
            !matches!(
                e,
                Event::Start(Tag::Paragraph) | Event::End(TagEnd::Paragraph)
            )
        })
        .collect();

    let (options, option_text, marker_missing) = options(list);
    if marker_missing {
        return Err((
            at,
            format!("every option of question {n} must start with [ ] or [x]"),
        ));
    }
    if options.len() < 2 {
        return Err((
            at,
            format!("question {n} of the quiz needs at least two options"),
        ));
    }
    if !options.iter().any(|o| o.1) {
        return Err((
            at,
            format!("question {n} of the quiz has no correct option: mark it [x]"),
        ));
    }
    Ok(Question {
        prompt: to_html(prompt),
        options,
        option_text,
        explanation: to_html(after),
    })
}
