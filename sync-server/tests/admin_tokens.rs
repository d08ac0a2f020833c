//! Admin tokens managed from the dashboard (`/api/v1/admin/tokens`), on SQLite and PostgreSQL:
//! an admin creates tokens for its own subtree only (403 above it), the token is shown once
//! and works at once, only its hash is stored, the list and the log show the subtree's tokens
//! with who made and who revoked each and when, a revoked token is refused (401) from its
//! next request on, and a token outside the scope cannot be revoked.

mod common;
use common::*;
use serde_json::json;
use sotay_sync_server::client::Reply;

fn call(
    s: &Server,
    method: &str,
    path: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> Reply {
    let bytes = body.map(|b| b.to_string()).unwrap_or_default();
    let auth = format!("Bearer {token}");
    let mut headers = vec![("authorization", auth.as_str())];
    if !bytes.is_empty() {
        headers.push(("content-type", "application/json"));
    }
    request(s.addr, method, path, &headers, bytes.as_bytes())
}

fn create(s: &Server, by: &str, unit: &str, holder: &str) -> Reply {
    call(
        s,
        "POST",
        "/api/v1/admin/tokens",
        by,
        Some(json!({"unit": unit, "holder": holder})),
    )
}

fn me(s: &Server, token: &str) -> u16 {
    call(s, "GET", "/api/v1/reports/me", token, None).status
}

#[test]
fn admins_manage_tokens_of_their_subtree() {
    let s = start();
    let root = admin(&s, "TU");
    let root_id = sotay_sync_server::auth::public_id(&sotay_sync_server::auth::hash(&root));

    // The root gives DB1 a token: shown once, working at once, scoped to DB1.
    let r = create(&s, &root, "DB1", "Nguyễn Văn Huyện");
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    let db1 = v["token"].as_str().expect("token").to_string();
    assert!(db1.starts_with("a_") && db1.len() == 66);
    let db1_id = v["id"].as_str().expect("id").to_string();
    assert_eq!(
        db1_id,
        sotay_sync_server::auth::public_id(&sotay_sync_server::auth::hash(&db1))
    );
    assert_eq!(v["unit_code"], "DB1");
    assert_eq!(v["holder"], "Nguyễn Văn Huyện");
    assert_eq!(v["created_by"], json!(root_id));
    assert_eq!(me(&s, &db1), 200);
    assert_eq!(
        call(&s, "GET", "/api/v1/reports/usage?unit=TU", &db1, None).status,
        403,
        "DB1's token sees DB1's subtree only"
    );
    // Only the hash is stored.
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM admin_tokens WHERE unit_code = 'DB1' AND id = '{db1_id}'"
        )),
        1
    );
    let leaked = match &s.pg {
        Some(_) => s.count(&format!(
            "SELECT count(*) FROM admin_tokens WHERE encode(token_hash, 'escape') LIKE '%{}%' OR holder LIKE '%{}%'",
            &db1[2..20],
            &db1[2..20]
        )),
        None => s.count(&format!(
            "SELECT count(*) FROM admin_tokens WHERE instr(token_hash, '{0}') > 0 OR instr(holder, '{0}') > 0 OR instr(id, '{0}') > 0",
            &db1[2..20]
        )),
    };
    assert_eq!(leaked, 0, "the token itself is never stored");
    let hex: String = sotay_sync_server::auth::hash(&db1)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let hashed = match &s.pg {
        Some(_) => s.count(&format!(
            "SELECT count(*) FROM admin_tokens WHERE token_hash = '\\x{hex}'::bytea"
        )),
        None => s.count(&format!(
            "SELECT count(*) FROM admin_tokens WHERE token_hash = X'{hex}'"
        )),
    };
    assert_eq!(hashed, 1, "stored as its SHA-256");

    // DB1 cannot reach above or beside its scope; it can give its cell a token.
    let up = create(&s, &db1, "TU", "Ai đó");
    assert_eq!(up.status, 403, "{}", up.text());
    assert_eq!(up.json()["error"]["code"], "forbidden");
    assert_eq!(create(&s, &db1, "KHONG-CO", "Ai đó").status, 403);
    let cb1 = create(&s, &db1, "CB1", "Trần Thị Bí Thư");
    assert_eq!(cb1.status, 201, "{}", cb1.text());
    let cb1_token = cb1.json()["token"].as_str().expect("token").to_string();
    let cb1_id = cb1.json()["id"].as_str().expect("id").to_string();
    assert_eq!(me(&s, &cb1_token), 200);
    // Bad requests are refused in Vietnamese, nothing stored.
    for bad in [
        json!({"unit": "CB1"}),
        json!({"unit": "CB1", "holder": "  "}),
        json!({"holder": "A"}),
        json!({"unit": "CB1", "holder": "x".repeat(121)}),
    ] {
        let r = call(&s, "POST", "/api/v1/admin/tokens", &db1, Some(bad.clone()));
        assert_eq!(r.status, 400, "{bad}: {}", r.text());
    }
    assert_eq!(s.count("SELECT count(*) FROM admin_tokens"), 3);

    // The lists: DB1 sees its own and CB1's, not the root's; the root sees all three.
    let list = |t: &str| {
        let r = call(&s, "GET", "/api/v1/admin/tokens", t, None);
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    };
    let l = list(&db1);
    let ids: Vec<&str> = l["tokens"]
        .as_array()
        .expect("tokens")
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert_eq!(ids.len(), 2, "{l}");
    assert!(ids.contains(&db1_id.as_str()) && ids.contains(&cb1_id.as_str()));
    assert!(
        !l.to_string().contains(&db1),
        "the list never shows a token"
    );
    assert_eq!(l["you"], json!(db1_id));
    assert_eq!(list(&root)["tokens"].as_array().map(Vec::len), Some(3));

    // DB1 cannot revoke the root's token (same answer as an unknown id); it revokes CB1's.
    assert_eq!(
        call(
            &s,
            "DELETE",
            &format!("/api/v1/admin/tokens/{root_id}"),
            &db1,
            None
        )
        .status,
        404
    );
    assert_eq!(
        call(
            &s,
            "DELETE",
            "/api/v1/admin/tokens/0011223344556677",
            &db1,
            None
        )
        .status,
        404
    );
    assert_eq!(me(&s, &root), 200);
    let r = call(
        &s,
        "DELETE",
        &format!("/api/v1/admin/tokens/{cb1_id}"),
        &db1,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["revoked_by"], json!(db1_id));
    assert!(r.json()["revoked_at"].as_i64().is_some());
    // Refused from the next request on, everywhere.
    assert_eq!(me(&s, &cb1_token), 401);
    assert_eq!(
        call(&s, "GET", "/api/v1/admin/tokens", &cb1_token, None).status,
        401
    );
    assert_eq!(create(&s, &cb1_token, "CB1", "X").status, 401);
    // Revoking again changes nothing.
    let again = call(
        &s,
        "DELETE",
        &format!("/api/v1/admin/tokens/{cb1_id}"),
        &db1,
        None,
    );
    assert_eq!(again.json()["revoked_at"], r.json()["revoked_at"]);

    // The log: who did what to which token, and when, newest first.
    let log = list(&root)["log"].clone();
    let entries: Vec<(String, String, String, String)> = log
        .as_array()
        .expect("log")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or("").to_string(),
                e["token_id"].as_str().unwrap_or("").to_string(),
                e["by"].as_str().unwrap_or("-").to_string(),
                e["by_unit"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            (
                "revoke".to_string(),
                cb1_id.clone(),
                db1_id.clone(),
                "DB1".to_string()
            ),
            (
                "create".to_string(),
                cb1_id.clone(),
                db1_id.clone(),
                "DB1".to_string()
            ),
            (
                "create".to_string(),
                db1_id.clone(),
                root_id.clone(),
                "TU".to_string()
            ),
            (
                "create".to_string(),
                root_id.clone(),
                "-".to_string(),
                "-".to_string()
            ),
        ],
        "{log}"
    );
    assert!(log
        .as_array()
        .expect("log")
        .iter()
        .all(|e| e["at"].as_i64().is_some()));

    // Without a token, or with a member's, nothing.
    assert_eq!(
        request(s.addr, "GET", "/api/v1/admin/tokens", &[], b"").status,
        401
    );
    assert_eq!(
        call(&s, "PUT", "/api/v1/admin/tokens", &root, None).status,
        405
    );
}

/// The same test with the server on PostgreSQL.
mod postgres {
    use super::common::on_postgres;

    #[test]
    fn admins_manage_tokens_of_their_subtree() {
        on_postgres(super::admins_manage_tokens_of_their_subtree)
    }
}
