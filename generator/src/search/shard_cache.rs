//! The browser's search index kept between the builds of `sotay serve`, so that an edit
//! re-encodes only what it touches: the groups of the terms whose documents, flags, forms or
//! reference to a word changed, the vocabulary letters of the words whose document count
//! changed, the display shards of the documents whose card changed, and the small table and
//! root. Every other file is the last build's, byte for byte: what [`shards::build`] would
//! make of the same documents (`tests::updates_equal_full_builds` holds the two together).
//! When the documents themselves change (one added, removed or moved), the index is built
//! whole again.

use super::index::{SearchDoc, TermCache};
use super::shards::{self, Built, Cut, File, GroupFiles, RootNames, TermCounts, DOCS_PER_SHARD};
use super::terms::{self, Kind};
use super::{df_bucket, DocInfo};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// The last build of the browser's index and what it was made from (empty before the first).
#[derive(Default)]
pub struct ShardCache {
    last: Option<Kept>,
    /// How common terms are cut, when not as [`Cut::of_site`] says (tests).
    cut: Option<Option<Cut>>,
}

/// What a document was, for the index, when it was last encoded.
struct KeptDoc {
    info: Arc<DocInfo>,
    terms: Arc<Vec<u32>>,
    forms: Arc<Vec<(u32, u32)>>,
}

/// The last build: its files and the counts they were encoded from.
struct Kept {
    groups: u32,
    /// How its common terms are cut (fixed by the number of documents).
    cut: Option<Cut>,
    docs: Vec<KeptDoc>,
    /// Per term id: how many documents hold it; per folded word id: how many documents have
    /// exact forms of it; per pair id: its reference to a word as encoded (`same_as`).
    counts: Vec<usize>,
    form_counts: Vec<usize>,
    same: Vec<u8>,
    /// Per group, its terms in use (ids, by key).
    members: Vec<Vec<u32>>,
    /// Per word id, the pairs it is a word of (every interned pair, up to `indexed` ids).
    pairs_of: HashMap<u32, Vec<u32>>,
    indexed: usize,
    group_files: Vec<Arc<File>>,
    /// Per group, its range files (none when no term of it is cut).
    range_files: Vec<Vec<Arc<File>>>,
    /// Per letter, its words with their document-count bucket, and its file.
    vocab: BTreeMap<char, BTreeMap<String, u8>>,
    vocab_files: BTreeMap<char, Arc<File>>,
    display: Vec<Arc<File>>,
    fold: Arc<File>,
}

impl ShardCache {
    /// The browser's index of `docs`: the last build's files where an edit did not touch
    /// them, new ones where it did (or all new, when the documents are not the same ones).
    pub fn build(
        &mut self,
        docs: &[SearchDoc],
        cache: &TermCache,
        kinds: &[crate::config::Kind],
    ) -> Built {
        let last = self.last.take().filter(|k| k.fits(docs, cache));
        let kept = match last {
            Some(mut k) => {
                k.update(docs, cache);
                k
            }
            None => Kept::new(
                docs,
                cache,
                self.cut.unwrap_or_else(|| Cut::of_site(docs.len())),
            ),
        };
        let built = kept.built(docs, kinds);
        self.last = Some(kept);
        built
    }
}

impl Kept {
    /// The whole index of `docs`, kept.
    fn new(docs: &[SearchDoc], cache: &TermCache, cut: Option<Cut>) -> Kept {
        let keys = &cache.words;
        let groups = shards::groups_for(docs.len());
        let (counts, form_counts) = shards::count(docs, keys.len());
        let order = shards::order_of(keys, &counts, groups);
        let mut members = vec![Vec::new(); groups as usize];
        for &(g, t) in &order {
            members[g as usize].push(t);
        }
        let mut kept = Kept {
            groups,
            cut,
            docs: docs.iter().map(KeptDoc::of).collect(),
            same: vec![0; counts.len()],
            counts,
            form_counts,
            members,
            pairs_of: HashMap::new(),
            indexed: 0,
            // Every group is encoded below; until then, as if empty.
            group_files: (0..groups as usize)
                .map(|g| Arc::new(shards::empty_group(g)))
                .collect(),
            range_files: vec![Vec::new(); groups as usize],
            vocab: BTreeMap::new(),
            vocab_files: BTreeMap::new(),
            display: docs
                .chunks(DOCS_PER_SHARD)
                .map(|c| Arc::new(shards::display_shard(c)))
                .collect(),
            fold: Arc::new(shards::fold_file()),
        };
        kept.index_pairs(cache);
        let all: Vec<u32> = (0..groups).collect();
        kept.encode(docs, cache, &all);
        let words = order.iter().map(|&(_, t)| t);
        let letters = kept.count_words(cache, words.filter(|&t| is_word(cache, t)));
        kept.write_vocab(&letters);
        kept
    }

    /// Whether `docs` are the documents last encoded, in the same order, with the same
    /// interner: then only what changed in them is encoded again.
    fn fits(&self, docs: &[SearchDoc], cache: &TermCache) -> bool {
        docs.len() == self.docs.len()
            && cache.words.len() >= self.indexed
            && docs
                .iter()
                .zip(&self.docs)
                .all(|(d, k)| Arc::ptr_eq(&d.info, &k.info) || d.info.id == k.info.id)
    }

    /// Encodes again what changed in `docs` since the last build.
    fn update(&mut self, docs: &[SearchDoc], cache: &TermCache) {
        let keys = cache.words.len();
        self.counts.resize(keys, 0);
        self.form_counts.resize(keys, 0);
        self.same.resize(keys, 0);
        self.index_pairs(cache);
        // Each term whose documents, flags or forms changed, with its count before.
        let mut touched: BTreeMap<u32, usize> = BTreeMap::new();
        let mut cards = BTreeSet::new();
        for (i, d) in docs.iter().enumerate() {
            let k = &mut self.docs[i];
            if !Arc::ptr_eq(&k.info, &d.info) && shards::card(&k.info) != shards::card(&d.info) {
                cards.insert(i / DOCS_PER_SHARD);
            }
            if !Arc::ptr_eq(&k.terms, &d.terms) && k.terms != d.terms {
                let (gone, came) = difference(&k.terms, &d.terms);
                for (list, step) in [(gone, -1isize), (came, 1)] {
                    for t in list {
                        let id = t >> 4;
                        let c = &mut self.counts[id as usize];
                        touched.entry(id).or_insert(*c);
                        *c = c.wrapping_add_signed(step);
                    }
                }
            }
            if !Arc::ptr_eq(&k.forms, &d.forms) && k.forms != d.forms {
                let (gone, came) = difference(&k.forms, &d.forms);
                for (list, step) in [(gone, -1isize), (came, 1)] {
                    for (f, _) in list {
                        touched.entry(f).or_insert(self.counts[f as usize]);
                        let c = &mut self.form_counts[f as usize];
                        *c = c.wrapping_add_signed(step);
                    }
                }
            }
            *k = KeptDoc::of(d);
        }
        let mut dirty: BTreeSet<u32> = BTreeSet::new();
        let mut recounted = Vec::new();
        for (&t, &before) in &touched {
            let now = self.counts[t as usize];
            let g = shards::group_of(&cache.words[t as usize], self.groups);
            dirty.insert(g);
            if (before == 0) != (now == 0) {
                let m = &mut self.members[g as usize];
                let at =
                    m.binary_search_by(|&x| cache.words[x as usize].cmp(&cache.words[t as usize]));
                match (at, now) {
                    (Err(at), 1..) => m.insert(at, t),
                    (Ok(at), 0) => {
                        m.remove(at);
                    }
                    _ => {}
                }
            }
            if before != now && is_word(cache, t) {
                recounted.push(t);
            }
        }
        // A pair that refers to a word's documents may no longer (or may now) hold exactly them.
        let view = TermCounts::of(
            cache,
            &self.counts,
            &self.form_counts,
            Vec::new(),
            docs.len(),
        );
        for &w in &recounted {
            for &p in self.pairs_of.get(&w).into_iter().flatten() {
                if self.counts[p as usize] > 0 && view.same_as(p as usize) != self.same[p as usize]
                {
                    dirty.insert(shards::group_of(&cache.words[p as usize], self.groups));
                }
            }
        }
        let dirty: Vec<u32> = dirty.into_iter().collect();
        self.encode(docs, cache, &dirty);
        let letters = self.count_words(cache, recounted.into_iter());
        self.write_vocab(&letters);
        for k in cards {
            let end = ((k + 1) * DOCS_PER_SHARD).min(docs.len());
            self.display[k] = Arc::new(shards::display_shard(&docs[k * DOCS_PER_SHARD..end]));
        }
    }

    /// Adds the pairs interned since the last build to `pairs_of` (a pair's words are terms
    /// of the document it is in, so they were interned before it).
    fn index_pairs(&mut self, cache: &TermCache) {
        for (p, key) in cache.words.iter().enumerate().skip(self.indexed) {
            if terms::kind(key) != Kind::Pair {
                continue;
            }
            let Some((a, b)) = key.split_once(' ') else {
                continue;
            };
            for w in [a, b] {
                if let Some(id) = cache.id(w) {
                    let list = self.pairs_of.entry(id).or_default();
                    if list.last() != Some(&(p as u32)) {
                        list.push(p as u32);
                    }
                }
            }
        }
        self.indexed = cache.words.len();
    }

    /// Encodes the files of `groups` (sorted) from their members' postings in `docs`.
    fn encode(&mut self, docs: &[SearchDoc], cache: &TermCache, groups: &[u32]) {
        let order: Vec<(u32, u32)> = groups
            .iter()
            .flat_map(|&g| self.members[g as usize].iter().map(move |&t| (g, t)))
            .collect();
        let terms = TermCounts::of(cache, &self.counts, &self.form_counts, order, docs.len())
            .with_cut(self.cut);
        let mut out = GroupFiles::new(self.groups);
        terms.write_groups(docs, 1, &mut out);
        for &g in groups {
            self.range_files[g as usize].clear();
        }
        for (g, f) in out.files {
            self.group_files[g as usize] = Arc::new(f);
        }
        for (g, r) in out.ranges {
            self.range_files[g as usize] = r.into_iter().map(Arc::new).collect();
        }
        for &g in groups {
            if self.members[g as usize].is_empty() {
                self.group_files[g as usize] = Arc::new(shards::empty_group(g as usize));
            }
        }
        for &(_, t) in &terms.order {
            self.same[t as usize] = terms.same_as(t as usize);
        }
    }

    /// Sets the vocabulary entries of `words` from their counts; the letters whose file
    /// changes.
    fn count_words(
        &mut self,
        cache: &TermCache,
        words: impl Iterator<Item = u32>,
    ) -> BTreeSet<char> {
        let mut letters = BTreeSet::new();
        for w in words {
            let key = &cache.words[w as usize];
            let letter = shards::vocab_letter(key);
            let entries = self.vocab.entry(letter).or_default();
            let changed = match self.counts[w as usize] {
                0 => entries.remove(key).is_some(),
                c => entries.insert(key.clone(), df_bucket(c as u32)) != Some(df_bucket(c as u32)),
            };
            if changed {
                letters.insert(letter);
            }
        }
        letters
    }

    /// Writes the vocabulary files of `letters` again (a letter without words has none).
    fn write_vocab(&mut self, letters: &BTreeSet<char>) {
        for &letter in letters {
            match self.vocab.get(&letter).filter(|e| !e.is_empty()) {
                Some(entries) => {
                    let mut text = String::new();
                    for (w, &b) in entries {
                        shards::vocab_line(&mut text, w, b);
                    }
                    self.vocab_files
                        .insert(letter, Arc::new(shards::vocab_file(&text)));
                }
                None => {
                    self.vocab.remove(&letter);
                    self.vocab_files.remove(&letter);
                }
            }
        }
    }

    /// Every file of the index, the root last.
    fn built(&self, docs: &[SearchDoc], kinds: &[crate::config::Kind]) -> Built {
        let mut files: Vec<Arc<File>> = self.group_files.clone();
        files.extend(self.range_files.iter().flatten().cloned());
        let fold = shards::push(&mut files, self.fold.clone());
        let mut vocab = BTreeMap::new();
        for (letter, f) in &self.vocab_files {
            vocab.insert(letter.to_string(), shards::push(&mut files, f.clone()));
        }
        let mut names = Vec::new();
        for f in &self.display {
            names.push(shards::push(&mut files, f.clone()));
        }
        let root = RootNames {
            groups: self.group_files.iter().map(|f| f.hash.as_str()).collect(),
            vocab: &vocab,
            docs: &names,
            fold: &fold,
            span: self.cut.map(|c| c.span),
        };
        shards::finish(docs, root, kinds, files)
    }
}

impl KeptDoc {
    fn of(d: &SearchDoc) -> KeptDoc {
        KeptDoc {
            info: d.info.clone(),
            terms: d.terms.clone(),
            forms: d.forms.clone(),
        }
    }
}

/// Whether interned key `t` is a word (not a pair or a number).
fn is_word(cache: &TermCache, t: u32) -> bool {
    terms::kind(&cache.words[t as usize]) == Kind::Word
}

/// What is in `old` and not in `new`, and what is in `new` and not in `old` (each without
/// repeats within itself).
fn difference<T: Ord + Copy>(old: &[T], new: &[T]) -> (Vec<T>, Vec<T>) {
    let (mut a, mut b) = (old.to_vec(), new.to_vec());
    a.sort_unstable();
    b.sort_unstable();
    let (mut gone, mut came) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => {
                gone.push(*x);
                i += 1;
            }
            (Some(x), None) => {
                gone.push(*x);
                i += 1;
            }
            (_, Some(y)) => {
                came.push(*y);
                j += 1;
            }
            (None, None) => break,
        }
    }
    (gone, came)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::Rendered;

    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) % n as u64) as usize
        }
    }

    /// A made-up document `i` holding `held` (indexes of syllables): those words (with a
    /// frequency bucket and sometimes a title or heading flag), most pairs of consecutive ones,
    /// and an exact form or two of some. Few words, so that pairs often hold exactly their
    /// word's documents.
    /// What is made at random is the same for the same `seed` and word.
    fn doc(i: usize, title: &str, held: &[usize], cache: &mut TermCache, seed: u64) -> SearchDoc {
        let syllables = [
            "an", "ba", "bo", "chi", "dang", "vien", "hoc", "tap", "xa", "y",
        ];
        let name = |w: usize| format!("{}{}", syllables[w % syllables.len()], w / syllables.len());
        let mut terms = Vec::new();
        let mut forms = Vec::new();
        for &w in held {
            let rng = &mut Rng(seed.wrapping_mul(7919).wrapping_add(w as u64));
            let meta = rng.below(4) as u32 | if rng.below(5) == 0 { 4 } else { 0 };
            terms.push(cache.intern_key(&name(w)) << 4 | meta);
            for form in 0..rng.below(3) {
                let f = cache.intern_key(&name(w));
                let x = cache.intern_key(&format!("{}-{form}", name(w)));
                forms.push((f, x));
            }
        }
        for pair in held.windows(2) {
            let rng = &mut Rng(seed ^ (pair[0] * 131 + pair[1]) as u64);
            if rng.below(4) == 0 {
                continue;
            }
            let key = format!("{} {}", name(pair[0]), name(pair[1]));
            terms.push(cache.intern_key(&key) << 4 | if rng.below(6) == 0 { 8 } else { 0 });
        }
        let info = DocInfo {
            id: format!("d{i}"),
            url: format!("/d{i}/"),
            title: title.to_string(),
            number: None,
            kind: Some(["nghi-quyet", "chi-thi"][i % 2].to_string()),
            section: None,
            year: Some(2026),
            status: "in-force".into(),
            date: None,
            summary: String::new(),
            headings: Vec::new(),
        };
        SearchDoc {
            info: Arc::new(info),
            issuer: None,
            head: String::new(),
            rendered: Arc::new(Rendered::default()),
            terms: Arc::new(terms),
            forms: Arc::new(forms),
        }
    }

    /// The keys of group `g`'s cut terms and their forms (whose order numbers the bits of
    /// every posting's mask), from its file's header among `files`.
    fn cut_terms(files: &BTreeMap<String, Vec<u8>>, g: usize) -> Vec<String> {
        let prefix = format!("search/t/{g}.");
        let (_, b) = files
            .iter()
            .find(|(p, _)| p.starts_with(&prefix) && p.matches('.').count() == 2)
            .expect("group file");
        let (h, text, _) = shards::group_header(b).expect("header");
        let terms: Vec<&str> = text.lines().collect();
        let split = h.split;
        split
            .iter()
            .filter_map(|&i| Some(terms.get(i)?.to_string()))
            .collect()
    }

    fn files(b: &Built) -> BTreeMap<String, Vec<u8>> {
        b.files
            .iter()
            .map(|f| (f.path.clone(), f.bytes.clone()))
            .collect()
    }

    /// After each of many edits (a word added to or taken from a document, its flags, forms
    /// or card changed; sometimes a document made anew, or one added, which builds whole
    /// again), the kept index's files are exactly the files a full build makes of the same
    /// documents; and only some groups are encoded again.
    #[test]
    fn updates_equal_full_builds() {
        updates_equal(None);
    }

    /// The same with the common terms cut in ranges of 64 documents: and an edit to one
    /// document makes new range files only in that document's range.
    #[test]
    fn updates_equal_full_builds_with_cut_terms() {
        updates_equal(Some(Cut {
            span: 64,
            min_bytes: 12,
        }));
    }

    fn updates_equal(cut: Option<Cut>) {
        let mut rng = Rng(7);
        let mut cache = TermCache::default();
        let mut words = 40;
        let mut held: Vec<Vec<usize>> = (0..200)
            .map(|_| (0..words).filter(|_| rng.below(4) == 0).collect())
            .collect();
        let mut docs: Vec<SearchDoc> = (0..held.len())
            .map(|i| doc(i, "Văn bản", &held[i], &mut cache, 0))
            .collect();
        let mut seeds = vec![0u64; docs.len() + 4];
        let mut kept = ShardCache {
            last: None,
            cut: Some(cut),
        };
        let (mut encoded, mut of, mut flips) = (0, 0, 0);
        // The document edited since the last build (none: one was added), the files then.
        let mut edited: Option<usize> = None;
        let mut last_files = BTreeMap::new();
        let mut range_edits = 0;
        for step in 0..400 {
            let before = kept
                .last
                .as_ref()
                .map(|k| (k.group_files.clone(), k.counts.clone(), k.same.clone()));
            let built = kept.build(&docs, &cache, &[]);
            let full = shards::build_cut(&docs, &cache, &[], 1, cut);
            assert_eq!(built.root, full.root, "step {step}");
            let now = files(&built);
            assert_eq!(now, files(&full), "step {step}");
            if let (Some(c), Some(i)) = (cut, edited) {
                // Range files are "search/t/<group>.<range>.<hash>.bin". A range other than
                // the edited document's is new only when its group cuts other terms.
                let new_ranges: Vec<(usize, usize)> = now
                    .keys()
                    .filter(|p| !last_files.contains_key(*p))
                    .filter_map(|p| {
                        let name = p.strip_prefix("search/t/")?;
                        let parts: Vec<&str> = name.split('.').collect();
                        (parts.len() == 4).then(|| {
                            (
                                parts[0].parse().expect("group"),
                                parts[1].parse().expect("range"),
                            )
                        })
                    })
                    .collect();
                for &(g, k) in &new_ranges {
                    if k != i / c.span {
                        assert_ne!(
                            cut_terms(&last_files, g),
                            cut_terms(&now, g),
                            "step {step}: document {i} edited, range {k} of group {g} new"
                        );
                    }
                }
                range_edits += usize::from(new_ranges.iter().any(|&(_, k)| k == i / c.span));
            }
            last_files = now;
            let k = kept.last.as_ref().expect("kept");
            if let Some((groups, counts, same)) =
                before.filter(|b| b.0.len() == k.group_files.len())
            {
                encoded += (0..groups.len())
                    .filter(|&g| !Arc::ptr_eq(&groups[g], &k.group_files[g]))
                    .count();
                of += groups.len();
                // Pairs whose reference to a word changed with only the word's documents.
                flips += (0..same.len())
                    .filter(|&p| counts[p] == k.counts[p] && same[p] != k.same[p])
                    .count();
            }
            let i = rng.below(docs.len());
            edited = Some(i);
            let title = docs[i].info.title.clone();
            match rng.below(20) {
                0 => {
                    held[i] = (0..words).filter(|_| rng.below(4) == 0).collect();
                    seeds[i] = 1000 + step as u64;
                    let seed = seeds[i];
                    docs[i] = doc(i, &format!("Sửa {step}"), &held[i], &mut cache, seed);
                }
                1 if step % 100 == 0 => {
                    held.push(vec![1, 2, 3]);
                    edited = None;
                    let n = docs.len();
                    docs.push(doc(n, "Mới", &held[n], &mut cache, 0));
                }
                2 => {
                    // A new word comes into the vocabulary.
                    words += 1;
                    held[i].push(words - 1);
                    docs[i] = doc(i, &title, &held[i], &mut cache, seeds[i]);
                }
                3 => {
                    // Other flags and forms.
                    seeds[i] += 1;
                    docs[i] = doc(i, &title, &held[i], &mut cache, seeds[i]);
                }
                _ => {
                    let w = rng.below(words);
                    match held[i].binary_search(&w) {
                        Ok(at) => {
                            held[i].remove(at);
                        }
                        Err(at) => held[i].insert(at, w),
                    }
                    docs[i] = doc(i, &title, &held[i], &mut cache, seeds[i]);
                }
            }
        }
        assert!(
            flips > 0,
            "no pair changed its reference alone: the test misses that case"
        );
        assert!(encoded * 4 < of, "{encoded} of {of} group files made again");
        if cut.is_some() {
            assert!(
                last_files.keys().any(|p| p.matches('.').count() == 3),
                "no term is cut: the test misses that case"
            );
            assert!(range_edits > 20, "{range_edits} edits changed a range file");
        }
    }
}
