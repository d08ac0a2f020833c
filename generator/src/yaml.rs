//! Reading YAML mappings (front matter, `sotay.yaml`) with positions for every key and value.
//!
//! serde_yaml gives no positions for values, so the top-level keys are located by a small scan
//! of the text: front matter and site configs are flat mappings written one key per line, and
//! that is where an author looks for a mistake.
//!
//! Most front matter is nothing but `key: text` lines and `key: [text, text]` lists, which
//! [`simple`] reads without serde_yaml (whose parser cost ~20 µs a document, nearly half of
//! the time a build spends reading the content); anything else, or anything it is not sure
//! of, goes to serde_yaml, so both give the same value (a test compares them on generated
//! lines).

use crate::diagnostics::{suggestion, Diagnostics, LineIndex, Pos};
use serde_yaml::{Mapping, Value};

/// A parsed flat YAML mapping, with where each top-level key sits in the file.
pub struct YamlMap<'a> {
    pub file: &'a str,
    /// The whole file's text and line index, for positions.
    text: &'a str,
    lines: &'a LineIndex,
    /// Byte range of the YAML inside `text`.
    start: usize,
    end: usize,
    pub map: Mapping,
}

impl<'a> YamlMap<'a> {
    /// Parses `text[start..end]` as a mapping. Syntax errors and a non-mapping document are
    /// reported at their position and give `None`.
    pub fn parse(
        file: &'a str,
        text: &'a str,
        lines: &'a LineIndex,
        start: usize,
        end: usize,
        diags: &mut Diagnostics,
    ) -> Option<Self> {
        let yaml = &text[start..end];
        let value: Value = if yaml.trim().is_empty() {
            Value::Mapping(Mapping::new())
        } else {
            match simple(yaml).map_or_else(|| serde_yaml::from_str(yaml), Ok) {
                Ok(v) => v,
                Err(e) => {
                    // Where by byte offset, not by serde_yaml's line and column: YAML also
                    // breaks lines at U+0085, U+2028 and U+2029 (editors and `LineIndex` do
                    // not), and a leading byte order mark is skipped without being counted.
                    let bom = if yaml.starts_with('\u{feff}') { 3 } else { 0 };
                    let pos = e
                        .location()
                        .map(|l| lines.pos(text, start + bom + l.index()))
                        .unwrap_or_else(|| lines.pos(text, start));
                    let msg = e.to_string();
                    // serde_yaml appends " at line X column Y", which would contradict our
                    // file-relative position.
                    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                    diags.error(file, pos, format!("invalid YAML: {msg}"));
                    return None;
                }
            }
        };
        match value {
            Value::Mapping(map) => Some(YamlMap {
                file,
                text,
                lines,
                start,
                end,
                map,
            }),
            Value::Null => Some(YamlMap {
                file,
                text,
                lines,
                start,
                end,
                map: Mapping::new(),
            }),
            _ => {
                diags.error(
                    file,
                    lines.pos(text, start),
                    "expected `key: value` lines".to_string(),
                );
                None
            }
        }
    }

    /// Byte offset of the line that defines top-level `key`.
    fn key_offset(&self, key: &str) -> Option<usize> {
        let yaml = &self.text[self.start..self.end];
        let mut off = 0;
        for line in yaml.split_inclusive('\n') {
            let trimmed = line.trim_start_matches(['"', '\'']);
            if !line.starts_with([' ', '\t', '#', '-'])
                && trimmed.starts_with(key)
                && trimmed[key.len()..]
                    .trim_start_matches(['"', '\''])
                    .trim_start()
                    .starts_with(':')
            {
                return Some(self.start + off);
            }
            off += line.len();
        }
        None
    }

    /// Position of top-level `key`, or of the start of the mapping.
    pub fn key_pos(&self, key: &str) -> Pos {
        let off = self.key_offset(key).unwrap_or(self.start);
        self.lines.pos(self.text, off)
    }

    /// Position of `needle` in the value of `key` (first occurrence after the key), or of the
    /// key itself.
    pub fn value_pos(&self, key: &str, needle: &str) -> Pos {
        let Some(koff) = self.key_offset(key) else {
            return self.key_pos(key);
        };
        let after = koff + key.len();
        match self.text[after..self.end].find(needle) {
            Some(i) if !needle.is_empty() => self.lines.pos(self.text, after + i),
            _ => self.lines.pos(self.text, koff),
        }
    }

    /// Reports every key not in `known`, with a suggestion.
    pub fn check_keys(&self, known: &[&str], what: &str, diags: &mut Diagnostics) {
        for k in self.map.keys() {
            let name = scalar_string(k).unwrap_or_default();
            if !known.contains(&name.as_str()) {
                diags.error(
                    self.file,
                    self.key_pos(&name),
                    format!(
                        "unknown {what} field \"{name}\"{}",
                        suggestion(&name, known.iter().copied())
                    ),
                );
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key)
    }

    /// A text field; numbers and booleans are accepted as their text. A list or mapping is an
    /// error.
    pub fn string(&self, key: &str, diags: &mut Diagnostics) -> Option<String> {
        let v = self.get(key)?;
        match scalar_string(v) {
            Some(s) => Some(crate::text::nfc(s.trim()).into_owned()),
            None if v.is_null() => None,
            None => {
                diags.error(
                    self.file,
                    self.key_pos(key),
                    format!("\"{key}\" must be a single text value"),
                );
                None
            }
        }
    }

    /// A list of texts; a single text is a list of one.
    pub fn string_list(&self, key: &str, diags: &mut Diagnostics) -> Vec<String> {
        match self.get(key) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Sequence(items)) => {
                let mut out = Vec::new();
                for item in items {
                    match scalar_string(item) {
                        Some(s) if !s.trim().is_empty() => {
                            out.push(crate::text::nfc(s.trim()).into_owned())
                        }
                        _ => diags.error(
                            self.file,
                            self.key_pos(key),
                            format!("every item of \"{key}\" must be a non-empty text"),
                        ),
                    }
                }
                out
            }
            Some(v) => match scalar_string(v) {
                Some(s) if !s.trim().is_empty() => vec![crate::text::nfc(s.trim()).into_owned()],
                _ => {
                    diags.error(
                        self.file,
                        self.key_pos(key),
                        format!("\"{key}\" must be a list, e.g. [a, b]"),
                    );
                    Vec::new()
                }
            },
        }
    }

    pub fn bool(&self, key: &str, diags: &mut Diagnostics) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(b) => Some(*b),
            Value::Null => None,
            _ => {
                diags.error(
                    self.file,
                    self.key_pos(key),
                    format!("\"{key}\" must be true or false"),
                );
                None
            }
        }
    }

    pub fn integer(&self, key: &str, diags: &mut Diagnostics) -> Option<i64> {
        match self.get(key)? {
            Value::Number(n) if n.as_i64().is_some() => n.as_i64(),
            Value::Null => None,
            _ => {
                diags.error(
                    self.file,
                    self.key_pos(key),
                    format!("\"{key}\" must be a whole number"),
                );
                None
            }
        }
    }
}

/// The text of a scalar YAML value.
pub fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(t) => scalar_string(&t.value),
        _ => None,
    }
}

/// The mapping of `yaml` when every line is empty, a comment, or a top-level `key: value`
/// whose value is a plain text or a flow list of plain texts, each one serde_yaml would read
/// as a string: the same `Value` serde_yaml gives. `None` for anything else (a number, a
/// boolean, a null, quotes, nesting, several lines to one value, a duplicate key, a
/// character it is not sure of), which serde_yaml then reads.
pub fn simple(yaml: &str) -> Option<Value> {
    let mut map = Mapping::new();
    for line in yaml.split('\n') {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let colon = line.find(':')?;
        let key = &line[..colon];
        let first = key.bytes().next()?;
        let key_ok = (first.is_ascii_alphabetic() || first == b'_')
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !key_ok || !surely_string(key) {
            return None;
        }
        let rest = &line[colon + 1..];
        let value = if rest.trim_end_matches(' ').is_empty() {
            Value::Null
        } else {
            let v = rest.strip_prefix(' ')?.trim_matches(' ');
            match v.strip_prefix('[') {
                Some(inner) => {
                    let inner = inner.strip_suffix(']')?.trim_matches(' ');
                    let mut items = Vec::new();
                    if !inner.is_empty() {
                        for item in inner.split(',') {
                            let item = item.trim_matches(' ');
                            if item.contains(['#', ':']) || !plain(item) {
                                return None;
                            }
                            items.push(Value::String(item.to_string()));
                        }
                    }
                    Value::Sequence(items)
                }
                None if plain(v) && !v.contains(": ") && !v.ends_with(':') && !v.contains(" #") => {
                    Value::String(v.to_string())
                }
                None => return None,
            }
        };
        if map.insert(Value::String(key.to_string()), value).is_some() {
            return None;
        }
    }
    // A document of comments alone is a null to serde_yaml.
    (!map.is_empty()).then_some(Value::Mapping(map))
}

/// Whether `s` is a one-line plain scalar, without flow indicators, that serde_yaml reads as
/// the string `s` itself: it starts with no indicator, holds only printable characters (no
/// tab, no line break of YAML's own), and is not a null, a boolean or a number.
fn plain(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let indicator = |c: char| "-?:,[]{}#&*!|>'\"%@`~".contains(c) || c == ' ';
    let printable = |c: char| {
        matches!(c, ' '..='~' | '\u{c0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
            && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
    };
    !indicator(first)
        && s.chars().all(printable)
        && !s.contains(['[', ']', '{', '}'])
        && surely_string(s)
}

/// Whether serde_yaml surely reads the plain scalar `s` as a string: it is no null or
/// boolean word and holds a character that no integer or float has (Rust's float syntax
/// includes "inf", "infinity" and "nan"), or is a date (`2025-05-22`, which no number
/// syntax takes).
fn surely_string(s: &str) -> bool {
    const WORDS: [&str; 10] = [
        "null", "Null", "NULL", "~", "true", "True", "TRUE", "false", "False", "FALSE",
    ];
    let numeric = |c: char| c.is_ascii_hexdigit() || "xXoObBiInNtTyY.+-_".contains(c);
    let date = |b: &[u8]| {
        b.len() == 10
            && b.iter().enumerate().all(|(i, &c)| {
                if i == 4 || i == 7 {
                    c == b'-'
                } else {
                    c.is_ascii_digit()
                }
            })
    };
    !s.is_empty() && !WORDS.contains(&s) && (s.chars().any(|c| !numeric(c)) || date(s.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(s: &str) -> Option<Value> {
        serde_yaml::from_str(s).ok()
    }

    #[test]
    fn simple_front_matter_is_read_without_serde_yaml_and_the_same() {
        let text =
            "title: Hướng dẫn về phát triển đảng viên\nkind: huong-dan\nnumber: 111-HD/BTGTU\n\
                    issued: 2025-05-22\n# a comment\n\ntags: [phát triển đảng viên, giáo dục]\n\
                    summary: Đảng ủy cơ sở, chi bộ lúc 10:30 http://x.vn C#  \nempty:\nlist: []\n";
        let v = simple(text).expect("simple");
        assert_eq!(Some(v.clone()), yaml(text));
        assert_eq!(v["issued"], Value::String("2025-05-22".into()));
        assert_eq!(v["tags"][1], Value::String("giáo dục".into()));
        assert_eq!(v["empty"], Value::Null);
    }

    #[test]
    fn anything_else_is_left_to_serde_yaml() {
        for text in [
            "weight: 3",
            "draft: true",
            "a: null",
            "a: 1e5",
            "a: inf",
            "a: 0x1F",
            "a: -5",
            "a: .5",
            "a: 2025-05-2x",
            "a: 'quoted'",
            "a: \"quoted\"",
            "a: b: c",
            "a: b #c",
            "a: x\n  continued",
            "a: x\na: y",
            "a: [x: y]",
            "a: [x, [y]]",
            "a: [x,, y]",
            "a: {x: y}",
            "a: &anchor x",
            "a: *alias",
            "a: !tag x",
            "a: |",
            "a: >",
            "- a",
            "---\na: b",
            "true: x",
            "1a: x",
            "a b: x",
            "a:\tx",
            "a: x\ty",
            "a: x\r",
            "a: x\u{2028}y",
            "\u{feff}a: x",
            "a:x",
            "a: [x] y",
            "%YAML 1.2\n---\na: b",
        ] {
            assert_eq!(simple(text), None, "{text:?}");
        }
    }

    /// Lines made at random from pieces YAML treats specially: wherever `simple` gives a
    /// value, serde_yaml gives the same one.
    #[test]
    fn simple_agrees_with_serde_yaml_on_generated_lines() {
        const KEYS: [&str; 12] = [
            "a", "title", "b-c", "_x", "a", "tags", "summary", "x1", "null", "True", "1x", "k k",
        ];
        const SEPS: [&str; 10] = [": ", ": ", ": ", ": ", ": ", ":", ":  ", " : ", ":\t", ": "];
        const PIECES: [&str; 44] = [
            "đảng",
            "viên",
            " ",
            "  ",
            "#",
            " #",
            ":",
            ": ",
            "-",
            "0",
            "1",
            "x",
            "e",
            "E",
            ".",
            "[",
            "]",
            ",",
            ", ",
            "'",
            "\"",
            "inf",
            "nan",
            "true",
            "null",
            "~",
            "\t",
            "\r",
            "{",
            "}",
            "&",
            "*",
            "!",
            "|",
            ">",
            "%",
            "@",
            "`",
            "2025-05-22",
            "0x1F",
            "+",
            "_",
            "\u{a0}",
            "\u{2028}",
        ];
        const COMMON: [&str; 10] = [
            "đảng", "viên", " ", "x", "Chi bộ", "2025", "/", "HD", "số", "[a, b]",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut taken = 0;
        for _ in 0..100_000 {
            let mut text = String::new();
            for _ in 0..1 + next(3) {
                match next(12) {
                    0 => text.push_str("# note"),
                    1 => text.push_str("  indented: x"),
                    _ => {
                        text.push_str(KEYS[next(KEYS.len())]);
                        text.push_str(SEPS[next(SEPS.len())]);
                        for _ in 0..next(6) {
                            // Half of the pieces are those of everyday front matter.
                            text.push_str(match next(2) {
                                0 => COMMON[next(COMMON.len())],
                                _ => PIECES[next(PIECES.len())],
                            });
                        }
                    }
                }
                text.push('\n');
            }
            if let Some(v) = simple(&text) {
                taken += 1;
                assert_eq!(Some(v), yaml(&text), "{text:?}");
            }
        }
        // The generator must reach both ways.
        assert!(taken > 2_500, "{taken} of 100,000 read without serde_yaml");
    }

    #[test]
    fn the_sample_handbooks_front_matter_is_read_the_same_both_ways() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../content");
        let mut simple_ones = 0;
        for e in walkdir::WalkDir::new(root) {
            let e = e.expect("walk");
            if e.path().extension().is_none_or(|x| x != "md") {
                continue;
            }
            let text = std::fs::read_to_string(e.path()).expect("read");
            let Some(rest) = text.strip_prefix("---\n") else {
                continue;
            };
            let Some(end) = rest.find("\n---") else {
                continue;
            };
            let fm = &rest[..end + 1];
            if let Some(v) = simple(fm) {
                simple_ones += 1;
                assert_eq!(Some(v), yaml(fm), "{}", e.path().display());
            }
        }
        assert!(simple_ones > 10, "{simple_ones}");
    }
}
