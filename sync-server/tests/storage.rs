//! The storage contract (`Storage`), held directly — without HTTP — to both backends:
//! embedded SQLite and PostgreSQL give the same answers to the same calls.

mod common;
use common::*;
use sotay_sync_server::db::{Db, DbUrl};
use sotay_sync_server::model::{name_key, CardNumber, EventType, UnitCode};
use sotay_sync_server::store::{NewEvent, Registration, Storage, StoreError, Stored};

const NOW: i64 = 1_780_000_000;

fn roster(dir: &std::path::Path, members: &str) -> sotay_sync_server::roster::Roster {
    std::fs::write(dir.join("u.csv"), UNITS).expect("w");
    std::fs::write(dir.join("m.csv"), members).expect("w");
    let (r, report) = sotay_sync_server::roster::read(&dir.join("u.csv"), &dir.join("m.csv"));
    assert_eq!(report.errors(), 0, "{:?}", report.problems);
    r.expect("roster")
}

fn reg(
    card: &str,
    name: &str,
    birth: &str,
    unit: &str,
    device: Option<u128>,
    token: &str,
) -> Registration {
    Registration {
        card: CardNumber::parse(card).expect("card"),
        name_key: name_key(name),
        birth_date: birth.into(),
        unit: UnitCode::parse(unit).expect("unit"),
        device: device.map(uuid::Uuid::from_u128),
        token_hash: sotay_sync_server::auth::hash(token),
    }
}

fn ev(n: u128, kind: EventType, at: i64) -> NewEvent {
    NewEvent {
        id: uuid::Uuid::from_u128(n),
        kind,
        doc: "dieu-le".into(),
        version: None,
        at,
        ms: None,
        data: (kind == EventType::Feedback).then(|| format!("{{\"text\":\"góp ý {n}\"}}")),
    }
}

/// The whole contract, on one store.
fn contract(url: DbUrl) {
    let dir = tempfile::tempdir().expect("tmp");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async move {
        let store: Db = url.open().await.expect("open");
        assert!(store.roster_is_empty().await.expect("empty"));
        let v0 = store.roster_version().await.expect("version");

        // Import: everyone is new.
        let s = store
            .import_roster(roster(dir.path(), MEMBERS), NOW)
            .await
            .expect("import");
        assert_eq!(
            (s.units, s.members, s.members_added, s.members_removed),
            (4, 3, 3, 0)
        );
        assert!(!store.roster_is_empty().await.expect("empty"));
        assert_eq!(store.roster_version().await.expect("v"), v0 + 1);

        // Registration: only with matching details; the name compares ignoring case and spaces.
        let wrong = reg("10000001", "Nguyễn Văn An", "1960-01-03", "CB1", None, "t0");
        assert_eq!(store.register(wrong, NOW).await.expect("reg"), None);
        let a = store
            .register(
                reg(
                    "10000001",
                    "NGUYỄN  VĂN AN",
                    "1960-01-02",
                    "CB1",
                    Some(1),
                    "t1",
                ),
                NOW,
            )
            .await
            .expect("reg")
            .expect("matched");
        assert_eq!(a.full_name, "Nguyễn Văn An");
        assert!(a.in_cell);
        // The same phone again: its new token replaces the old one.
        store
            .register(
                reg(
                    "10000001",
                    "Nguyễn Văn An",
                    "1960-01-02",
                    "CB1",
                    Some(1),
                    "t2",
                ),
                NOW + 5,
            )
            .await
            .expect("reg")
            .expect("matched");
        let h = sotay_sync_server::auth::hash;
        assert_eq!(store.member_for_token(h("t1")).await.expect("tok"), None);
        assert_eq!(
            store.member_for_token(h("t2")).await.expect("tok"),
            Some(a.clone())
        );
        let c = store
            .register(
                reg("10000003", "Lê Văn Cường", "1980-03-04", "CB2", None, "t3"),
                NOW,
            )
            .await
            .expect("reg")
            .expect("matched");

        // Events: stored once; the same id again is a duplicate (also within one batch);
        // another member's id is a conflict.
        let batch = vec![
            ev(1, EventType::View, NOW),
            ev(2, EventType::Read, NOW),
            ev(3, EventType::MeetingHeld, NOW),
            ev(4, EventType::Feedback, NOW - 86_400),
            ev(1, EventType::View, NOW),
        ];
        let st = store
            .append_events(a.clone(), batch.clone(), NOW)
            .await
            .expect("events");
        let (ok, dup) = (Stored::Stored, Stored::Duplicate);
        assert_eq!(st, [ok, ok, ok, ok, dup]);
        let st = store
            .append_events(a.clone(), batch, NOW)
            .await
            .expect("again");
        assert_eq!(st, [dup; 5]);
        let st = store
            .append_events(
                c.clone(),
                vec![ev(2, EventType::View, NOW), ev(5, EventType::Feedback, NOW)],
                NOW,
            )
            .await
            .expect("clash");
        assert_eq!(st, [Stored::Conflict, ok]);

        // Feedback: newest first, scoped to the unit's subtree.
        let fb = store
            .feedback(
                UnitCode::parse("TU").expect("u"),
                "2020-01-01".into(),
                "2099-12-31".into(),
                10,
            )
            .await
            .expect("feedback");
        assert_eq!(
            fb.iter()
                .map(|f| (f.text.as_str(), f.card_number.as_str()))
                .collect::<Vec<_>>(),
            [("góp ý 5", "10000003"), ("góp ý 4", "10000001")]
        );
        let fb = store
            .feedback(
                UnitCode::parse("CB1").expect("u"),
                "2020-01-01".into(),
                "2099-12-31".into(),
                10,
            )
            .await
            .expect("feedback");
        assert_eq!(fb.len(), 1);
        assert!(fb[0].at.ends_with("+07:00"), "{}", fb[0].at);

        // Admins: only for a unit of the roster.
        store
            .create_admin(UnitCode::parse("DB1").expect("u"), h("adm"), NOW)
            .await
            .expect("admin");
        assert_eq!(
            store.admin_for_token(h("adm")).await.expect("a"),
            UnitCode::parse("DB1")
        );
        assert_eq!(store.admin_for_token(h("nope")).await.expect("a"), None);
        assert!(matches!(
            store
                .create_admin(UnitCode::parse("XX9").expect("u"), h("x"), NOW)
                .await,
            Err(StoreError::Invalid(_))
        ));

        // The reports' aggregate: 2 members registered, views and meetings as stored.
        let idx = store.load_reports().await.expect("load").index;
        let day = sotay_sync_server::reports::day_of_unix(NOW);
        let r = idx.usage("TU", day - 30, day).expect("usage");
        let total = serde_json::to_value(&r).expect("json")["total"].clone();
        assert_eq!(total["registered"], 2);
        assert_eq!(total["views"], 1);
        assert_eq!(total["cells_meeting"], 1);
        assert_eq!(total["active"], 2);

        // Re-import without member 2: removed; registrations kept; the version moves.
        let without = MEMBERS
            .lines()
            .filter(|l| !l.starts_with("10000002"))
            .collect::<Vec<_>>()
            .join("\n");
        let s = store
            .import_roster(roster(dir.path(), &without), NOW)
            .await
            .expect("import");
        assert_eq!(
            (
                s.members,
                s.members_added,
                s.members_removed,
                s.registrations_kept
            ),
            (2, 0, 1, 2)
        );
        assert_eq!(store.roster_version().await.expect("v"), v0 + 2);
        assert_eq!(store.queue_depth(), 0);
    });
}

#[test]
fn sqlite_keeps_the_contract() {
    let dir = tempfile::tempdir().expect("tmp");
    contract(DbUrl::Sqlite(dir.path().join("db.sqlite")));
}

#[test]
fn postgres_keeps_the_contract() {
    let pg = PgDb::new();
    contract(DbUrl::Postgres(pg.url.clone()));
}
