//! What a roster upload would change, computed before anything is stored: the roster as
//! stored ([`Current`]), and the [`Plan`] that turns one unit's subtree (or the whole roster)
//! into what the file says — units and members added, removed, moved between cells or changed,
//! and the registrations that stay. The same plan, computed again inside the writing
//! transaction, is what gets applied; its fingerprint says whether it is still the one the
//! admin saw.

use super::{Member, Roster, Unit};
use crate::model::{CardNumber, UnitCode};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// The roster as stored (active units and members), read in one snapshot, with the members
/// who have a registered phone.
#[derive(Debug, Default)]
pub struct Current {
    pub version: i64,
    pub units: Vec<Unit>,
    pub members: Vec<Member>,
    pub registered: HashSet<CardNumber>,
    unit_at: HashMap<UnitCode, usize>,
    member_at: HashMap<CardNumber, usize>,
    parent: Vec<Option<usize>>,
}

impl Current {
    pub fn new(
        version: i64,
        units: Vec<Unit>,
        members: Vec<Member>,
        registered: HashSet<CardNumber>,
    ) -> Current {
        let unit_at: HashMap<UnitCode, usize> = units
            .iter()
            .enumerate()
            .map(|(i, u)| (u.code.clone(), i))
            .collect();
        let parent = units
            .iter()
            .map(|u| u.parent.as_ref().and_then(|p| unit_at.get(p).copied()))
            .collect();
        let member_at = members
            .iter()
            .enumerate()
            .map(|(i, m)| (m.card.clone(), i))
            .collect();
        Current {
            version,
            units,
            members,
            registered,
            unit_at,
            member_at,
            parent,
        }
    }

    pub fn unit(&self, code: &UnitCode) -> Option<&Unit> {
        self.unit_at.get(code).map(|&i| &self.units[i])
    }

    pub fn member(&self, card: &CardNumber) -> Option<&Member> {
        self.member_at.get(card).map(|&i| &self.members[i])
    }

    /// The root: the one active unit without a parent.
    pub fn root(&self) -> Option<&Unit> {
        self.units.iter().find(|u| u.parent.is_none())
    }

    /// Whether `unit` is `scope` or under it.
    pub fn within(&self, unit: &UnitCode, scope: &UnitCode) -> bool {
        let (Some(&u), Some(&s)) = (self.unit_at.get(unit), self.unit_at.get(scope)) else {
            return false;
        };
        let mut cur = Some(u);
        let mut steps = 0;
        while let Some(c) = cur {
            if c == s {
                return true;
            }
            steps += 1;
            if steps > self.units.len() {
                return false;
            }
            cur = self.parent[c];
        }
        false
    }

    pub fn unit_name(&self, code: &UnitCode) -> String {
        self.unit(code)
            .map_or_else(|| code.to_string(), |u| u.name.clone())
    }

    /// "Chi bộ thôn 2 (CB2), Đảng bộ huyện A": the unit and the units above it, without the
    /// root.
    pub fn unit_path_names(&self, code: &UnitCode) -> String {
        let Some(&u) = self.unit_at.get(code) else {
            return code.to_string();
        };
        let mut out = format!("{} ({})", self.units[u].name, self.units[u].code);
        let mut cur = self.parent[u];
        let mut steps = 0;
        while let Some(c) = cur {
            if self.parent[c].is_none() || steps > 8 {
                break;
            }
            out.push_str(", ");
            out.push_str(&self.units[c].name);
            cur = self.parent[c];
            steps += 1;
        }
        out
    }

    /// The path of a unit as stored (`/TU/DB1/CB1/`) and its depth.
    pub fn path(&self, code: &UnitCode) -> Option<(String, i64)> {
        let &u = self.unit_at.get(code)?;
        let mut chain = vec![u];
        let mut cur = self.parent[u];
        while let Some(c) = cur {
            if chain.len() > self.units.len() {
                return None;
            }
            chain.push(c);
            cur = self.parent[c];
        }
        let mut path = String::from("/");
        for &c in chain.iter().rev() {
            path.push_str(self.units[c].code.as_str());
            path.push('/');
        }
        Some((path, chain.len() as i64 - 1))
    }

    /// The units of `scope`'s subtree, parents first (the scope itself first).
    pub fn subtree(&self, scope: &UnitCode) -> Vec<&Unit> {
        let Some(&s) = self.unit_at.get(scope) else {
            return Vec::new();
        };
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); self.units.len()];
        for (i, p) in self.parent.iter().enumerate() {
            if let Some(p) = p {
                children[*p].push(i);
            }
        }
        let mut out = Vec::new();
        let mut stack = vec![s];
        while let Some(u) = stack.pop() {
            out.push(&self.units[u]);
            stack.extend(children[u].iter().rev());
        }
        out
    }

    /// The codes of `scope`'s subtree.
    pub fn subtree_codes(&self, scope: &UnitCode) -> HashSet<&UnitCode> {
        self.subtree(scope).into_iter().map(|u| &u.code).collect()
    }

    /// The members of cells in `scope`'s subtree, in stored order.
    pub fn members_under(&self, scope: &UnitCode) -> Vec<&Member> {
        let codes = self.subtree_codes(scope);
        self.members
            .iter()
            .filter(|m| codes.contains(&m.unit))
            .collect()
    }
}

/// A member before and after, and which of their fields changed (besides the cell).
#[derive(Debug, Clone, Serialize)]
pub struct MemberChange {
    pub before: Member,
    pub after: Member,
    pub fields: Vec<&'static str>,
}

/// A unit before and after, and which fields changed.
#[derive(Debug, Clone, Serialize)]
pub struct UnitChange {
    pub before: Unit,
    pub after: Unit,
    pub fields: Vec<&'static str>,
}

/// The counts of a plan, as the change log keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Counts {
    pub units: usize,
    pub members: usize,
    pub units_added: usize,
    pub units_removed: usize,
    pub units_changed: usize,
    pub added: usize,
    pub removed: usize,
    pub moved: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// Members who stay (by card number) with a registered phone: their registration is kept.
    pub registrations_kept: usize,
    /// Removed members who had registered: their phones stop working.
    pub registrations_ended: usize,
}

/// A unit with its place in the tree: its path from the root ("/TU/DB1/CB1/") and depth.
#[derive(Debug, Clone)]
pub struct PlacedUnit {
    pub unit: Unit,
    pub path: String,
    pub depth: i64,
}

/// What applying an upload to the roster as stored does.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The unit whose subtree changes (the root for a whole import).
    pub scope: UnitCode,
    pub whole: bool,
    /// Every unit of the subtree after the change, parents first, with its path and depth.
    pub units: Vec<PlacedUnit>,
    pub units_added: Vec<Unit>,
    pub units_removed: Vec<Unit>,
    pub units_changed: Vec<UnitChange>,
    pub added: Vec<Member>,
    pub removed: Vec<Member>,
    pub moved: Vec<MemberChange>,
    pub changed: Vec<MemberChange>,
    pub counts: Counts,
    /// The subtree as it was, for the change log's "previous state".
    pub before: Roster,
    /// A hash of the changes: the plan computed again at apply time must have the same.
    pub fingerprint: String,
}

impl Plan {
    /// Members to write: added, moved and changed, as they will be.
    pub fn upserts(&self) -> impl Iterator<Item = &Member> {
        self.added.iter().chain(
            self.moved
                .iter()
                .chain(self.changed.iter())
                .map(|c| &c.after),
        )
    }
}

fn member_fields(a: &Member, b: &Member) -> Vec<&'static str> {
    let mut f = Vec::new();
    if a.full_name != b.full_name {
        f.push("full_name");
    }
    if a.birth_date != b.birth_date {
        f.push("birth_date");
    }
    if a.status != b.status {
        f.push("status");
    }
    if a.role != b.role {
        f.push("role");
    }
    if a.smartphone != b.smartphone {
        f.push("smartphone");
    }
    f
}

/// The plan that makes `scope`'s subtree (`whole`: the whole roster) what `after` says.
/// `after.units` are parents first, the scope's own unit first for a subtree.
pub fn plan(current: &Current, after: &Roster, scope: &UnitCode, whole: bool) -> Plan {
    let before_units: Vec<&Unit> = if whole {
        current.units.iter().collect()
    } else {
        current.subtree(scope)
    };
    let before_members: Vec<&Member> = if whole {
        current.members.iter().collect()
    } else {
        current.members_under(scope)
    };
    let mut p = Plan {
        scope: scope.clone(),
        whole,
        units: placed(current, after, whole),
        units_added: Vec::new(),
        units_removed: Vec::new(),
        units_changed: Vec::new(),
        added: Vec::new(),
        removed: Vec::new(),
        moved: Vec::new(),
        changed: Vec::new(),
        counts: Counts::default(),
        before: Roster::default(),
        fingerprint: String::new(),
    };
    diff_units(&mut p, &before_units, after);
    diff_members(&mut p, current, &before_members, after);
    p.counts.units = after.units.len();
    p.counts.members = after.members.len();
    p.counts.units_added = p.units_added.len();
    p.counts.units_removed = p.units_removed.len();
    p.counts.units_changed = p.units_changed.len();
    p.counts.added = p.added.len();
    p.counts.removed = p.removed.len();
    p.counts.moved = p.moved.len();
    p.counts.changed = p.changed.len();
    p.before = Roster {
        units: before_units.into_iter().cloned().collect(),
        members: before_members.into_iter().cloned().collect(),
    };
    p.fingerprint = fingerprint(&p);
    p
}

/// The units after the change with their paths: from the root for a whole import, from the
/// scope's stored path for a subtree (its first unit is the scope).
fn placed(current: &Current, after: &Roster, whole: bool) -> Vec<PlacedUnit> {
    let mut paths: HashMap<&UnitCode, (String, i64)> = HashMap::new();
    let mut out = Vec::with_capacity(after.units.len());
    for (i, u) in after.units.iter().enumerate() {
        let (path, depth) = match (&u.parent, i) {
            (_, 0) if !whole => current
                .path(&u.code)
                .unwrap_or_else(|| (format!("/{}/", u.code), 0)),
            (Some(parent), _) => match paths.get(parent) {
                Some((pp, pd)) => (format!("{pp}{}/", u.code), pd + 1),
                None => (format!("/{}/", u.code), 0),
            },
            (None, _) => (format!("/{}/", u.code), 0),
        };
        paths.insert(&u.code, (path.clone(), depth));
        out.push(PlacedUnit {
            unit: u.clone(),
            path,
            depth,
        });
    }
    out
}

/// Units added, changed (which fields) and removed.
fn diff_units(p: &mut Plan, before_units: &[&Unit], after: &Roster) {
    let before_u: HashMap<&UnitCode, &Unit> = before_units.iter().map(|u| (&u.code, *u)).collect();
    let after_u: HashSet<&UnitCode> = after.units.iter().map(|u| &u.code).collect();
    for u in &after.units {
        match before_u.get(&u.code) {
            None => p.units_added.push(u.clone()),
            Some(b) => {
                let fields: Vec<&'static str> = [
                    (b.name != u.name, "name"),
                    (b.parent != u.parent, "parent_code"),
                    (b.kind != u.kind, "kind"),
                ]
                .into_iter()
                .filter_map(|(differs, f)| differs.then_some(f))
                .collect();
                if !fields.is_empty() {
                    p.units_changed.push(UnitChange {
                        before: (*b).clone(),
                        after: u.clone(),
                        fields,
                    });
                }
            }
        }
    }
    for u in before_units {
        if !after_u.contains(&u.code) {
            p.units_removed.push((*u).clone());
        }
    }
}

/// Members added, moved to another cell, changed (which fields), unchanged and removed, and
/// the registrations that stay or end.
fn diff_members(p: &mut Plan, current: &Current, before_members: &[&Member], after: &Roster) {
    let before_m: HashMap<&CardNumber, &Member> =
        before_members.iter().map(|m| (&m.card, *m)).collect();
    let after_cards: HashSet<&CardNumber> = after.members.iter().map(|m| &m.card).collect();
    for m in &after.members {
        let Some(b) = before_m.get(&m.card) else {
            p.added.push(m.clone());
            continue;
        };
        if current.registered.contains(&m.card) {
            p.counts.registrations_kept += 1;
        }
        let change = MemberChange {
            before: (*b).clone(),
            after: m.clone(),
            fields: member_fields(b, m),
        };
        if b.unit != m.unit {
            p.moved.push(change);
        } else if !change.fields.is_empty() {
            p.changed.push(change);
        } else {
            p.counts.unchanged += 1;
        }
    }
    for m in before_members {
        if !after_cards.contains(&m.card) {
            if current.registered.contains(&m.card) {
                p.counts.registrations_ended += 1;
            }
            p.removed.push((*m).clone());
        }
    }
}

/// A hash of everything a plan writes, in a fixed order (each piece length-prefixed, so that
/// pieces cannot run together).
fn fingerprint(p: &Plan) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut put = |s: &str| {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    put(p.scope.as_str());
    put(if p.whole { "whole" } else { "subtree" });
    fn json<T: Serialize>(v: &T) -> String {
        serde_json::to_string(v).unwrap_or_default()
    }
    let mut units: Vec<String> = p
        .units
        .iter()
        .map(|pu| json(&(&pu.unit, &pu.path)))
        .collect();
    units.sort_unstable();
    let mut removed_units: Vec<&str> = p.units_removed.iter().map(|u| u.code.as_str()).collect();
    removed_units.sort_unstable();
    let mut writes: Vec<String> = p.upserts().map(json).collect();
    writes.sort_unstable();
    let mut removed: Vec<&str> = p.removed.iter().map(|m| m.card.as_str()).collect();
    removed.sort_unstable();
    for x in &units {
        put(x);
    }
    put("|");
    for x in &removed_units {
        put(x);
    }
    put("|");
    for x in &writes {
        put(x);
    }
    put("|");
    for x in &removed {
        put(x);
    }
    let d = h.finalize();
    d.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// A roster change to apply in one transaction.
#[derive(Debug, Clone)]
pub enum ChangeKind {
    /// `sotay roster import`: the whole roster replaced by a checked one.
    Whole(Roster),
    /// An upload of one unit's subtree, as it was previewed: applied only if nothing that
    /// overlaps the subtree changed since `base_version` and the plan computed again has the
    /// preview's `fingerprint`.
    Subtree {
        scope: UnitCode,
        parsed: Box<super::Parsed>,
        base_version: i64,
        fingerprint: String,
        /// The upload's id, marked applied in the same transaction.
        upload: String,
    },
}

/// A roster change with who made it and from which file.
#[derive(Debug, Clone)]
pub struct RosterChange {
    pub kind: ChangeKind,
    pub who: String,
    pub source: String,
}

/// A change already in the log, as the conflict check needs it.
#[derive(Debug, Clone)]
pub struct Logged {
    pub version: i64,
    pub scope_path: String,
    pub who: String,
    /// Unix seconds.
    pub at: i64,
}

/// Whether two subtrees (by path) overlap: one is in the other.
pub fn overlap(a: &str, b: &str) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// The path a change's scope is logged with: its unit's path, or `/` for the whole roster
/// (which overlaps everything).
pub fn scope_path(current: &Current, plan: &Plan) -> String {
    if plan.whole {
        "/".into()
    } else {
        current
            .path(&plan.scope)
            .map_or_else(|| format!("/{}/", plan.scope), |(p, _)| p)
    }
}

/// The plan of a change against the roster as it is now (read inside the writing
/// transaction), or why it cannot be applied: for a subtree, another change that overlaps it
/// was applied since its preview (`since`: the changes logged after the preview's version),
/// or the plan is not the one previewed.
pub fn plan_change(current: &Current, kind: &ChangeKind, since: &[Logged]) -> Result<Plan, String> {
    match kind {
        ChangeKind::Whole(roster) => {
            let root = roster
                .units
                .first()
                .map(|u| u.code.clone())
                .ok_or("a roster without units")?;
            Ok(plan(current, roster, &root, true))
        }
        ChangeKind::Subtree {
            scope,
            parsed,
            fingerprint,
            ..
        } => {
            let path = current.path(scope).map(|(p, _)| p).ok_or_else(|| {
                format!(
                    "{} không còn trong danh sách đơn vị",
                    current.unit_name(scope)
                )
            })?;
            if let Some(other) = since.iter().find(|c| overlap(&c.scope_path, &path)) {
                return Err(format!(
                    "danh sách đã được cập nhật lúc {} bởi {} sau khi bạn xem trước, ở phạm vi trùng với {}: chưa áp dụng gì; hãy tải tệp lên lại để xem những gì sẽ thay đổi",
                    crate::model::rfc3339_vn(other.at).replace('T', " ").get(..16).unwrap_or(""),
                    other.who,
                    current.unit_name(scope)
                ));
            }
            let mut report = super::Report::default();
            let roster = super::assemble(
                parsed,
                &super::Scope::Subtree {
                    unit: scope,
                    current,
                },
                &mut report,
            );
            let Some(roster) = roster else {
                let first = report
                    .problems
                    .iter()
                    .find(|p| p.level == super::Level::Error)
                    .map(|p| p.to_string())
                    .unwrap_or_default();
                return Err(format!(
                    "danh sách đã thay đổi từ lúc xem trước và tệp không còn áp dụng được ({first}): chưa áp dụng gì; hãy tải tệp lên lại"
                ));
            };
            let p = plan(current, &roster, scope, false);
            if &p.fingerprint != fingerprint {
                return Err(
                    "danh sách đã thay đổi từ lúc xem trước nên những gì sẽ thay đổi không còn như đã xem: chưa áp dụng gì; hãy tải tệp lên lại để xem trước"
                        .into(),
                );
            }
            Ok(p)
        }
    }
}

/// `v` as gzipped JSON, to keep in the database (uploads waiting for "Áp dụng", the state
/// before a change).
pub fn pack<T: Serialize>(v: &T) -> Result<Vec<u8>, String> {
    use std::io::Write;
    let json = serde_json::to_vec(v).map_err(|e| e.to_string())?;
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(&json).map_err(|e| e.to_string())?;
    z.finish().map_err(|e| e.to_string())
}

pub fn unpack<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let z = flate2::read::GzDecoder::new(bytes);
    serde_json::from_reader(std::io::BufReader::new(z)).map_err(|e| e.to_string())
}

/// A preview of a plan for the dashboard: the counts and the first `limit` of each list.
pub fn preview(p: &Plan, current: &Current, limit: usize) -> serde_json::Value {
    use serde_json::json;
    let member = |m: &Member| json!({"card_number": m.card, "full_name": m.full_name, "birth_date": crate::model::format_date(m.birth_date), "unit_code": m.unit, "status": m.status, "role": m.role, "smartphone": m.smartphone});
    let unit =
        |u: &Unit| json!({"code": u.code, "name": u.name, "parent_code": u.parent, "kind": u.kind});
    let cell_name = |code: &UnitCode, after: &HashMap<&UnitCode, &Unit>| {
        after
            .get(code)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| current.unit_name(code))
    };
    let after: HashMap<&UnitCode, &Unit> =
        p.units.iter().map(|pu| (&pu.unit.code, &pu.unit)).collect();
    json!({
        "scope": {"code": p.scope, "name": current.unit_name(&p.scope)},
        "counts": p.counts,
        "units_added": p.units_added.iter().take(limit).map(unit).collect::<Vec<_>>(),
        "units_removed": p.units_removed.iter().take(limit).map(unit).collect::<Vec<_>>(),
        "units_changed": p.units_changed.iter().take(limit).map(|c| json!({"before": unit(&c.before), "after": unit(&c.after), "fields": c.fields})).collect::<Vec<_>>(),
        "added": p.added.iter().take(limit).map(|m| { let mut v = member(m); v["unit_name"] = json!(cell_name(&m.unit, &after)); v }).collect::<Vec<_>>(),
        "removed": p.removed.iter().take(limit).map(|m| { let mut v = member(m); v["unit_name"] = json!(current.unit_name(&m.unit)); v["registered"] = json!(current.registered.contains(&m.card)); v }).collect::<Vec<_>>(),
        "moved": p.moved.iter().take(limit).map(|c| json!({"card_number": c.after.card, "full_name": c.after.full_name, "from": {"code": c.before.unit, "name": current.unit_name(&c.before.unit)}, "to": {"code": c.after.unit, "name": cell_name(&c.after.unit, &after)}, "fields": c.fields, "registered": current.registered.contains(&c.after.card)})).collect::<Vec<_>>(),
        "changed": p.changed.iter().take(limit).map(|c| json!({"card_number": c.after.card, "full_name": c.after.full_name, "unit_name": current.unit_name(&c.after.unit), "fields": c.fields, "before": member(&c.before), "after": member(&c.after)})).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MemberStatus, Role, UnitKind};

    fn u(code: &str, parent: Option<&str>, kind: UnitKind) -> Unit {
        Unit {
            code: UnitCode::parse(code).expect("code"),
            name: format!("Đơn vị {code}"),
            parent: parent.and_then(UnitCode::parse),
            kind,
        }
    }

    fn m(card: &str, unit: &str) -> Member {
        Member {
            card: CardNumber::parse(card).expect("card"),
            full_name: format!("Người {card}"),
            birth_date: crate::model::parse_date("1970-01-01").expect("date"),
            unit: UnitCode::parse(unit).expect("unit"),
            status: MemberStatus::ChinhThuc,
            role: Role::DangVien,
            smartphone: Some(true),
        }
    }

    fn current() -> Current {
        Current::new(
            7,
            vec![
                u("TU", None, UnitKind::TinhUy),
                u("DB1", Some("TU"), UnitKind::DangBo),
                u("CB1", Some("DB1"), UnitKind::ChiBo),
                u("CB2", Some("DB1"), UnitKind::ChiBo),
                u("DB2", Some("TU"), UnitKind::DangBo),
                u("CB3", Some("DB2"), UnitKind::ChiBo),
            ],
            vec![
                m("10000001", "CB1"),
                m("10000002", "CB1"),
                m("10000003", "CB2"),
                m("10000004", "CB3"),
            ],
            [
                CardNumber::parse("10000001").expect("c"),
                CardNumber::parse("10000003").expect("c"),
            ]
            .into(),
        )
    }

    #[test]
    fn tree_questions() {
        let c = current();
        let code = |s: &str| UnitCode::parse(s).expect("code");
        assert!(c.within(&code("CB1"), &code("DB1")));
        assert!(c.within(&code("DB1"), &code("DB1")));
        assert!(!c.within(&code("CB3"), &code("DB1")));
        assert_eq!(c.path(&code("CB2")), Some(("/TU/DB1/CB2/".into(), 2)));
        assert_eq!(
            c.subtree(&code("DB1"))
                .iter()
                .map(|u| u.code.as_str())
                .collect::<Vec<_>>(),
            ["DB1", "CB1", "CB2"]
        );
        assert_eq!(c.members_under(&code("DB1")).len(), 3);
        assert_eq!(
            c.unit_path_names(&code("CB3")),
            "Đơn vị CB3 (CB3), Đơn vị DB2"
        );
    }

    #[test]
    fn a_plan_says_what_changes_and_what_stays() {
        let c = current();
        let scope = UnitCode::parse("DB1").expect("code");
        let mut moved = m("10000001", "CB2");
        moved.role = Role::BiThu;
        let mut changed = m("10000003", "CB2");
        changed.full_name = "Người Mới".into();
        let after = Roster {
            units: vec![
                u("DB1", Some("TU"), UnitKind::DangBo),
                u("CB2", Some("DB1"), UnitKind::ChiBo),
                u("CB4", Some("DB1"), UnitKind::ChiBo),
            ],
            members: vec![moved, changed, m("10000009", "CB4")],
        };
        let p = plan(&c, &after, &scope, false);
        assert_eq!(p.counts.added, 1);
        assert_eq!(p.counts.removed, 1, "10000002 left");
        assert_eq!(p.counts.moved, 1);
        assert_eq!(p.moved[0].fields, ["role"]);
        assert_eq!(p.counts.changed, 1);
        assert_eq!(p.changed[0].fields, ["full_name"]);
        assert_eq!(p.counts.registrations_kept, 2);
        assert_eq!(p.counts.registrations_ended, 0);
        assert_eq!(p.counts.units_added, 1);
        assert_eq!(p.counts.units_removed, 1, "CB1 is gone");
        assert_eq!(p.before.members.len(), 3);
        assert_eq!(p.units[2].path, "/TU/DB1/CB4/");
        // The same inputs give the same fingerprint; another change another one.
        assert_eq!(plan(&c, &after, &scope, false).fingerprint, p.fingerprint);
        let mut other = after.clone();
        other.members[2].role = Role::PhoBiThu;
        assert_ne!(plan(&c, &other, &scope, false).fingerprint, p.fingerprint);
    }
}
