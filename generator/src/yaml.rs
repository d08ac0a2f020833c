//! Reading YAML mappings (front matter, `sotay.yaml`) with positions for every key and value.
//!
//! serde_yaml gives no positions for values, so the top-level keys are located by a small scan
//! of the text: front matter and site configs are flat mappings written one key per line, and
//! that is where an author looks for a mistake.

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
        let base = lines.pos(text, start).line - 1;
        let value: Value = if yaml.trim().is_empty() {
            Value::Mapping(Mapping::new())
        } else {
            match serde_yaml::from_str(yaml) {
                Ok(v) => v,
                Err(e) => {
                    // Where by byte offset, not by serde_yaml's line and column: YAML also
                    // breaks lines at U+0085, U+2028 and U+2029 (editors and `LineIndex` do
                    // not), and a leading byte order mark is skipped without being counted.
                    let bom = if yaml.starts_with('\u{feff}') { 3 } else { 0 };
                    let pos = e
                        .location()
                        .map(|l| lines.pos(text, start + bom + l.index()))
                        .unwrap_or(Pos::new(base + 1, 1));
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
