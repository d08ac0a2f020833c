//! The storage contract (`Storage`), held directly — without HTTP — to both backends:
//! embedded SQLite and PostgreSQL give the same answers to the same calls.

mod common;
use common::*;
use sotay_sync_server::model::{name_key, CardNumber, EventType, UnitCode};
use sotay_sync_server::storage::{Db, DbUrl};
use sotay_sync_server::storage::{NewEvent, Registration, Storage, StoreError, Stored};

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

/// A database written before meeting records (SQLite schema 3, PostgreSQL 1; the later tables
/// dropped too): its
/// `meeting_held` events become one record per cell and month on opening — the last event of
/// the month, its attendees at most the cell's members — and the reports count them.
fn old_meeting_events_become_records(url: DbUrl, downgrade: impl FnOnce()) {
    let dir = tempfile::tempdir().expect("tmp");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    let (june, june_later, july) = (1_780_300_000, 1_780_400_000, 1_783_000_000);
    rt.block_on(async {
        let store: Db = url.open().await.expect("open");
        store
            .import_roster(roster(dir.path(), MEMBERS), NOW)
            .await
            .expect("import");
        let a = store
            .register(
                reg("10000001", "Nguyễn Văn An", "1960-01-02", "CB1", None, "t"),
                NOW,
            )
            .await
            .expect("reg")
            .expect("matched");
        let meeting = |n: u128, at: i64, attendees: u32| NewEvent {
            data: Some(format!("{{\"attendees\":{attendees}}}")),
            ..ev(n, EventType::MeetingHeld, at)
        };
        store
            .append_events(
                a,
                vec![
                    meeting(1, june, 1),
                    meeting(2, june_later, 200),
                    meeting(3, july, 1),
                ],
                NOW,
            )
            .await
            .expect("events");
    });
    downgrade();
    rt.block_on(async {
        let store: Db = url.open().await.expect("reopen");
        let idx = store.load_reports().await.expect("load").index;
        let day = sotay_sync_server::reports::day_of_unix;
        let r = serde_json::to_value(
            idx.usage("CB1", day(june) - 1, day(june_later))
                .expect("usage"),
        )
        .expect("json");
        assert_eq!(r["total"]["cells_meeting"], 1, "{r}");
        assert_eq!(
            r["total"]["meeting_attendance_pct"], 100.0,
            "200 claimed, 2 members: {r}"
        );
        let cb1 = UnitCode::parse("CB1").expect("u");
        let m = |at: i64| {
            sotay_sync_server::model::Month::parse(&sotay_sync_server::storage::day_of(at)[..7])
                .expect("m")
        };
        let sotay_sync_server::storage::MonthRecord {
            meeting: rec,
            schedule,
        } = store.meeting(cb1.clone(), m(june)).await.expect("june");
        let rec = rec.expect("a record for June");
        assert_eq!(schedule, None);
        assert_eq!(
            rec.held_on,
            sotay_sync_server::storage::day_of(june_later),
            "the month's last event"
        );
        assert_eq!(
            (rec.present, rec.members, rec.present_cards.clone()),
            (2, 2, None)
        );
        let sotay_sync_server::storage::MonthRecord { meeting: rec, .. } =
            store.meeting(cb1, m(july)).await.expect("july");
        assert_eq!(rec.map(|r| (r.present, r.members)), Some((1, 2)));
    });
}

#[test]
fn sqlite_old_meeting_events_become_records() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("db.sqlite");
    let p2 = path.clone();
    old_meeting_events_become_records(DbUrl::Sqlite(path), move || {
        // Schema 3 as it was: cell_meetings instead of meetings and schedules (and what later
        // migrations add dropped: 5 and 6's index and token columns, 7's roster tables,
        // 10's index).
        let c = rusqlite::Connection::open(&p2).expect("db");
        c.busy_timeout(std::time::Duration::from_secs(10))
            .expect("timeout");
        c.execute_batch(
            "DROP TABLE meetings; DROP TABLE meeting_schedules; DROP INDEX events_feedback;
             DROP INDEX events_feedback_at;
             DROP TABLE notices; DROP TABLE notice_reads; DROP TABLE push_keys; DROP TABLE push_subscriptions;
             DROP INDEX admin_tokens_id; DROP TABLE admin_token_log;
             ALTER TABLE admin_tokens DROP COLUMN id; ALTER TABLE admin_tokens DROP COLUMN holder;
             ALTER TABLE admin_tokens DROP COLUMN created_by; ALTER TABLE admin_tokens DROP COLUMN revoked_at;
             ALTER TABLE admin_tokens DROP COLUMN revoked_by;
             DROP TABLE member_moves; DROP TABLE roster_changes; DROP TABLE roster_uploads;
             ALTER TABLE members DROP COLUMN smartphone_answered;
             CREATE TABLE cell_meetings (unit_code TEXT NOT NULL, day TEXT NOT NULL, event_id TEXT NOT NULL, PRIMARY KEY (unit_code, day, event_id)) WITHOUT ROWID;
             INSERT INTO cell_meetings SELECT unit_code, day, id FROM events WHERE type = 'meeting_held';
             PRAGMA user_version = 3;",
        )
        .expect("downgrade");
    });
}

#[test]
fn postgres_old_meeting_events_become_records() {
    let pg = PgDb::new();
    let url = pg.url.clone();
    old_meeting_events_become_records(DbUrl::Postgres(pg.url.clone()), move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("rt");
        rt.block_on(async {
            let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .expect("connect");
            tokio::spawn(conn);
            c.batch_execute(
                "DROP TABLE meetings; DROP TABLE meeting_schedules; DROP INDEX events_feedback_at;
                 DROP TABLE notices; DROP TABLE notice_reads; DROP TABLE push_keys; DROP TABLE push_subscriptions;
                 DROP TABLE admin_token_log;
                 ALTER TABLE admin_tokens DROP COLUMN id, DROP COLUMN holder, DROP COLUMN created_by, DROP COLUMN revoked_at, DROP COLUMN revoked_by;
                 DROP TABLE member_moves; DROP TABLE roster_changes; DROP TABLE roster_uploads;
                 ALTER TABLE members DROP COLUMN smartphone_answered;
                 CREATE TABLE cell_meetings (unit_code TEXT NOT NULL, day TEXT NOT NULL, event_id UUID NOT NULL, PRIMARY KEY (unit_code, day, event_id));
                 INSERT INTO cell_meetings SELECT unit_code, day, id FROM events WHERE type = 'meeting_held';
                 DELETE FROM sotay_migrations WHERE version > 1;",
            )
            .await
            .expect("downgrade");
        });
    });
}
