//! What the server knows of the built site's documents, from its `catalog.json`: the ids that
//! reading events and meeting records may name, and the documents of each month's cell meeting
//! (`meeting: YYYY-MM` in a document's front matter). Read again after every rebuild.

use std::collections::{HashMap, HashSet};
use std::path::Path;

#[derive(Debug, Default)]
pub struct Catalog {
    ids: HashSet<String>,
    /// The documents of each month's meeting, in catalog order.
    meetings: HashMap<String, Vec<String>>,
}

impl Catalog {
    /// The catalog of the site in `dir`; empty if it has none (or it cannot be read).
    pub fn of_site(dir: &Path) -> Catalog {
        // Only the ids are read (typed, skipping the rest): this runs after every rebuild.
        #[derive(serde::Deserialize)]
        struct File {
            documents: Vec<Entry>,
        }
        #[derive(serde::Deserialize)]
        struct Entry {
            id: String,
            #[serde(default)]
            meeting: Option<String>,
        }
        let docs = std::fs::read(dir.join("catalog.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<File>(&b).ok())
            .map(|c| c.documents)
            .unwrap_or_default();
        let mut meetings: HashMap<String, Vec<String>> = HashMap::new();
        for d in &docs {
            if let Some(m) = &d.meeting {
                meetings.entry(m.clone()).or_default().push(d.id.clone());
            }
        }
        Catalog {
            ids: docs.into_iter().map(|d| d.id).collect(),
            meetings,
        }
    }

    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The documents of `month`'s cell meeting (`YYYY-MM`), in the catalog's order.
    pub fn meeting_docs(&self, month: &str) -> Vec<String> {
        self.meetings.get(month).cloned().unwrap_or_default()
    }
}
