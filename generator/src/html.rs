//! Small helpers for writing HTML by hand: escaping, and how sizes and file types are shown.

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    push_esc(&mut out, s);
    out
}

pub fn push_esc(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// "980 B", "24 KB", "1,2 MB" (Vietnamese decimal comma).
pub fn human_size(bytes: u64) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < 1024 * 1024 {
        format!("{} KB", (bytes + 512) / 1024)
    } else {
        let tenths = (bytes * 10 + 512 * 1024) / (1024 * 1024);
        format!("{},{} MB", tenths / 10, tenths % 10)
    }
}

/// What members are told a file is, from its extension.
pub fn type_label(ext: &str) -> String {
    match ext {
        "pdf" => "PDF".into(),
        "doc" | "docx" | "odt" => format!("Word ({})", ext.to_uppercase()),
        "xls" | "xlsx" | "ods" => format!("Excel ({})", ext.to_uppercase()),
        "ppt" | "pptx" | "odp" => format!("PowerPoint ({})", ext.to_uppercase()),
        "jpg" | "jpeg" | "png" | "gif" | "webp" | "svg" => format!("Ảnh ({})", ext.to_uppercase()),
        "mp3" | "m4a" | "ogg" => format!("Âm thanh ({})", ext.to_uppercase()),
        "mp4" | "webm" => format!("Video ({})", ext.to_uppercase()),
        "" => "Tệp".into(),
        e => e.to_uppercase(),
    }
}

/// Cuts `s` to at most `max` characters at a word boundary, adding "…".
pub fn truncate_words(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max).collect();
    let at_boundary = s.chars().nth(max).is_some_and(char::is_whitespace);
    let cut = match cut.rfind(' ') {
        Some(i) if !at_boundary && i > cut.len() / 2 => &cut[..i],
        _ => &cut[..],
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.', ' ']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(human_size(980), "980 B");
        assert_eq!(human_size(24_300), "24 KB");
        assert_eq!(human_size(1_250_000), "1,2 MB");
        assert_eq!(type_label("docx"), "Word (DOCX)");
        assert_eq!(truncate_words("Một hai ba bốn năm", 10), "Một hai ba…");
        assert_eq!(truncate_words("ngắn", 10), "ngắn");
    }
}
