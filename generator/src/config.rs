//! The site configuration, `sotay.yaml` beside `content/`. Optional: every setting has a
//! default, so a site root needs nothing but `content/`.

use crate::diagnostics::{Diagnostics, LineIndex, Pos};
use crate::yaml::{scalar_string, YamlMap};
use std::path::Path;

pub const FILE: &str = "sotay.yaml";

const FIELDS: &[&str] = &[
    "title",
    "description",
    "organization",
    "base_url",
    "sample",
    "kinds",
    "theme",
    "allow_html",
    "page_size",
    "feed_limit",
    "targets",
];

/// The keys of `targets:` (percent, 0–100) and the JSON field each becomes.
const TARGETS: &[(&str, &str)] = &[
    ("registration", "registration_pct"),
    ("usage", "usage_pct"),
    ("meetings", "meetings_pct"),
];

/// The document kinds a site has when `sotay.yaml` names none: slug and Vietnamese label.
pub const DEFAULT_KINDS: &[(&str, &str)] = &[
    ("dieu-le", "Điều lệ"),
    ("nghi-quyet", "Nghị quyết"),
    ("chi-thi", "Chỉ thị"),
    ("ket-luan", "Kết luận"),
    ("quy-dinh", "Quy định"),
    ("quyet-dinh", "Quyết định"),
    ("huong-dan", "Hướng dẫn"),
    ("tai-lieu-sinh-hoat", "Tài liệu sinh hoạt chi bộ"),
    ("hoi-dap", "Hỏi đáp"),
    ("bieu-mau", "Biểu mẫu"),
    ("chuyen-de", "Chuyên đề"),
];

/// A document kind: its slug (used in front matter and URLs) and its label.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Kind {
    pub id: String,
    pub label: String,
}

/// The checked site configuration.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Config {
    pub title: String,
    pub description: String,
    /// Who publishes the handbook ("Đảng bộ tỉnh ...").
    pub organization: String,
    /// Absolute URL of the site, always ending in `/`; used in the feed and sitemap.
    pub base_url: String,
    /// The path part of `base_url` ("/" or "/so-tay/"), prefixed to every link.
    pub base_path: String,
    /// Marks every page as sample material ("Tài liệu mẫu").
    pub sample: bool,
    pub kinds: Vec<Kind>,
    pub theme: String,
    /// Trust raw HTML in Markdown (otherwise it is escaped).
    pub allow_html: bool,
    /// Entries per page of section and list pages.
    pub page_size: usize,
    /// Entries in the Atom feed.
    pub feed_limit: usize,
    /// The directive's targets the committee's reports judge against, in percent
    /// (registration, usage, meetings); 100 each unless `targets:` says otherwise. Written
    /// into the site as `report-targets.json`, which the sync server reads.
    pub targets: [f64; 3],
}

impl Default for Config {
    fn default() -> Self {
        Config {
            title: "Sổ tay đảng viên điện tử".into(),
            description: "Văn bản, tài liệu sinh hoạt chi bộ, hỏi đáp và biểu mẫu cho đảng viên"
                .into(),
            organization: String::new(),
            base_url: "http://localhost:8080/".into(),
            base_path: "/".into(),
            sample: false,
            kinds: DEFAULT_KINDS
                .iter()
                .map(|(id, label)| Kind {
                    id: (*id).into(),
                    label: (*label).into(),
                })
                .collect(),
            theme: "default".into(),
            allow_html: false,
            page_size: 30,
            feed_limit: 30,
            targets: [100.0; 3],
        }
    }
}

impl Config {
    /// `report-targets.json`: the targets as the sync server reads them.
    pub fn targets_json(&self) -> Vec<u8> {
        let m: serde_json::Map<String, serde_json::Value> = TARGETS
            .iter()
            .zip(self.targets)
            .map(|((_, field), v)| (field.to_string(), serde_json::json!(v)))
            .collect();
        serde_json::to_vec_pretty(&m).unwrap_or_default()
    }

    pub fn kind_ids(&self) -> Vec<&str> {
        self.kinds.iter().map(|k| k.id.as_str()).collect()
    }

    pub fn kind_label(&self, id: &str) -> Option<&str> {
        self.kinds
            .iter()
            .find(|k| k.id == id)
            .map(|k| k.label.as_str())
    }

    /// Reads `root/sotay.yaml` if it exists. Problems are reported and defaults used instead.
    pub fn load(root: &Path, diags: &mut Diagnostics) -> Config {
        let path = root.join(FILE);
        match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => {
                    let (text, lines) = LineIndex::nfc(text);
                    Config::parse_indexed(&text, &lines, diags)
                }
                Err(_) => {
                    diags.error(FILE, Pos::FILE, "not valid UTF-8 text");
                    Config::default()
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Config::default(),
            Err(e) => {
                diags.error(FILE, Pos::FILE, format!("cannot read: {e}"));
                Config::default()
            }
        }
    }

    pub fn parse(text: &str, diags: &mut Diagnostics) -> Config {
        Config::parse_indexed(text, &LineIndex::new(), diags)
    }

    /// `parse` of NFC `text` whose positions `lines` gives.
    fn parse_indexed(text: &str, lines: &LineIndex, diags: &mut Diagnostics) -> Config {
        let mut c = Config::default();
        let Some(y) = YamlMap::parse(FILE, text, lines, 0, text.len(), diags) else {
            return c;
        };
        y.check_keys(FIELDS, "sotay.yaml", diags);
        for (key, slot) in [
            ("title", &mut c.title),
            ("description", &mut c.description),
            ("organization", &mut c.organization),
            ("theme", &mut c.theme),
        ] {
            if let Some(v) = y.string(key, diags) {
                *slot = v;
            }
        }
        base_url(&y, &mut c, diags);
        c.sample = y.bool("sample", diags).unwrap_or(c.sample);
        c.allow_html = y.bool("allow_html", diags).unwrap_or(c.allow_html);
        for (key, slot) in [
            ("page_size", &mut c.page_size),
            ("feed_limit", &mut c.feed_limit),
        ] {
            if let Some(n) = y.integer(key, diags) {
                if (1..=10_000).contains(&n) {
                    *slot = n as usize;
                } else {
                    diags.error(
                        FILE,
                        y.key_pos(key),
                        format!("\"{key}\" must be between 1 and 10000"),
                    );
                }
            }
        }
        kinds(&y, &mut c, diags);
        targets(&y, &mut c, diags);
        c
    }
}

/// `base_url`: an absolute http(s) URL; its path is the site's base path.
fn base_url(y: &YamlMap, c: &mut Config, diags: &mut Diagnostics) {
    if let Some(url) = y.string("base_url", diags) {
        match url.split_once("://") {
            // The base path is written into every link and into sw.js's JavaScript: only
            // characters that need no escaping anywhere.
            Some((scheme, rest))
                if (scheme == "http" || scheme == "https")
                    && !rest.is_empty()
                    && rest.chars().all(|c| {
                        c.is_ascii_alphanumeric() || "-._~/:@!$&()*+,;=%[]".contains(c)
                    }) =>
            {
                let mut url = url.clone();
                if !url.ends_with('/') {
                    url.push('/');
                }
                let after_host = &url[scheme.len() + 3..];
                c.base_path = after_host
                    .find('/')
                    .map_or("/".to_string(), |i| after_host[i..].to_string());
                c.base_url = url;
            }
            _ => diags.error(
                FILE,
                y.value_pos("base_url", &url),
                format!("base_url must be an absolute http(s) URL, found \"{url}\""),
            ),
        }
    }
}

/// `kinds`: the site's document kinds, `slug: Label` lines.
fn kinds(y: &YamlMap, c: &mut Config, diags: &mut Diagnostics) {
    match y.get("kinds") {
        None | Some(serde_yaml::Value::Null) => {}
        Some(serde_yaml::Value::Mapping(m)) => {
            let mut kinds = Vec::new();
            for (k, v) in m {
                let id = scalar_string(k).unwrap_or_default();
                let label = scalar_string(v).unwrap_or_default();
                if id.is_empty() || crate::text::slug(&id) != id || label.trim().is_empty() {
                    diags.error(
                        FILE,
                        y.value_pos("kinds", &id),
                        format!("each kind is `slug: Label`, with a lowercase slug such as nghi-quyet; found \"{id}\""),
                    );
                    continue;
                }
                kinds.push(Kind {
                    id,
                    label: crate::text::nfc(label.trim()).into_owned(),
                });
            }
            c.kinds = kinds;
        }
        Some(_) => diags.error(
            FILE,
            y.key_pos("kinds"),
            "\"kinds\" must be a mapping of `slug: Label` lines",
        ),
    }
}

/// `targets`: the committee's targets, in percent.
fn targets(y: &YamlMap, c: &mut Config, diags: &mut Diagnostics) {
    match y.get("targets") {
        None | Some(serde_yaml::Value::Null) => {}
        Some(serde_yaml::Value::Mapping(m)) => {
            for (k, v) in m {
                let key = scalar_string(k).unwrap_or_default();
                let Some(i) = TARGETS.iter().position(|(name, _)| *name == key) else {
                    diags.error(
                        FILE,
                        y.value_pos("targets", &key),
                        format!("unknown target \"{key}\"; the targets are registration, usage and meetings"),
                    );
                    continue;
                };
                match v.as_f64().filter(|p| (0.0..=100.0).contains(p)) {
                    Some(p) => c.targets[i] = p,
                    None => diags.error(
                        FILE,
                        y.value_pos("targets", &key),
                        format!("target \"{key}\" must be a percentage from 0 to 100"),
                    ),
                }
            }
        }
        Some(_) => diags.error(
            FILE,
            y.key_pos("targets"),
            "\"targets\" must be a mapping such as `registration: 100` (percent)",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let mut d = Diagnostics::new();
        let c = Config::parse("title: Sổ tay\nbase_url: https://x.vn/so-tay\nsample: true\nkinds:\n  nghi-quyet: Nghị quyết\n  cong-van: Công văn\n", &mut d);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(c.title, "Sổ tay");
        assert_eq!(c.base_url, "https://x.vn/so-tay/");
        assert_eq!(c.base_path, "/so-tay/");
        assert!(c.sample);
        assert_eq!(c.kind_ids(), ["nghi-quyet", "cong-van"]);
        assert_eq!(Config::default().base_path, "/");
    }

    #[test]
    fn targets() {
        let mut d = Diagnostics::new();
        let c = Config::parse("targets:\n  registration: 90\n  meetings: 75.5\n", &mut d);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(c.targets, [90.0, 100.0, 75.5]);
        let j: serde_json::Value = serde_json::from_slice(&c.targets_json()).expect("json");
        assert_eq!(
            j,
            serde_json::json!({"registration_pct": 90.0, "usage_pct": 100.0, "meetings_pct": 75.5})
        );
        assert_eq!(Config::default().targets, [100.0; 3]);
        let mut d = Diagnostics::new();
        let c = Config::parse("targets:\n  registration: 120\n  reading: 50\n", &mut d);
        let text = format!("{d:?}");
        assert!(
            text.contains("from 0 to 100") && text.contains("unknown target"),
            "{text}"
        );
        assert_eq!(c.targets, [100.0; 3]);
    }

    #[test]
    fn errors() {
        let mut d = Diagnostics::new();
        Config::parse("titel: x\nbase_url: localhost\npage_size: 0\n", &mut d);
        for url in [
            "https://x.vn/a\";alert(1)//",
            "https://x.vn/<script>",
            "https://x.vn/a b",
            "https://x.vn/'",
            "https://x.vn/a?q=1",
            "https://x.vn/a#b",
            "https://x.vn/a\\b",
        ] {
            let mut e = Diagnostics::new();
            let yaml = format!(
                "base_url: {}\n",
                serde_json::to_string(url).unwrap_or_default()
            );
            let c = Config::parse(&yaml, &mut e);
            assert!(e.has_errors(), "{url} accepted");
            assert_eq!(c.base_path, "/", "{url}");
        }
        let got: Vec<String> = d.sorted().iter().map(|d| d.to_string()).collect();
        assert_eq!(
            got,
            [
                "sotay.yaml:1:1: error: unknown sotay.yaml field \"titel\" (did you mean \"title\"?)",
                "sotay.yaml:2:11: error: base_url must be an absolute http(s) URL, found \"localhost\"",
                "sotay.yaml:3:1: error: \"page_size\" must be between 1 and 10000",
            ]
        );
    }
}
