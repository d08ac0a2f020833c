// Offline search: the same words, the same ranking, the same corrections and passages as the
// server. This file is a line-for-line port of generator/src/search: `Query::parse` (mod.rs),
// `top` (mod.rs), `correct::suggest` (correct.rs), `passage` and `snippet`; tests hold the two
// to each other. The index (shards.rs) is read in pieces: the root names the groups of terms,
// and a query fetches only the groups its terms are in (the service worker has them all).
(() => {
  "use strict";
  const WORD = /[\p{Alphabetic}\p{N}]/u;
  const MARK = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/;
  const MAGIC = "STG6";
  const RANGE_MAGIC = "STR2";
  // The symbols of group headers' fixed code (keycode.rs); any other byte is KEY_OTHER.
  const KEY_SYMBOLS = "abcdefghijklmnopqrstuvwxyz0123456789 \n\t#=";
  const KEY_OTHER = KEY_SYMBOLS.length;
  const KEY_NEWLINE = 37;
  const GROUP_HASH = 8;
  // terms.rs: the flags of a posting.
  const TF = 3;
  const TITLE = 4;
  const HEADING = 8;
  // mod.rs, `weight`.
  const W = {
    tf: 0.5, titleWord: 2, headingWord: 1, exact: 1, pair: 1, together: 4, titleSeq: 3,
    headingSeq: 2, number: 10, inactive: 0.7,
  };
  // correct.rs.
  const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
  const VARIANTS = 8;
  const SPLITS = 4;
  const ROUNDS = 2;
  // runs.rs: how many of the first documents in rank order are read to check runs of 3+ words:
  // for a quoted phrase (which removes the documents without it), and without one.
  const CHECKED = 20;
  const RUN_CHECKED = 10;
  const HOLDERS = 3;
  // snippet.rs.
  const WINDOW = 28;
  const LEAD = 3;

  const encoder = new TextEncoder();

  // terms::fnv1a: which group holds a term.
  function fnv1a(key) {
    let h = 0x811c9dc5;
    for (const b of encoder.encode(key)) {
      h ^= b;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h >>> 0;
  }

  function readVarint(b, st) {
    let v = 0;
    let mul = 1;
    let byte;
    do {
      byte = b[st.pos++];
      v += (byte & 0x7f) * mul;
      mul *= 128;
    } while (byte & 0x80);
    return v;
  }

  // The documents of a term in `count` of `n` documents (docset.rs), each pushed onto `list`
  // as [doc, 0, 1]: Golomb-coded gaps, of the documents that do not hold it when it is in more
  // than half; moves st.pos past them. With `raw`, only the stored numbers are pushed (of the
  // documents without it, when it is in more than half): says whether they are those. Bits
  // are read from a 32-bit buffer (lowest first): a gap's run of ones at once, then its
  // remainder's k - 1 bits at once. (Written out, without helper functions or arrays in
  // between: this is the inner loop of every query.)
  function readDocs(b, st, count, n, list, raw) {
    const flip = count * 2 > n;
    const stored = flip ? n - count : count;
    const p = stored > 0 ? Math.max(1, Math.floor((69 * n) / (100 * stored))) : 1;
    const k = 32 - Math.clz32(p - 1);
    const short = (1 << k) - p;
    const low = k > 0 ? k - 1 : 0;
    const mask = (1 << low) - 1;
    const end = b.length;
    let at = st.pos;
    let buf = 0;
    let have = 0;
    let next = 0;
    for (let i = 0; i < stored; i++) {
      let q = 0;
      for (;;) {
        while (have <= 24) {
          buf |= (at < end ? b[at] : 0) << have;
          at++;
          have += 8;
        }
        const inv = ~buf;
        const ones = inv === 0 ? 32 : 31 - Math.clz32(inv & -inv);
        if (ones < have) {
          q += ones;
          buf = ones === 31 ? 0 : buf >>> (ones + 1);
          have -= ones + 1;
          break;
        }
        q += have;
        buf = 0;
        have = 0;
      }
      let r = 0;
      if (k > 0) {
        while (have <= 24) {
          buf |= (at < end ? b[at] : 0) << have;
          at++;
          have += 8;
        }
        r = buf & mask;
        buf >>>= low;
        have -= low;
        if (r >= short) {
          r = short + 2 * (r - short) + (buf & 1);
          buf >>>= 1;
          have -= 1;
        }
      }
      const d = next + q * p + r;
      if (raw) list.push(d);
      else if (!flip) list.push([d, 0, 1]);
      else for (let h = next; h < d; h++) list.push([h, 0, 1]);
      next = d + 1;
    }
    if (flip && !raw) for (let h = next; h < n; h++) list.push([h, 0, 1]);
    st.pos = at - (have >> 3);
    return flip;
  }

  // A subset of `m` postings (shards.rs `subset`: its size, then, unless it is none or all,
  // the postings in it as a set of documents is coded): adds `v` to acc[map[i]] (acc[i]
  // without a map) for each posting i in it, or, when the documents without it are stored,
  // takes `v` from those and returns `v` (what every posting gets); else returns 0. Only the
  // stored postings are visited: a subset of nearly all postings costs what a small one does.
  function addSubset(b, st, m, acc, v, map) {
    const c = readVarint(b, st);
    if (c === 0) return 0;
    if (c >= m) return v;
    const stored = STORED;
    stored.length = 0;
    const flip = readDocs(b, st, c, m, stored, true);
    const add = flip ? -v : v;
    if (map) for (let k = 0; k < stored.length; k++) acc[map[stored[k]]] += add;
    else for (let k = 0; k < stored.length; k++) acc[stored[k]] += add;
    return flip ? v : 0;
  }
  const STORED = [];

  // A stream of list.length items in a prefix code made for them (huffman.rs): the lengths of
  // the `alphabet` symbols 0 .. alphabet - 1, or (alphabet 0) the symbols used and their
  // lengths; then each item's code, first bit first, read from a 32-bit buffer through a table
  // of every `longest` bits. With an alphabet the items are frequency buckets, set as each
  // posting's list[i][1]; without, values (mask << 2 | flags), whose flags are added to
  // list[i][1] and, for a word, whose mask is list[i][2]. Moves st.pos past them.
  function readCode(b, st, list, alphabet, word) {
    let symbols;
    if (alphabet) {
      symbols = [];
      for (let s = 0; s < alphabet; s++) symbols.push(s);
    } else {
      const k = readVarint(b, st);
      symbols = [];
      let last = 0;
      for (let i = 0; i < k; i++) {
        last = i === 0 ? readVarint(b, st) : last + readVarint(b, st);
        symbols.push(last);
      }
    }
    const k = symbols.length;
    const lens = [];
    for (let i = 0; i < k; i++) lens.push((b[st.pos + (i >> 1)] >> (4 * (i & 1))) & 15);
    st.pos += (k + 1) >> 1;
    // Canonical codes: by length, then by symbol, consecutive (deflate's rule); the lengths
    // must make a complete code, so that every entry of the table is set.
    const order = [];
    let longest = 0;
    for (let i = 0; i < k; i++) {
      if (lens[i] > 0) order.push(i);
      if (lens[i] > longest) longest = lens[i];
    }
    if (longest === 0 || longest > 12) throw new Error("bad code");
    let kraft = 0;
    for (const i of order) kraft += 1 << (longest - lens[i]);
    if (kraft !== 1 << longest) throw new Error("bad code");
    order.sort((x, y) => lens[x] - lens[y] || x - y);
    const table = new Int32Array(1 << longest);
    let code = 0;
    let len = 0;
    for (const i of order) {
      code <<= lens[i] - len;
      len = lens[i];
      let rev = 0;
      for (let j = 0; j < len; j++) rev |= ((code >> j) & 1) << (len - 1 - j);
      for (let high = 0; high < 1 << (longest - len); high++) table[rev | (high << len)] = (i << 4) | len;
      code++;
    }
    // Per symbol, what a posting gets: its bucket; or its flags (times 4) and mask.
    const flags = symbols.map((v) => (alphabet ? v : (v % 4) * 4));
    const masks = symbols.map((v) => Math.floor(v / 4));
    const m = list.length;
    const tmask = (1 << longest) - 1;
    const end = b.length;
    let at = st.pos;
    let buf = 0;
    let have = 0;
    // (Three copies of one loop: this is the inner loop of every query.)
    if (alphabet) {
      for (let i = 0; i < m; i++) {
        while (have <= 24) {
          buf |= (at < end ? b[at] : 0) << have;
          at++;
          have += 8;
        }
        const e = table[buf & tmask];
        buf >>>= e & 15;
        have -= e & 15;
        list[i][1] = flags[e >> 4];
      }
    } else if (word) {
      for (let i = 0; i < m; i++) {
        while (have <= 24) {
          buf |= (at < end ? b[at] : 0) << have;
          at++;
          have += 8;
        }
        const e = table[buf & tmask];
        buf >>>= e & 15;
        have -= e & 15;
        const o = list[i];
        o[1] |= flags[e >> 4];
        o[2] = masks[e >> 4];
      }
    } else {
      for (let i = 0; i < m; i++) {
        while (have <= 24) {
          buf |= (at < end ? b[at] : 0) << have;
          at++;
          have += 8;
        }
        const e = table[buf & tmask];
        buf >>>= e & 15;
        have -= e & 15;
        list[i][1] |= flags[e >> 4];
      }
    }
    st.pos = at - (have >> 3);
  }
  // Zeroed scratch numbers for decoding a term's values (decoding runs for every query).
  const SCRATCH = [new Float64Array(1024), new Float64Array(1024)];
  function scratch(k, m) {
    if (SCRATCH[k].length < m) SCRATCH[k] = new Float64Array(2 * m);
    SCRATCH[k].fill(0, 0, m);
    return SCRATCH[k];
  }

  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => (
    { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

  const pairKey = (a, b) => `${a} ${b}`;
  const numberKey = (words) => `#${words.join(" ")}`;

  function intersect(a, b) {
    let i = 0;
    let j = 0;
    const out = [];
    while (i < a.length && j < b.length) {
      if (a[i] < b[j]) i++;
      else if (a[i] > b[j]) j++;
      else { out.push(a[i]); i++; j++; }
    }
    return out;
  }

  class Index {
    constructor(rootUrl, root) {
      this.url = new URL(rootUrl, location.href);
      this.n = root.n;
      // Group i's file is t/<i>.<hash>.bin; its hash (8 hex digits) is in group directory
      // ⌊i / dir⌋, g/<j>.<hash>.txt, whose hashes the root lists (shards.rs).
      this.nGroups = Math.max(1, root.groups);
      this.dirGroups = root.dir;
      this.dirHashes = root.dirs;
      this.dirs = new Map(); // directory number -> promise of its groups' hashes
      this.vocabNames = root.vocab;
      this.docNames = root.docs;
      this.per = root.per;
      this.tableName = root.table;
      this.foldName = root.fold;
      this.fold = null;
      this.keysName = root.keys;
      this.keyCode = null; // the fixed code of group headers (keycode.rs), once read
      this.kinds = root.kinds || {};
      this.span = root.span || 0; // documents per range of a cut term
      // group number -> Map(key -> [bytes, start, end, vars, cut]); cut: null, or for a term
      // cut by document range {pieces: [[bytes, start, end]] once its ranges are read}
      this.groups = new Map();
      this.groupLoads = new Map(); // group number -> promise of its terms, once asked
      // group number -> {parts, split, done} of a group with cut terms (done: the promise of
      // its range files, once asked)
      this.ranges = new Map();
      this.vocab = null; // Map(word -> bucket), once needed
      this.cardShards = new Map();
      this.docs = null; // [{kind, section, year, inactive}]
    }

    static async load(rootUrl) {
      const root = await fetchBytes(rootUrl).then((b) => JSON.parse(new TextDecoder().decode(b)));
      const idx = new Index(rootUrl, root);
      await Promise.all([idx.loadTable(), idx.loadFold(), idx.loadKeyCode()]);
      return idx;
    }

    file(name) {
      return new URL(name, this.url).href;
    }

    async loadFold() {
      const b = await fetchBytes(this.file(this.foldName));
      this.fold = JSON.parse(new TextDecoder().decode(b));
    }

    // The fixed code of group headers (keycode.rs): per preceding symbol, every symbol's code
    // length (a hexadecimal digit each); kept as, per row, the symbols in canonical order (by
    // length, then symbol) and how many codes each length has.
    async loadKeyCode() {
      const b = await fetchBytes(this.file(this.keysName));
      const rows = JSON.parse(new TextDecoder().decode(b));
      this.keyCode = rows.map((row) => {
        const lens = [...row].map((c) => parseInt(c, 16));
        const order = lens.map((_, i) => i).filter((i) => lens[i] > 0);
        order.sort((x, y) => lens[x] - lens[y] || x - y);
        const perLen = new Array(16).fill(0);
        for (const l of lens) if (l > 0) perLen[l]++;
        return { order, perLen };
      });
    }

    // `lines` lines of a group header in the fixed code (keycode.rs `read`), from b[st.pos..];
    // the text, each line ending in "\n".
    readKeys(b, st, lines) {
      const rows = this.keyCode;
      let bit = st.pos * 8;
      const next = () => {
        if ((bit >> 3) >= b.length) throw new Error("bad header");
        const v = (b[bit >> 3] >> (bit & 7)) & 1;
        bit++;
        return v;
      };
      const bytes = [];
      let prev = KEY_NEWLINE;
      for (let seen = 0; seen < lines;) {
        const row = rows[prev];
        let code = 0;
        let first = 0;
        let index = 0;
        let s = -1;
        for (let len = 1; len < 16; len++) {
          code |= next();
          const count = row.perLen[len];
          if (code < first + count) {
            s = row.order[index + code - first];
            break;
          }
          index += count;
          first = (first + count) << 1;
          code <<= 1;
        }
        if (s < 0) throw new Error("bad header");
        if (s === KEY_OTHER) {
          let byte = 0;
          for (let i = 0; i < 8; i++) byte |= next() << i;
          bytes.push(byte);
        } else {
          bytes.push(KEY_SYMBOLS.charCodeAt(s));
          if (s === KEY_NEWLINE) seen++;
        }
        prev = s;
      }
      st.pos = (bit + 7) >> 3;
      return new TextDecoder().decode(new Uint8Array(bytes));
    }

    async loadTable() {
      const b = await fetchBytes(this.file(this.tableName));
      const len = b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24);
      const h = JSON.parse(new TextDecoder().decode(b.subarray(4, 4 + len)));
      this.docs = [];
      // Six bytes a document, column by column (shards.rs `table_file`).
      const n = this.n;
      const col = (j, i) => b[4 + len + j * n + i];
      for (let i = 0; i < n; i++) {
        const section = col(1, i) | (col(2, i) << 8);
        this.docs.push({
          kind: col(0, i) ? h.kinds[col(0, i) - 1] : null,
          section: section ? h.sections[section - 1] : null,
          year: (col(3, i) | (col(4, i) << 8)) || null,
          inactive: (col(5, i) & 1) !== 0,
        });
      }
    }

    groupOf(key) {
      return fnv1a(key) % this.nGroups;
    }

    // Fetches the groups that hold these terms (once each).
    async need(keys) {
      // A pair may refer to one of its words' postings: those come too.
      const all = keys.flatMap((k) => (k.includes(" ") && !k.startsWith("#") ? [k, ...k.split(" ")] : [k]));
      const want = new Set(all.map((k) => this.groupOf(k)));
      await Promise.all([...want].map((g) => this.loadGroup(g)));
      // The range files of the groups whose wanted terms are cut (shards.rs `cut`).
      const cut = new Set(all.filter((k) => { const t = this.term(k); return t && t[4]; }).map((k) => this.groupOf(k)));
      await Promise.all([...cut].map((g) => this.loadRanges(g)));
    }

    // The hashes of group directory j's groups (read once).
    dir(j) {
      if (!this.dirs.has(j)) {
        const hash = this.dirHashes.slice(GROUP_HASH * j, GROUP_HASH * (j + 1));
        this.dirs.set(j, fetchBytes(this.file(`g/${j}.${hash}.txt`)).then(
          (b) => new TextDecoder().decode(b),
          (e) => { this.dirs.delete(j); throw e; }, // not at hand now: asked again next time
        ));
      }
      return this.dirs.get(j);
    }

    // Group g's terms, read once (two searches at once share the reading; a group that could
    // not be read is asked again next time).
    loadGroup(g) {
      if (!this.groupLoads.has(g)) {
        this.groupLoads.set(g, this.readGroup(g).catch((e) => { this.groupLoads.delete(g); throw e; }));
      }
      return this.groupLoads.get(g);
    }

    async readGroup(g) {
      const k = g % this.dirGroups;
      const hash = (await this.dir(Math.floor(g / this.dirGroups))).slice(GROUP_HASH * k, GROUP_HASH * (k + 1));
      const terms = new Map();
      const b = await fetchBytes(this.file(`t/${g}.${hash}.bin`));
      if (String.fromCharCode(b[0], b[1], b[2], b[3]) !== MAGIC) throw new Error("not a group");
      const len = b[4] | (b[5] << 8) | (b[6] << 16) | (b[7] << 24);
      // The header (shards.rs `group_file`): JSON when the group has cut terms, then a line per
      // term in the fixed code, "key" or "key\tforms" (forms space-separated, "=" for the key).
      const hs = { pos: 8 };
      const e = readVarint(b, hs);
      let h = { split: [], parts: "" };
      if (e > 0) h = JSON.parse(new TextDecoder().decode(b.subarray(hs.pos, hs.pos + e)));
      hs.pos += e;
      const lines = readVarint(b, hs);
      let text = this.readKeys(b.subarray(0, 8 + len), hs, lines);
      if (text.endsWith("\n")) text = text.slice(0, -1);
      h.terms = [];
      const st = { pos: 8 + len };
      const split = new Set(h.split);
      for (const line of text ? text.split("\n") : []) {
        const tab = line.indexOf("\t");
        const key = tab < 0 ? line : line.slice(0, tab);
        const forms = tab < 0 ? "" : line.slice(tab + 1);
        const vars = forms === "=" ? [key] : forms ? forms.split(" ") : [];
        const blen = readVarint(b, st);
        const cut = split.has(h.terms.length) ? { pieces: null } : null;
        terms.set(key, [b, st.pos, st.pos + blen, vars, cut]);
        h.terms.push(key);
        st.pos += blen;
      }
      if (split.size) this.ranges.set(g, { parts: h.parts, split: h.split.map((i) => h.terms[i]), done: null });
      this.groups.set(g, terms);
      return terms;
    }

    // Reads group g's range files (once): each cut term's postings, range by range.
    async loadRanges(g) {
      const r = this.ranges.get(g);
      if (!r.done) {
        const count = r.parts.length / GROUP_HASH;
        r.done = Promise.all(Array.from({ length: count }, (_, k) => (
          fetchBytes(this.file(`t/${g}.${k}.${r.parts.slice(GROUP_HASH * k, GROUP_HASH * (k + 1))}.bin`))
        ))).then((files) => {
          const terms = this.groups.get(g);
          const pieces = r.split.map(() => []);
          for (const b of files) {
            if (String.fromCharCode(b[0], b[1], b[2], b[3]) !== RANGE_MAGIC) throw new Error("not a range");
            const st = { pos: 4 };
            for (const list of pieces) {
              const blen = readVarint(b, st);
              list.push([b, st.pos, st.pos + blen]);
              st.pos += blen;
            }
          }
          r.split.forEach((key, i) => { terms.get(key)[4].pieces = pieces[i]; });
        }, (e) => { r.done = null; throw e; }); // not at hand now: asked again next time
      }
      await r.done;
    }

    async loadVocab() {
      if (this.vocab) return;
      const vocab = new Map();
      const texts = await Promise.all(Object.values(this.vocabNames).map((name) => (
        fetchBytes(this.file(name)).then((b) => new TextDecoder().decode(b)))));
      for (const text of texts) {
        for (const line of text.split("\n")) {
          const sp = line.lastIndexOf(" ");
          if (sp > 0) vocab.set(line.slice(0, sp), Number(line.slice(sp + 1)));
        }
      }
      this.vocab = vocab;
    }

    term(key) {
      const g = this.groups.get(this.groupOf(key));
      return g ? g.get(key) : undefined;
    }

    // {list: [[doc, meta, mask]], vars} of a term (its group must be loaded); shards.rs
    // `encode_term`. Within a ranking each term is decoded once and shared: not to be changed.
    decode(key) {
      if (this.memo && this.memo.has(key)) return this.memo.get(key);
      const out = this.decodeTerm(key);
      if (this.memo) this.memo.set(key, out);
      return out;
    }

    decodeTerm(key) {
      const t = this.term(key);
      if (!t) return { list: [], vars: [] };
      const [b, start, , vars, cut] = t;
      if (!cut) return { list: this.decodeAt(key, b, start, t[2], vars, this.n, false), vars };
      if (!cut.pieces) throw new Error(`the ranges of ${key} are not read`);
      const list = [];
      for (let k = 0; k < cut.pieces.length; k++) {
        const [pb, ps, pe] = cut.pieces[k];
        if (pe === ps) continue;
        const lo = k * this.span;
        const part = this.decodeAt(key, pb, ps, pe, vars, Math.min(this.span, this.n - lo), true);
        for (const p of part) {
          p[0] += lo;
          list.push(p);
        }
      }
      return { list, vars };
    }

    // The postings of `key` from b[start..end] in a site (or range: `piece`, where a count of
    // 0 is none) of n documents.
    decodeAt(key, b, start, end, vars, n, piece) {
      const kind = key.startsWith("#") ? "number" : key.includes(" ") ? "pair" : "word";
      const st = { pos: start };
      const count = readVarint(b, st);
      let list = [];
      if (count === 0 && kind === "pair" && !piece) {
        // A pair held by exactly the documents of one of its words (shards.rs `encode_term`).
        const side = readVarint(b, st);
        const sp = key.indexOf(" ");
        const word = side === 1 ? key.slice(0, sp) : key.slice(sp + 1);
        list = this.decode(word).list.map((p) => [p[0], 0, 1]);
      }
      if (count > 0) readDocs(b, st, count, n, list);
      if (kind === "word") {
        // Frequency buckets: two bits each (mode 0); or (mode 1) the postings of bucket 2 or 3,
        // then among the others those of bucket 1, then among those the ones of bucket 3.
        const mode = b[st.pos++];
        if (mode === 2) {
          readCode(b, st, list, 4, true);
        } else if (mode === 1) {
          const acc = scratch(0, count);
          const all = addSubset(b, st, count, acc, 2, null);
          const low = [];
          const high = [];
          for (let i = 0; i < count; i++) (all + acc[i] ? high : low).push(i);
          const odd = scratch(1, count);
          const lowAll = addSubset(b, st, low.length, odd, 1, low);
          const highAll = addSubset(b, st, high.length, odd, 1, high);
          for (let k = 0; k < low.length; k++) list[low[k]][1] = lowAll + odd[low[k]];
          for (let k = 0; k < high.length; k++) list[high[k]][1] = 2 + highAll + odd[high[k]];
        } else {
          for (let i = 0; i < count; i++) list[i][1] = (b[st.pos + (i >> 2)] >> (2 * (i & 3))) & TF;
          st.pos += Math.ceil(count / 4);
        }
      }
      if (kind !== "number" && st.pos < end) {
        // Each posting's value, mask << 2 | flags (a word) or flags (a pair): sparse, the
        // postings whose value is not the usual one; dense, every posting's; planes, the
        // postings with each bit of the value; or in a prefix code (shards.rs). None when the
        // term ends first: every value is the usual one. (Values can pass 2^31: arithmetic,
        // not bit operators.)
        const word = kind === "word";
        const head = readVarint(b, st);
        if (head === 5) {
          readCode(b, st, list, 0, word);
        } else if (head === 3) {
          const m = list.length;
          const flags = scratch(0, m);
          let all = addSubset(b, st, m, flags, 4, null);
          all += addSubset(b, st, m, flags, 8, null);
          for (let i = 0; i < m; i++) list[i][1] += all + flags[i];
          if (word && vars.length > 1) {
            const mask = scratch(1, m);
            let every = 0;
            for (let j = 0; j < vars.length; j++) every += addSubset(b, st, m, mask, 2 ** j, null);
            for (let i = 0; i < m; i++) list[i][2] = every + mask[i];
          }
        } else if (head % 2 === 0) {
          let at = 0;
          for (let j = 0; j < head / 2; j++) {
            at += readVarint(b, st);
            const v = readVarint(b, st);
            const o = list[at];
            if (!o) continue;
            o[1] |= (v % 4) * 4;
            if (word) o[2] = Math.floor(v / 4);
          }
        } else if (vars.length > 1) {
          for (let i = 0; i < list.length; i++) {
            const v = readVarint(b, st);
            const o = list[i];
            o[1] |= (v % 4) * 4;
            if (word) o[2] = Math.floor(v / 4);
          }
        } else {
          // Flags only (a word's mask is then 1, as it already is).
          for (let i = 0; i < list.length; i++) {
            list[i][1] |= ((b[st.pos + (i >> 2)] >> (2 * (i & 3))) & 3) * 4;
          }
          st.pos += Math.ceil(list.length / 4);
        }
      }
      return list;
    }

    // [[doc, flags, ...]] of a term, in document order.
    postings(key) {
      return this.decode(key).list;
    }

    exactDocs(exact, folded) {
      const { list, vars } = this.decode(folded);
      const bit = vars.indexOf(exact);
      if (bit < 0) return [];
      return list.filter((p) => Math.floor(p[2] / 2 ** bit) % 2 === 1).map((p) => p[0]);
    }

    df(key) {
      const t = this.term(key);
      if (!t) return 0;
      const st = { pos: t[1] };
      const count = readVarint(t[0], st);
      if (count > 0 || !key.includes(" ")) return count;
      const side = readVarint(t[0], st);
      const sp = key.indexOf(" ");
      return this.df(side === 1 ? key.slice(0, sp) : key.slice(sp + 1));
    }

    wordBucket(word) {
      return (this.vocab && this.vocab.get(word)) || 0;
    }

    commonForm(folded) {
      const t = this.term(folded);
      return t && t[3].length ? t[3][0] : null;
    }

    // The display cards of documents (id, url, title, number, kind, date).
    async cards(ords) {
      const shards = [...new Set(ords.map((o) => Math.floor(o / this.per)))];
      await Promise.all(shards.map(async (s) => {
        if (this.cardShards.has(s)) return;
        const b = await fetchBytes(this.file(this.docNames[s]));
        // Column by column, "" where a card has none (shards.rs `Columns`); a card leaves its
        // URL out when it is /{id}/ (`Card::url`).
        const cols = JSON.parse(new TextDecoder().decode(b));
        const at = (name, i) => (cols[name] && cols[name][i]) || undefined;
        const cards = cols.id.map((id, i) => ({
          id, title: cols.title[i], url: at("url", i) || `/${id}/`, number: at("number", i), date: at("date", i),
        }));
        this.cardShards.set(s, cards);
      }));
      return ords.map((o) => this.cardShards.get(Math.floor(o / this.per))[o % this.per]);
    }

    // ---- words (text.rs) -----------------------------------------------------------------

    isWord(c, inWord) {
      const code = c.charCodeAt(0);
      if (code < 128) return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
      if (this.fold[c]) return inWord || !MARK.test(c);
      return WORD.test(c) || (inWord && MARK.test(c));
    }

    // Whether character `c` is (part of) a word, as isWord says, looked up once per character:
    // bit 1 outside a word, bit 2 inside one.
    charKind(c) {
      if (!this.charKinds) this.charKinds = new Map();
      let k = this.charKinds.get(c);
      if (k === undefined) {
        k = (this.isWord(c, false) ? 1 : 0) | (this.isWord(c, true) ? 2 : 0);
        this.charKinds.set(c, k);
      }
      return k;
    }

    tokens(text) {
      const out = [];
      let start = -1;
      const n = text.length;
      for (let pos = 0; pos < n;) {
        const code = text.charCodeAt(pos);
        let len = 1;
        let inWord;
        if (code < 128) {
          inWord = (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
        } else {
          // A character outside the BMP is two code units, as `for (const ch of text)` reads it.
          const low = pos + 1 < n ? text.charCodeAt(pos + 1) : 0;
          if (code >= 0xd800 && code <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) len = 2;
          inWord = (this.charKind(text.slice(pos, pos + len)) & (start >= 0 ? 2 : 1)) !== 0;
        }
        if (inWord && start < 0) start = pos;
        else if (!inWord && start >= 0) { out.push(this.word(text, start, pos)); start = -1; }
        pos += len;
      }
      if (start >= 0) out.push(this.word(text, start, n));
      return out;
    }

    // The word text[s..e], folded and exact; a page's words repeat, so each is folded once.
    word(text, s, e) {
      const w = text.slice(s, e);
      if (!this.wordForms) this.wordForms = new Map();
      let f = this.wordForms.get(w);
      if (!f) {
        if (this.wordForms.size > 50000) this.wordForms.clear();
        f = this.fold1([...w]);
        this.wordForms.set(w, f);
      }
      return { start: s, end: e, folded: f.folded, exact: f.exact };
    }

    fold1(chars) {
      let folded = "";
      let base = "";
      let tone = 0;
      for (const c of chars) {
        const t = this.fold[c];
        if (t) {
          folded += t[0];
          base += t[1];
          if (t[2]) tone = t[2];
        } else {
          const l = c.toLowerCase();
          folded += l;
          base += l;
        }
      }
      return { folded, exact: tone ? base + tone : base };
    }

    // ---- Query::parse ----------------------------------------------------------------------

    parse(q) {
      q = q.normalize("NFC");
      const terms = [];
      const phrases = [];
      const parts = q.split('"');
      parts.forEach((part, i) => {
        const start = terms.length;
        for (const t of this.tokens(part)) {
          terms.push({ folded: t.folded, exact: t.exact, accented: t.exact !== t.folded });
        }
        if (i % 2 === 1 && terms.length > start) phrases.push([start, terms.length]);
      });
      return { terms, phrases };
    }

    // The terms a query needs (its words, their pairs, its number).
    keysOf(query) {
      const seq = query.terms.map((t) => t.folded);
      const keys = [...seq, numberKey(seq)];
      for (let i = 1; i < seq.length; i++) keys.push(pairKey(seq[i - 1], seq[i]));
      return keys;
    }

    // ---- top -----------------------------------------------------------------------------

    // {total, ranked}: how many documents hold the query, and the first `need` of them in rank
    // order (the ones after are not ranked: no page shows them).
    top(query, filter, need = Infinity) {
      // Each term is decoded once for the ranking (a word's postings also give its exact forms).
      this.memo = new Map();
      try {
        return this.rank(query, filter, need);
      } finally {
        this.memo = null;
      }
    }

    rank(query, filter, need) {
      if (!query.terms.length) return { total: 0, ranked: [] };
      const n = this.n;
      const seen = new Set();
      const distinct = [];
      for (const t of query.terms) {
        const k = `${t.folded}\u0000${t.exact}`;
        if (!seen.has(k)) { seen.add(k); distinct.push(t); }
      }
      const words = [];
      for (const t of distinct) if (!words.includes(t.folded)) words.push(t.folded);
      const wordPostings = words.map((w) => this.postings(w));
      const seq = query.terms.map((t) => t.folded);
      const pairKeys = [];
      for (let i = 1; i < seq.length; i++) {
        const k = pairKey(seq[i - 1], seq[i]);
        if (!pairKeys.includes(k)) pairKeys.push(k);
      }
      const pairPostings = pairKeys.map((k) => this.postings(k));
      const pairAt = (a, b) => Math.max(0, pairKeys.indexOf(pairKey(a, b)));
      const docsOf = (p) => p.map((x) => x[0]);

      const required = wordPostings.map(docsOf);
      for (const [a, b] of query.phrases) {
        for (let i = a; i < b; i++) {
          if (i + 1 < b) required.push(docsOf(pairPostings[pairAt(seq[i], seq[i + 1])]));
          const t = query.terms[i];
          if (t.accented) required.push(this.exactDocs(t.exact, t.folded));
        }
      }
      required.sort((x, y) => x.length - y.length);
      let cands = required[0].slice();
      for (let i = 1; i < required.length; i++) cands = intersect(cands, required[i]);
      filter = filter || {};
      cands = cands.filter((o) => {
        const d = this.docs[o];
        if (!d) return false;
        if (filter.kind && d.kind !== filter.kind) return false;
        if (filter.year && d.year !== filter.year) return false;
        if (filter.section && !(d.section && (d.section === filter.section
          || d.section.startsWith(`${filter.section}/`)))) return false;
        return true;
      });
      if (!cands.length) return { total: 0, ranked: [] };

      const idfOf = (w) => {
        const df = wordPostings[Math.max(0, words.indexOf(w))].length;
        return Math.log(1 + (n - df + 0.5) / (df + 0.5));
      };
      // A term's flags per candidate, in candidate order (255: the candidate lacks it): both
      // lists are in document order, so one walk matches them.
      const dense = (p) => {
        const v = new Uint8Array(cands.length).fill(255);
        for (let i = 0, c = 0; i < p.length && c < cands.length; i++) {
          const d = p[i][0];
          while (c < cands.length && cands[c] < d) c++;
          if (c < cands.length && cands[c] === d) v[c] = p[i][1];
        }
        return v;
      };
      const wordMeta = wordPostings.map(dense);
      const pairMeta = pairPostings.map(dense);
      const idf = distinct.map((t) => idfOf(t.folded));
      const wordOf = distinct.map((t) => Math.max(0, words.indexOf(t.folded)));
      const exact = distinct.map((t) => (t.accented ? new Set(this.exactDocs(t.exact, t.folded)) : null));
      let sumIdf = 0;
      for (const x of idf) sumIdf += x;
      const pairs = [];
      for (let i = 1; i < seq.length; i++) pairs.push([pairAt(seq[i - 1], seq[i]), idfOf(seq[i - 1]) + idfOf(seq[i])]);
      const number = dense(this.postings(numberKey(seq)));

      const scores = new Float64Array(cands.length);
      const together = new Uint8Array(cands.length);
      cands.forEach((ord, c) => {
        let s = 0;
        for (let i = 0; i < distinct.length; i++) {
          let m = wordMeta[wordOf[i]][c];
          if (m === 255) m = 0;
          s += idf[i] * (1 + W.tf * (m & TF));
          if (m & TITLE) s += W.titleWord * idf[i];
          if (m & HEADING) s += W.headingWord * idf[i];
          if (exact[i] && exact[i].has(ord)) s += W.exact * idf[i];
        }
        if (pairs.length) {
          let all = true;
          let title = true;
          let heading = true;
          for (const [p, w] of pairs) {
            const m = pairMeta[p][c];
            if (m !== 255) {
              s += W.pair * w;
              title = title && (m & TITLE) !== 0;
              heading = heading && (m & HEADING) !== 0;
            } else {
              all = false;
              title = false;
              heading = false;
            }
          }
          together[c] = all ? 1 : 0;
          if (all) s += W.together * sumIdf;
          if (title) s += W.titleSeq * sumIdf;
          if (heading) s += W.headingSeq * sumIdf;
        }
        if (number[c] !== 255) s += W.number * sumIdf;
        if (this.docs[ord].inactive) s *= W.inactive;
        scores[c] = Math.round(s * 1e6) / 1e6;
      });
      // Only the head is sorted: the need-th best score, found by sorting the scores alone
      // (numbers, natively), bounds it; ties at that score are all kept, then cut in order.
      let floor = -Infinity;
      if (cands.length > need) {
        const sorted = scores.slice().sort();
        floor = sorted[cands.length - need];
      }
      const ranked = [];
      cands.forEach((ord, c) => {
        if (scores[c] >= floor) ranked.push({ ord, score: scores[c], together: together[c] === 1 });
      });
      ranked.sort((a, b) => b.score - a.score || a.ord - b.ord);
      if (ranked.length > need) ranked.length = need;
      return { total: cands.length, ranked };
    }

    // ---- runs::check --------------------------------------------------------------------------
    // Of the first RUN_CHECKED documents in rank order, those holding every pair of the query
    // are read whole (title, number, then the page's text) until HOLDERS hold the query's words
    // in a row: those come first; a quoted phrase of 3+ words not held in a row removes the
    // document, of the first CHECKED.
    // A page that cannot be had (offline, not yet cached) is neither moved nor removed.

    async checkRuns(query, total, ranked) {
      const phrases = query.phrases.filter(([a, b]) => b - a >= 3).map(([a, b]) => query.terms.slice(a, b));
      const run = query.terms.length >= 3;
      if (!phrases.length && !run) return { total, ranked };
      const checked = phrases.length ? CHECKED : RUN_CHECKED;
      const head = ranked.slice(0, checked);
      const toRead = (r) => phrases.length > 0 || r.together;
      const holders = [];
      const others = [];
      let i = 0;
      for (; i < head.length; i++) {
        if (!phrases.length && holders.length === HOLDERS) break;
        const r = head[i];
        if (!toRead(r)) {
          others.push(r);
          continue;
        }
        // Pages come a few at a time: most queries stop after the first 4; one that reads on
        // reads 8 at a time (fewer waits for the cache when it reads all of them). A page
        // already read with the ones before it is not waited for again (asking for the window
        // that starts at it would read the one page after the last window alone).
        const ahead = i < 4 ? 4 : 8;
        let w = this.wordsOf && this.wordsOf.get(r.ord);
        if (!w) w = (await this.docWords(head.slice(i, i + ahead).filter(toRead).map((x) => x.ord))).get(r.ord);
        if (!w) others.push(r);
        else if (!phrases.every((p) => holdsRun(w, p, true))) total -= 1;
        else if (run && r.together && holdsRun(w, query.terms, false)) holders.push(r);
        else others.push(r);
      }
      return { total, ranked: [...holders, ...others, ...head.slice(i), ...ranked.slice(checked)] };
    }

    // ord -> [the title's, the number's, the body's tokens] of these documents, from their pages (the
    // service worker's cache offline); kept for the next queries.
    async docWords(ords) {
      if (!this.wordsOf) this.wordsOf = new Map();
      if (this.wordsOf.size > 64) this.wordsOf.clear();
      const want = ords.filter((o) => !this.wordsOf.has(o));
      const cards = await this.cards(want);
      const site = new URL("../", this.url);
      await Promise.all(want.map(async (o, i) => {
        try {
          const url = new URL(cards[i].url.replace(/^\//, ""), site).href;
          const res = await read(url);
          if (!res.ok) return;
          const doc = parseBody(await res.text());
          const body = pagePassages(doc).map((p) => (p.heading === null ? p.text : `${p.heading}\n${p.text}`));
          const c = cards[i];
          this.wordsOf.set(o, [this.tokens(c.title), this.tokens(c.number || ""), this.tokens(body.join(""))]);
        } catch (e) { /* not at hand: this document is not checked */ }
      }));
      const out = new Map();
      for (const o of ords) if (this.wordsOf.has(o)) out.set(o, this.wordsOf.get(o));
      return out;
    }

    // ---- correct::suggest --------------------------------------------------------------------

    variants(w) {
      const chars = [...w];
      const out = [];
      const push = (v) => {
        const s = v.join("");
        if (s && s !== w && !out.includes(s)) out.push(s);
      };
      for (let i = 0; i < chars.length; i++) push([...chars.slice(0, i), ...chars.slice(i + 1)]);
      for (let i = 0; i + 1 < chars.length; i++) {
        const v = chars.slice();
        [v[i], v[i + 1]] = [v[i + 1], v[i]];
        push(v);
      }
      for (let i = 0; i < chars.length; i++) {
        for (const c of ALPHABET) {
          if (c !== chars[i]) {
            const v = chars.slice();
            v[i] = c;
            push(v);
          }
        }
      }
      for (let i = 0; i <= chars.length; i++) {
        for (const c of ALPHABET) push([...chars.slice(0, i), c, ...chars.slice(i)]);
      }
      const known = out.map((v) => [this.wordBucket(v), v]).filter((x) => x[0] > 0);
      known.sort((a, b) => b[0] - a[0] || cmp(a[1], b[1]));
      return known.slice(0, VARIANTS).map((x) => x[1]);
    }

    splits(w) {
      const out = [];
      const chars = [...w];
      for (let i = 1; i < chars.length; i++) {
        const a = chars.slice(0, i).join("");
        const b = chars.slice(i).join("");
        const ba = this.wordBucket(a);
        const bb = this.wordBucket(b);
        if (ba > 0 && bb > 0) out.push([Math.min(ba, bb), a, b]);
      }
      out.sort((x, y) => y[0] - x[0] || cmp(x[1], y[1]) || cmp(x[2], y[2]));
      return out.slice(0, SPLITS).map((x) => [x[1], x[2]]);
    }

    pairBad(seq) {
      const known = seq.map((w) => this.wordBucket(w) > 0 || this.df(w) > 0);
      const bad = [];
      for (let i = 1; i < seq.length; i++) {
        bad.push(known[i - 1] && known[i] && this.df(pairKey(seq[i - 1], seq[i])) === 0);
      }
      return { known, bad };
    }

    defects(seq) {
      const { known, bad } = this.pairBad(seq);
      return known.filter((k) => !k).length + bad.filter((b) => b).length;
    }

    edits(c) {
      const n = c.seq.length;
      const { known, bad } = this.pairBad(c.seq);
      const involved = (i) => !known[i] || (i > 0 && bad[i - 1]) || (i + 1 < n && bad[i]);
      const out = [];
      const copy = () => ({ seq: c.seq.slice(), from: c.from.slice(), changed: c.changed.slice(), common: c.common });
      for (let i = 0; i < n; i++) {
        if (!involved(i)) continue;
        for (const v of this.variants(c.seq[i])) {
          const e = copy();
          e.common += this.wordBucket(v);
          e.seq[i] = v;
          e.changed[i] = true;
          out.push(e);
        }
        for (const [a, b] of this.splits(c.seq[i])) {
          const e = copy();
          e.common += Math.min(this.wordBucket(a), this.wordBucket(b));
          e.seq.splice(i, 1, a, b);
          e.from.splice(i, 0, c.from[i]);
          e.changed.splice(i, 1, true, true);
          out.push(e);
        }
        if (i + 1 < n && involved(i + 1)) {
          const joined = c.seq[i] + c.seq[i + 1];
          const b = this.wordBucket(joined);
          if (b > 0) {
            const e = copy();
            e.common += b;
            e.seq.splice(i, 2, joined);
            e.from.splice(i + 1, 1);
            e.changed.splice(i, 2, true);
            out.push(e);
          }
        }
      }
      return out;
    }

    // The pairs the defects of these candidates need: fetched before they are counted.
    async needPairs(cands) {
      const keys = new Set();
      for (const c of cands) for (let i = 1; i < c.seq.length; i++) keys.add(pairKey(c.seq[i - 1], c.seq[i]));
      await this.need([...keys]);
    }

    async suggest(query, total) {
      const seq = query.terms.map((t) => t.folded);
      if (!seq.length) return null;
      let cur = { seq, from: seq.map((_, i) => i), changed: seq.map(() => false), common: 0 };
      await this.needPairs([cur]);
      // Most queries have nothing to correct, which the groups already read tell (a word with
      // documents is known): the vocabulary, which corrections need, is read only when they do.
      let curDefects = this.defects(seq);
      if (curDefects === 0) return null;
      await this.loadVocab();
      for (let round = 0; round < ROUNDS; round++) {
        const cands = this.edits(cur);
        await this.needPairs(cands);
        let best = null;
        let bestD = 0;
        for (const c of cands) {
          const d = this.defects(c.seq);
          if (!best || d < bestD || (d === bestD && (c.common > best.common
            || (c.common === best.common && cmp(c.seq.join(" "), best.seq.join(" ")) < 0)))) {
            best = c;
            bestD = d;
          }
        }
        if (best && bestD < curDefects) {
          cur = best;
          curDefects = bestD;
        } else break;
        if (curDefects === 0) break;
      }
      if (cur.changed.every((x) => !x) || (total > 0 && curDefects > 0)) return null;
      return this.rebuild(query, cur);
    }

    rebuild(query, c) {
      const terms = c.seq.map((w, i) => (c.changed[i] ? { folded: w, exact: w, accented: false }
        : query.terms[c.from[i]]));
      const phrases = [];
      for (const [a, b] of query.phrases) {
        const inside = (f) => f >= a && f < b;
        const s = c.from.findIndex(inside);
        let e = -1;
        c.from.forEach((f, i) => { if (inside(f)) e = i; });
        if (s >= 0) phrases.push([s, e + 1]);
      }
      return { terms, phrases };
    }

    // correct::display: the query in the form the handbook writes it.
    display(query) {
      const word = (i) => {
        const t = query.terms[i];
        if (t.accented) return displayForm(t.exact);
        const f = this.commonForm(t.folded);
        return f ? displayForm(f) : t.folded;
      };
      const out = [];
      let i = 0;
      while (i < query.terms.length) {
        const ph = query.phrases.find((p) => p[0] === i);
        if (ph) {
          const ws = [];
          for (let k = ph[0]; k < ph[1]; k++) ws.push(word(k));
          out.push(`"${ws.join(" ")}"`);
          i = ph[1];
        } else {
          out.push(word(i));
          i++;
        }
      }
      return out.join(" ");
    }

    // ---- passages and snippets (passage.rs, snippet.rs) --------------------------------------

    best(passages, seq) {
      let best = 0;
      let bestScore = 0;
      passages.forEach((p, i) => {
        const seenW = seq.map(() => false);
        const pairs = seq.slice(1).map(() => false);
        const visit = (s) => {
          let prev = null;
          for (const t of this.tokens(s)) {
            seq.forEach((w, k) => {
              if (w === t.folded) {
                seenW[k] = true;
                if (k > 0 && prev === seq[k - 1]) pairs[k - 1] = true;
              }
            });
            prev = t.folded;
          }
        };
        if (p.heading !== null) visit(p.heading);
        visit(p.text);
        const words = [];
        const found = [];
        seq.forEach((w, k) => { if (seenW[k] && !words.includes(w)) words.push(w); });
        pairs.forEach((f, k) => {
          const key = pairKey(seq[k], seq[k + 1]);
          if (f && !found.includes(key)) found.push(key);
        });
        const score = 4 * found.length + words.length;
        if (score > bestScore) { best = i; bestScore = score; }
      });
      return best;
    }

    snippet(body, seq) {
      const want = [...new Set(seq)].sort(cmp);
      const index = (w) => want.indexOf(w);
      const pairs = [];
      for (let i = 1; i < seq.length; i++) pairs.push(`${index(seq[i - 1])},${index(seq[i])}`);
      const toks = this.tokens(body).map((t) => ({ start: t.start, end: t.end, hit: index(t.folded) }));
      if (!toks.length) return "";
      const pairAt = toks.map((t, i) => i + 1 < toks.length && t.hit >= 0 && toks[i + 1].hit >= 0
        && pairs.includes(`${t.hit},${toks[i + 1].hit}`));
      let best = null;
      let bestStart = 0;
      let last = -1;
      toks.forEach((t, i) => {
        if (t.hit < 0) return;
        const start = Math.min(Math.max(0, i - LEAD), Math.max(0, toks.length - WINDOW));
        if (start === last) return;
        last = start;
        const end = Math.min(start + WINDOW, toks.length);
        const seenW = new Set();
        let count = 0;
        let npairs = 0;
        for (let j = start; j < end; j++) {
          if (toks[j].hit >= 0) { seenW.add(toks[j].hit); count++; }
          if (j + 1 < end && pairAt[j]) npairs++;
        }
        const key = [npairs, seenW.size, count, -start];
        if (!best || cmpKey(key, best) > 0) { best = key; bestStart = start; }
      });
      const end = Math.min(bestStart + WINDOW, toks.length);
      const from = bestStart === 0 ? 0 : toks[bestStart].start;
      const to = end === toks.length ? body.length : toks[end - 1].end;
      let out = bestStart > 0 ? "…" : "";
      let pos = from;
      for (let j = bestStart; j < end; j++) {
        const t = toks[j];
        out += esc(collapse(body.slice(pos, t.start)));
        const w = esc(body.slice(t.start, t.end));
        out += t.hit >= 0 ? `<mark>${w}</mark>` : w;
        pos = t.end;
      }
      out += esc(collapse(body.slice(pos, to)).trimEnd());
      if (end < toks.length) out += "…";
      return out.trim();
    }

    mark(s, seq) {
      const want = new Set(seq);
      let out = "";
      let pos = 0;
      for (const t of this.tokens(s)) {
        out += esc(s.slice(pos, t.start));
        const w = esc(s.slice(t.start, t.end));
        out += want.has(t.folded) ? `<mark>${w}</mark>` : w;
        pos = t.end;
      }
      return out + esc(s.slice(pos));
    }

    // passage::snippet_of: a passage with no text of its own shows the text that follows.
    snippetOf(passages, i, seq) {
      const next = passages.slice(i).find((p) => p.text.trim() !== "");
      const body = this.snippet(next ? next.text : "", seq);
      const p = passages[i];
      return p && p.heading !== null ? `<strong>${this.mark(p.heading, seq)}</strong> ${body}` : body;
    }

    // ---- search ------------------------------------------------------------------------------

    // {total, hits, suggestion}: ranks, corrects when the query finds little, then finds each
    // hit's passage in its page (from the service worker's cache when offline).
    async search(q, filter, offset = 0, limit = 20, correct = true) {
      let query = this.parse(q);
      await this.need(this.keysOf(query));
      // What a page can show: its documents, and the runs check's head above them.
      const need = offset + limit + CHECKED;
      let { total, ranked } = this.top(query, filter, need);
      let suggestion = null;
      if (correct) {
        const better = await this.suggest(query, total);
        if (better) {
          await this.need(this.keysOf(better));
          const r = this.top(better, filter, need);
          if (r.total > 0) {
            suggestion = this.display(better);
            ({ total, ranked } = r);
            query = better;
          }
        }
      }
      ({ total, ranked } = await this.checkRuns(query, total, ranked));
      const page = ranked.slice(offset, offset + limit);
      const cards = await this.cards(page.map((r) => r.ord));
      const seq = query.terms.map((t) => t.folded);
      const hits = page.map((r, i) => {
        const c = cards[i];
        return {
          id: c.id, url: c.url, title: c.title, snippet: "", score: r.score,
          kind: this.docs[r.ord].kind, number: c.number, date: c.date,
        };
      });
      return { total, hits, suggestion, seq };
    }

    // The passage of a hit in its page's HTML (`base`: the site's base path): its URL with the
    // anchor, its heading and its snippet.
    async passage(hit, seq, base) {
      // On a stalled network it gives up (net.js) rather than hold a connection: the summary stays.
      const res = await read(base + hit.url);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const doc = parseBody(await res.text());
      const ps = pagePassages(doc);
      // passage::holds_all: a query that the title and number hold whole is about the document.
      const head = new Set(this.tokens(`${hit.title} ${hit.number || ""}`).map((t) => t.folded));
      const at = seq.every((w) => head.has(w)) ? 0 : this.best(ps, seq);
      const p = ps[at];
      return {
        url: p.anchor ? `${hit.url}#${p.anchor}` : hit.url,
        passage: p.heading,
        snippet: this.snippetOf(ps, at, seq),
      };
    }
  }

  const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

  // runs.rs Words::hold: whether the title's or the body's tokens hold these query terms in a
  // row (folded; with `exact`, the exact form of each term typed with diacritics).
  function holdsRun(parts, run, exact) {
    const same = (t, q) => t.folded === q.folded && (!exact || !q.accented || t.exact === q.exact);
    return parts.some((words) => {
      for (let i = 0; i + run.length <= words.length; i++) {
        if (run.every((q, j) => same(words[i + j], q))) return true;
      }
      return false;
    });
  }

  function cmpKey(a, b) {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
    return 0;
  }

  function collapse(s) {
    return s.replace(/\s+/g, " ");
  }

  // text::display_form: a word written again from its exact form, the tone mark in place.
  const TONES = ["\u0301", "\u0300", "\u0309", "\u0303", "\u0323"];
  function displayForm(exact) {
    const chars = [...exact];
    const last = chars[chars.length - 1];
    if (!/[1-5]/.test(last || "") || chars.slice(0, -1).some((c) => /[0-9]/.test(c))) return exact;
    const tone = Number(last);
    chars.pop();
    const VOWELS = "aăâeêioôơuưy";
    const MARKED = "ăâêôơư";
    const isVowel = (i) => {
      const c = chars[i];
      return VOWELS.includes(c)
        && !(c === "u" && i > 0 && chars[i - 1] === "q")
        && !(c === "i" && i > 0 && chars[i - 1] === "g" && i + 1 < chars.length && VOWELS.includes(chars[i + 1]));
    };
    const vowels = chars.map((_, i) => i).filter(isVowel);
    if (!vowels.length) return exact;
    const lastV = vowels[vowels.length - 1];
    const marked = vowels.filter((i) => MARKED.includes(chars[i]));
    let at;
    if (marked.length) at = marked[marked.length - 1];
    else if (vowels.length === 1 || lastV + 1 < chars.length) at = lastV;
    else if (vowels.length >= 3) at = vowels[1];
    else at = vowels[0];
    chars[at] += TONES[tone - 1];
    return chars.join("").normalize("NFC");
  }

  // The part of a page that search reads, parsed: from its body (`.doc-body`) to the end of
  // `main` (about half the page, half the time); the whole page when a theme marks it otherwise.
  function parseBody(html) {
    const from = html.indexOf('<div class="doc-body"');
    const to = from < 0 ? -1 : html.indexOf("</main>", from);
    return new DOMParser().parseFromString(to < 0 ? html : html.slice(from, to), "text/html");
  }

  // The passages of a document page: the text of its body cut at its headings (levels 1-4,
  // with an anchor), what the table of contents, buttons and widgets' labels say left out.
  function pagePassages(doc) {
    const body = doc.querySelector(".doc-body");
    const ps = [{ anchor: null, heading: null, text: "" }];
    if (!body) return ps;
    // What the server's text leaves out too: navigation, buttons, a quiz's labels. The walk
    // does not enter what it skips, so an element is skipped when it matches (or when the body
    // itself is inside something skipped).
    const SKIP = "nav, button, script, style, template, .visually-hidden, [data-nosearch]";
    const inSkipped = body.closest(SKIP) !== null;
    const skip = (el) => inSkipped || el.matches(SKIP);
    const walk = (el) => {
      for (const node of el.childNodes) {
        if (node.nodeType === 3) {
          ps[ps.length - 1].text += node.data;
        } else if (node.nodeType === 1 && !skip(node)) {
          const h = /^H[1-4]$/.test(node.tagName) && node.id;
          if (h) {
            ps.push({ anchor: node.id, heading: node.textContent.trim(), text: "" });
          } else {
            walk(node);
            // Blocks end with a line break, as the server's text does.
            if (!/^(A|EM|STRONG|B|I|SPAN|CODE|MARK|SUB|SUP|ABBR|S|U|SMALL|Q)$/.test(node.tagName)) {
              ps[ps.length - 1].text += "\n";
            }
          }
        }
      }
    };
    walk(body);
    return ps;
  }

  // A file of the site as the service worker would answer it (saved files first), read from
  // its caches here: no round trip through the worker (about 2 ms a page at 10,000 documents,
  // against 15). Not saved (yet): the network, which on a bad link gives up instead of hanging
  // (net.js).
  async function read(url) {
    if (window.caches) {
      try {
        const hit = await caches.match(new URL(url, location.href).href);
        if (hit) return hit;
      } catch (e) { /* storage not at hand (private mode): the network */ }
    }
    return window.SotayNet ? window.SotayNet.request(url) : fetch(url);
  }

  // Fetches a file of the index as bytes; the next search tries again after a failure.
  async function fetchBytes(url) {
    const r = await read(url);
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    return new Uint8Array(await r.arrayBuffer());
  }

  let loading = null;
  function load(url) {
    if (!loading) loading = Index.load(url).catch((e) => { loading = null; throw e; });
    return loading;
  }

  // ---- the search page ---------------------------------------------------------------------

  // Snippets and titles are HTML made by `esc` and `mark` above (the server makes the same):
  // escaped text plus <mark> and <strong> of our own. This is the one place the theme puts an
  // HTML string into the page.
  function setMarkup(e, markup) {
    // eslint-disable-next-line no-restricted-syntax -- escaped by esc(), see above
    e.innerHTML = markup;
    return e;
  }

  function setup() {
    const form = document.querySelector("form.search-page");
    if (!form) return;
    const { el } = window.SotayDom;
    const input = form.querySelector("input[name=q]");
    const kind = form.querySelector("select[name=kind]");
    const status = document.querySelector(".search-status");
    const results = document.querySelector(".search-results");
    const base = (form.getAttribute("data-base") || "/").replace(/\/$/, "");
    const pageUrl = location.pathname;
    const params = new URLSearchParams(location.search);
    if (params.get("q")) input.value = params.get("q");
    if (params.get("kind")) kind.value = params.get("kind");
    let noCorrect = params.get("correct") === "0";
    let timer = null;
    let run = 0;

    async function search() {
      const q = input.value.trim();
      const mine = ++run;
      const url = new URL(location.href);
      if (q) url.searchParams.set("q", q); else url.searchParams.delete("q");
      if (kind.value) url.searchParams.set("kind", kind.value); else url.searchParams.delete("kind");
      if (noCorrect) url.searchParams.set("correct", "0"); else url.searchParams.delete("correct");
      history.replaceState(null, "", url);
      if (!q) { results.replaceChildren(); status.textContent = ""; return; }
      let idx;
      let r;
      try {
        idx = await load(form.getAttribute("data-index"));
        const t0 = performance.now();
        r = await idx.search(q, { kind: kind.value || null }, 0, 50, !noCorrect);
        status.setAttribute("data-ms", (performance.now() - t0).toFixed(2));
      } catch (e) {
        if (mine !== run) return;
        if (e && e.name === "NetError") {
          window.SotayNet.offerRetry(status, `Chưa tải được bộ tìm kiếm: ${e.message}`, search);
        } else {
          status.textContent = "Chưa tải được bộ tìm kiếm. Khi có mạng, bấm \u201cTìm\u201d để tìm trên máy chủ.";
        }
        return;
      }
      if (mine !== run) return;
      status.textContent = r.total ? `Tìm thấy ${r.total} văn bản`
        : "Không tìm thấy văn bản nào. Hãy thử từ khóa khác, có dấu hoặc không dấu.";
      const out = [];
      if (r.suggestion) {
        const link = el("a", { href: `${pageUrl}?q=${encodeURIComponent(r.suggestion)}` }, el("em", {}, r.suggestion));
        const asIs = el("a", { href: `${pageUrl}?q=${encodeURIComponent(q)}&correct=0`, "data-action": "as-typed" },
          `Vẫn tìm \u201c${q}\u201d`);
        out.push(el("p", { class: "search-suggest" }, "Có phải đồng chí muốn tìm: ", link,
          "? Kết quả dưới đây là của từ khóa này. ", asIs));
      }
      if (r.total) {
        const list = el("ol", { class: "results" });
        for (const h of r.hits) {
          const meta = [idx.kinds[h.kind] || "", h.number || "", h.date || ""].filter(Boolean).join(" · ");
          const a = setMarkup(el("a", { href: base + h.url }), idx.mark(h.title, r.seq));
          const snip = setMarkup(el("p"), h.snippet);
          const li = el("li", { "data-id": h.id }, a);
          if (meta) li.append(el("span", { class: "meta" }, meta));
          li.append(snip);
          list.append(li);
          // The passage, from the page itself (the service worker has it offline).
          idx.passage(h, r.seq, base).then((p) => {
            if (mine !== run) return;
            a.href = base + p.url;
            setMarkup(snip, p.snippet);
            li.setAttribute("data-passage", p.url);
          }).catch(() => { /* the page is not at hand: the title and its details stay */ });
        }
        out.push(list);
      }
      results.replaceChildren(...out);
    }

    results.addEventListener("click", (e) => {
      const a = e.target.closest("a[data-action=as-typed]");
      if (!a) return;
      e.preventDefault();
      noCorrect = true;
      search();
    });
    input.addEventListener("input", () => {
      noCorrect = false;
      clearTimeout(timer);
      timer = setTimeout(search, 120);
    });
    kind.addEventListener("change", search);
    form.addEventListener("submit", (e) => {
      if (!input.value.trim()) return;
      e.preventDefault();
      search();
    });
    if (input.value) search();
  }

  window.SotaySearch = { Index, load, displayForm, fnv1a };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
