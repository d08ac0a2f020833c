//! The syntax of Markdown directives, after the CommonMark generic-directives proposal.
//!
//! ```text
//! inline     = ":" name [ "[" label "]" ] [ "{" attrs "}" ]     ; at least one of [..] {..}
//! leaf       = "::" name [ "[" label "]" ] [ "{" attrs "}" ]    ; alone on its line
//! container  = ":::" ":"* name [ "[" label "]" ] [ "{" attrs "}" ]   ; opening line
//!              ...Markdown...
//!              ":::" ":"*                                          ; closing line
//! name       = letter ( letter | digit | "-" )*
//! label      = any text with balanced [ ] (a backslash escapes one character)
//! attrs      = ( attr ( whitespace+ attr )* )? whitespace*
//! attr       = key "=" value | key
//! key        = letter ( letter | digit | "-" | "_" )*
//! value      = '"' text '"' | "'" text "'" | bare
//! bare       = ( any character but whitespace, quotes, "=", "{", "}" )+
//! ```
//!
//! Block directives (leaf and container) start a line, with at most three spaces before them,
//! outside fenced code. An inline directive must follow a space, punctuation or the start of a
//! text, and its name must be followed directly by `[` or `{`: so "7:30", "https://x",
//! "Ghi chú: ..." and "tỷ lệ 1:2" are plain text. This module only parses; `widgets` knows
//! what each directive means.

/// A parsed directive, with byte offsets relative to the text it was found in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub name: String,
    pub label: Option<String>,
    pub attrs: Vec<Attr>,
    /// Offset of the first `:`.
    pub start: usize,
    /// Offset just after the directive.
    pub end: usize,
    /// Offset of the name.
    pub name_at: usize,
}

impl Directive {
    pub fn attr(&self, key: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.key == key)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    pub key: String,
    pub value: String,
    /// Offset of the key.
    pub at: usize,
    /// Offset of the value (of the key for a bare key).
    pub value_at: usize,
}

/// A syntax error at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub at: usize,
    pub message: String,
}

fn err<T>(at: usize, message: impl Into<String>) -> Result<T, SyntaxError> {
    Err(SyntaxError {
        at,
        message: message.into(),
    })
}

/// What a line is, as far as block directives go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockLine {
    /// `::name...`
    Leaf(Directive),
    /// `:::name...` with its number of colons.
    Open(Directive, usize),
    /// `:::` with its number of colons.
    Close(usize),
}

/// Recognises a block directive line. `Ok(None)` for ordinary lines (including lines that
/// start with colons but no name, such as "::" or ":30"). Offsets are relative to `line`.
pub fn block_line(line: &str) -> Result<Option<BlockLine>, SyntaxError> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return Ok(None);
    }
    let body = line[indent..].trim_end();
    let colons = body.len() - body.trim_start_matches(':').len();
    if colons < 2 {
        return Ok(None);
    }
    let rest = &body[colons..];
    if rest.is_empty() {
        return Ok((colons >= 3).then_some(BlockLine::Close(colons)));
    }
    if !rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Ok(None);
    }
    let d = parse_after_colons(body, colons, true)?;
    if d.end != body.len() {
        return err(
            indent + d.end,
            "unexpected text after the directive; a block directive must be alone on its line",
        );
    }
    let d = shift(d, indent);
    Ok(Some(if colons == 2 {
        BlockLine::Leaf(d)
    } else {
        BlockLine::Open(d, colons)
    }))
}

/// Finds inline directives in a run of text. Returns each directive or syntax error, in order.
pub fn inline(text: &str) -> Vec<Result<Directive, SyntaxError>> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(rel) = text[i..].find(':') {
        let at = i + rel;
        i = at + 1;
        let prev_ok = text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == ':'));
        let next_is_letter = bytes.get(at + 1).is_some_and(|b| b.is_ascii_alphabetic());
        if !prev_ok || !next_is_letter {
            continue;
        }
        let name_end = at + 1 + name_len(&text[at + 1..]);
        if !matches!(bytes.get(name_end), Some(b'[') | Some(b'{')) {
            continue;
        }
        match parse_after_colons(&text[at..], 1, false) {
            Ok(d) => {
                i = at + d.end;
                out.push(Ok(shift(d, at)));
            }
            Err(e) => {
                out.push(Err(SyntaxError {
                    at: at + e.at,
                    message: e.message,
                }));
                i = name_end;
            }
        }
    }
    out
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

fn name_len(s: &str) -> usize {
    s.bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-')
        .count()
}

/// Parses `name [label] {attrs}` starting after `colons` colons at the start of `s`.
fn parse_after_colons(s: &str, colons: usize, block: bool) -> Result<Directive, SyntaxError> {
    let name_at = colons;
    let name_end = name_at + name_len(&s[name_at..]);
    let name = s[name_at..name_end].to_string();
    let mut pos = name_end;
    let mut label = None;
    if s[pos..].starts_with('[') {
        let (l, end) = parse_label(s, pos)?;
        label = Some(l);
        pos = end;
    }
    let mut attrs = Vec::new();
    if s[pos..].starts_with('{') {
        let (a, end) = parse_attrs(s, pos)?;
        attrs = a;
        pos = end;
    }
    if !block && label.is_none() && pos == name_end {
        return err(name_end, "expected `[` or `{` after the directive name");
    }
    Ok(Directive {
        name,
        label,
        attrs,
        start: 0,
        end: pos,
        name_at,
    })
}

/// `[...]` with balanced brackets and backslash escapes; returns the label and the offset after `]`.
fn parse_label(s: &str, open: usize) -> Result<(String, usize), SyntaxError> {
    let mut depth = 0usize;
    let mut out = String::new();
    let mut chars = s[open..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, n)) = chars.next() {
                    out.push(n);
                }
            }
            '[' => {
                if depth > 0 {
                    out.push(c);
                }
                depth += 1;
            }
            ']' => {
                depth -= 1;
                if depth == 0 {
                    return Ok((out, open + i + 1));
                }
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    err(open, "the label `[` is never closed with `]`")
}

/// `{key=value ...}`; returns the attributes and the offset after `}`.
fn parse_attrs(s: &str, open: usize) -> Result<(Vec<Attr>, usize), SyntaxError> {
    let b = s.as_bytes();
    let mut i = open + 1;
    let mut attrs: Vec<Attr> = Vec::new();
    loop {
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        match b.get(i) {
            None => return err(open, "the attributes `{` are never closed with `}`"),
            Some(b'}') => return Ok((attrs, i + 1)),
            Some(c) if c.is_ascii_alphabetic() => {}
            Some(_) => {
                let c = s[i..].chars().next().unwrap_or(' ');
                return err(i, format!("expected an attribute name, found `{c}`"));
            }
        }
        let key_at = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-' || b[i] == b'_') {
            i += 1;
        }
        let key = s[key_at..i].to_string();
        let (value, value_at) = if b.get(i) == Some(&b'=') {
            i += 1;
            let value_at = i;
            match b.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let close = s[i + 1..].find(q as char).ok_or(SyntaxError {
                        at: i,
                        message: "this quoted value is never closed".into(),
                    })?;
                    let v = s[i + 1..i + 1 + close].to_string();
                    i += close + 2;
                    (v, value_at + 1)
                }
                _ => {
                    let start = i;
                    while i < b.len() && !b" \t\"'={}".contains(&b[i]) {
                        i += 1;
                    }
                    if i == start {
                        return err(start, format!("attribute `{key}` needs a value after `=`"));
                    }
                    (s[start..i].to_string(), start)
                }
            }
        } else {
            (String::new(), key_at)
        };
        if attrs.iter().any(|a| a.key == key) {
            return err(key_at, format!("attribute `{key}` is given twice"));
        }
        attrs.push(Attr {
            key,
            value: crate::text::nfc(&value).into_owned(),
            at: key_at,
            value_at,
        });
        if !matches!(b.get(i), Some(b' ' | b'\t' | b'}') | None) {
            return err(i, "expected a space or `}` after the attribute");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(d: &Directive) -> Vec<(String, String)> {
        d.attrs
            .iter()
            .map(|a| (a.key.clone(), a.value.clone()))
            .collect()
    }

    #[test]
    fn block_lines() {
        // (line, expected: None | Leaf/Open(name, label, attrs) | Close(n) | Err(col, msg))
        let ordinary = [
            "Giờ họp: 7:30 sáng",
            "::",
            "::30",
            "  :: x",
            "    ::note",
            ": a",
            "https://example.org",
            "::: ",
        ];
        for l in ordinary {
            let got = block_line(l).unwrap();
            assert!(
                got.is_none() || matches!(got, Some(BlockLine::Close(_))),
                "{l:?} -> {got:?}"
            );
        }
        assert_eq!(block_line(":::").unwrap(), Some(BlockLine::Close(3)));
        assert_eq!(block_line("::::  ").unwrap(), Some(BlockLine::Close(4)));

        let Some(BlockLine::Leaf(d)) = block_line("::toc").unwrap() else {
            panic!()
        };
        assert_eq!(
            (d.name.as_str(), d.label.clone(), d.attrs.len()),
            ("toc", None, 0)
        );

        let Some(BlockLine::Leaf(d)) =
            block_line("::form[Mẫu 2 - Bản [tự] kiểm điểm]{file=\"mau 02.docx\"}").unwrap()
        else {
            panic!()
        };
        assert_eq!(d.label.as_deref(), Some("Mẫu 2 - Bản [tự] kiểm điểm"));
        assert_eq!(attrs(&d), [("file".into(), "mau 02.docx".into())]);

        let Some(BlockLine::Open(d, 4)) = block_line(" ::::note{title='Điểm mới' open}").unwrap()
        else {
            panic!()
        };
        assert_eq!(d.name, "note");
        assert_eq!(
            attrs(&d),
            [
                ("title".into(), "Điểm mới".into()),
                ("open".into(), String::new())
            ]
        );
        assert_eq!(d.name_at, 5);
        assert_eq!(d.attrs[0].value_at, 17);

        let Some(BlockLine::Leaf(d)) =
            block_line("::doc-list{kind=nghi-quyet sort=-issued limit=5}").unwrap()
        else {
            panic!()
        };
        assert_eq!(
            attrs(&d),
            [
                ("kind".into(), "nghi-quyet".into()),
                ("sort".into(), "-issued".into()),
                ("limit".into(), "5".into())
            ]
        );
    }

    #[test]
    fn block_errors() {
        let cases = [
            (
                "::note text after",
                6,
                "unexpected text after the directive; a block directive must be alone on its line",
            ),
            (
                "::form{file=\"a.docx}",
                12,
                "this quoted value is never closed",
            ),
            (
                "::form{file=a.docx",
                6,
                "the attributes `{` are never closed with `}`",
            ),
            ("::form[abc", 6, "the label `[` is never closed with `]`"),
            ("::x{a=1 a=2}", 8, "attribute `a` is given twice"),
            ("::x{=1}", 4, "expected an attribute name, found `=`"),
            ("::x{a=}", 6, "attribute `a` needs a value after `=`"),
            (
                "::x{a=\"1\"b}",
                9,
                "expected a space or `}` after the attribute",
            ),
        ];
        for (line, at, msg) in cases {
            let e = block_line(line).unwrap_err();
            assert_eq!((e.at, e.message.as_str()), (at, msg), "{line:?}");
        }
    }

    #[test]
    fn inline_directives() {
        let found = |t: &str| -> Vec<String> {
            inline(t)
                .into_iter()
                .map(|r| match r {
                    Ok(d) => format!("{}@{}..{}:{:?}", d.name, d.start, d.end, d.label),
                    Err(e) => format!("error@{}:{}", e.at, e.message),
                })
                .collect()
        };
        let plain = [
            "Họp lúc 7:30 sáng",
            "Xem https://example.org/a:b[1]",
            "Ghi chú: đọc kỹ",
            "tỷ lệ 1:2",
            "Lưu ý:note[x]",
            "a ::b[x]",
            ":: [x]",
        ];
        for t in plain {
            assert!(found(t).is_empty(), "{t:?} -> {:?}", found(t));
        }
        assert_eq!(
            found("Xem :ref[Điều 5]{to=\"dieu-le#dieu-5\"}."),
            ["ref@4..40:Some(\"Điều 5\")"]
        );
        assert_eq!(found("(:ref{to=a})"), ["ref@1..11:None"]);
        assert_eq!(
            found(":ref[a]{to=b} và :ref[c]{to=d}"),
            ["ref@0..13:Some(\"a\")", "ref@18..31:Some(\"c\")"]
        );
        assert_eq!(
            found("xem :ref[Điều 5{to=x}"),
            ["error@8:the label `[` is never closed with `]`"]
        );
    }
}
