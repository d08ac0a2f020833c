//! Problems found in a site, reported the way a compiler does: `file:line:col: error: message`.
//!
//! Every pass pushes into a [`Diagnostics`] list instead of stopping at the first problem, so
//! that `sotay check` shows all of them in one run. Positions are 1-based; columns count
//! characters, not bytes, so that they match what an editor shows for Vietnamese text.

use serde::Serialize;
use std::fmt;

/// How bad a problem is. Errors fail the build; warnings are printed and the build goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem, at a place in a file (path relative to the site root, with `/`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub severity: Severity,
    pub message: String,
}

impl Diagnostic {
    pub fn error(file: impl Into<String>, pos: Pos, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.into(),
            line: pos.line,
            column: pos.column,
            severity: Severity::Error,
            message: message.into(),
        }
    }

    pub fn warning(file: impl Into<String>, pos: Pos, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(file, pos, message)
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        if self.line == 0 {
            write!(f, "{}: {}: {}", self.file, sev, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}: {}",
                self.file, self.line, self.column, sev, self.message
            )
        }
    }
}

/// A 1-based line and column. Line 0 means "the file as a whole".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    pub const FILE: Pos = Pos { line: 0, column: 0 };

    pub fn new(line: usize, column: usize) -> Pos {
        Pos { line, column }
    }
}

/// Maps byte offsets in a text to line and column.
///
/// The text is the NFC form of a file (all text is NFC inside the generator), but columns are
/// counted in characters as the author wrote them: a file typed with combining marks (NFD, as
/// some macOS editors save Vietnamese) has more characters per line than its NFC form. For
/// such a file the index keeps the stretches of the NFC text whose length NFC changed; for a
/// file that was already NFC it keeps nothing more than the line starts.
///
/// The line starts are found the first time a position is asked for: nearly every file is
/// read without one (positions are for problems), and finding them cost ~2% of a build.
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    starts: std::sync::OnceLock<Vec<usize>>,
    /// `(start, end, written)`: a byte range of the text and how many characters it had as
    /// written (a different number from the range's own), in order.
    stretches: Vec<crate::text::Stretch>,
}

impl LineIndex {
    /// The index of a text as it was written: each call is given that text.
    pub fn new() -> Self {
        LineIndex::default()
    }

    /// Where each line of `text` starts.
    fn starts(&self, text: &str) -> &[usize] {
        self.starts.get_or_init(|| {
            let mut starts = vec![0];
            starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
            starts
        })
    }

    /// `text` in NFC, with its index counting columns as `text` was written. NFC never moves
    /// a line break, so lines are the same in both.
    pub fn nfc(text: String) -> (String, LineIndex) {
        match crate::text::nfc_stretches(&text) {
            None => {
                let lines = LineIndex::new();
                (text, lines)
            }
            Some((nfc, stretches)) => {
                let mut lines = LineIndex::new();
                lines.stretches = stretches;
                (nfc, lines)
            }
        }
    }

    /// The position of byte `offset` in `text` (which must be the text this index was built
    /// from). Offsets past the end point just after the last character.
    pub fn pos(&self, text: &str, offset: usize) -> Pos {
        let offset = offset.min(text.len());
        let starts = self.starts(text);
        let line = starts.partition_point(|&s| s <= offset) - 1;
        let start = starts[line];
        let mut end = offset;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let mut column = text[start..end].chars().count() + 1;
        if !self.stretches.is_empty() {
            // Stretches on this line before `end`: whole ones count as written; one that
            // `end` is inside points at its start.
            let first = self.stretches.partition_point(|&(s, _, _)| s < start);
            let last = self.stretches.partition_point(|&(s, _, _)| s < end);
            for &(s, e, written) in &self.stretches[first..last] {
                let (nfc_chars, written) = if e <= end {
                    (text[s..e].chars().count(), written)
                } else {
                    (text[s..end].chars().count(), 0)
                };
                column = (column + written).saturating_sub(nfc_chars).max(1);
            }
        }
        Pos::new(line + 1, column)
    }

    /// A position counted in the NFC `text` (as a parser of that text gives it: 1-based line,
    /// column in characters) turned into one counted as written. Positions past the end of
    /// their line or of the text are given as they are.
    pub fn written(&self, text: &str, at: Pos) -> Pos {
        if self.stretches.is_empty() || at.line == 0 {
            return at;
        }
        let starts = self.starts(text);
        if at.line > starts.len() {
            return at;
        }
        let start = starts[at.line - 1];
        let line_end = starts.get(at.line).map_or(text.len(), |&s| s - 1);
        let Some(line) = text.get(start..line_end) else {
            return at;
        };
        match line.char_indices().nth(at.column.saturating_sub(1)) {
            Some((i, _)) => self.pos(text, start + i),
            None if at.column == line.chars().count() + 1 => self.pos(text, line_end),
            None => at,
        }
    }
}

/// All problems found so far, in the order they were found; sorted before printing.
#[derive(Debug, Default, Clone, Serialize)]
#[serde(transparent)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn error(&mut self, file: &str, pos: Pos, message: impl Into<String>) {
        self.push(Diagnostic::error(file, pos, message));
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn error_count(&self) -> usize {
        self.0
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Sorted by file, then position, with exact duplicates removed.
    pub fn sorted(mut self) -> Vec<Diagnostic> {
        self.0.sort();
        self.0.dedup();
        self.0
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }
}

impl From<Vec<Diagnostic>> for Diagnostics {
    fn from(v: Vec<Diagnostic>) -> Self {
        Diagnostics(v)
    }
}

/// The closest candidate to `word` if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(word, c);
        let limit = (c.chars().count().max(word.chars().count()) / 3).max(1);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Formats " (did you mean \"x\"?)" or nothing.
pub fn suggestion<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    match did_you_mean(word, candidates) {
        Some(c) => format!(" (did you mean \"{c}\"?)"),
        None => String::new(),
    }
}

/// Edit distance where swapping two neighbouring letters counts as one edit ("titel").
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters() {
        let text = "---\ntitle: Đảng viên\n  x";
        let idx = LineIndex::new();
        assert_eq!(idx.pos(text, 0), Pos::new(1, 1));
        let off = text.find("viên").unwrap();
        assert_eq!(idx.pos(text, off), Pos::new(2, 13));
        let off = text.find('x').unwrap();
        assert_eq!(idx.pos(text, off), Pos::new(3, 3));
        assert_eq!(idx.pos(text, 10_000), Pos::new(3, 4));
    }

    #[test]
    fn positions_count_characters_as_written() {
        // "Nguyễn" written with combining marks (7 + 1 characters), then an expanding
        // character (U+0B5C: 1 character as written, 2 in NFC).
        let written = "a\nNguye\u{302}\u{303}n x\n\u{b5c}y\n";
        let (text, idx) = LineIndex::nfc(written.to_string());
        assert_eq!(text, "a\nNguyễn x\n\u{b21}\u{b3c}y\n");
        let x = text.find('x').unwrap();
        assert_eq!(idx.pos(&text, x), Pos::new(2, 10));
        let y = text.rfind('y').unwrap();
        assert_eq!(idx.pos(&text, y), Pos::new(3, 2));
        // Inside a stretch: its start.
        assert_eq!(
            idx.pos(&text, text.find('\u{b3c}').unwrap()),
            Pos::new(3, 1)
        );
        assert_eq!(idx.pos(&text, text.len()), Pos::new(4, 1));
        // A parser's NFC line and column, as written.
        assert_eq!(idx.written(&text, Pos::new(2, 8)), Pos::new(2, 10));
        assert_eq!(idx.written(&text, Pos::new(3, 3)), Pos::new(3, 2));
        assert_eq!(idx.written(&text, Pos::new(3, 4)), Pos::new(3, 3));
        assert_eq!(idx.written(&text, Pos::new(9, 1)), Pos::new(9, 1));
        // Text already in NFC keeps no stretches.
        let (same, idx) = LineIndex::nfc("Nguyễn x".to_string());
        assert_eq!(same, "Nguyễn x");
        assert!(idx.stretches.is_empty());
    }

    #[test]
    fn suggestions() {
        let names = ["note", "tip", "warning", "important", "toc"];
        assert_eq!(did_you_mean("notee", names), Some("note"));
        assert_eq!(did_you_mean("warnign", names), Some("warning"));
        assert_eq!(did_you_mean("zzzzzz", names), None);
        assert_eq!(
            suggestion("titel", ["title", "tags"]),
            " (did you mean \"title\"?)"
        );
    }
}
