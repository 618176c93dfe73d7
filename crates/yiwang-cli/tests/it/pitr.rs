//! Point-in-time recovery on PostgreSQL (issue 19; README "Backups → PostgreSQL"): a
//! base backup with `pg_basebackup` and WAL archiving, yiwang filing appeals, then a
//! recovery of the backup to a point (an LSN) between two sets of appeals into a new
//! cluster: the appeals up to the point are there, none after it, and the record
//! verifies.

use super::cluster::Cluster;
use super::{Server, bin};
use std::time::Duration;

/// Files `n` appeals titled `PREFIX i`; their case ids.
fn file(base: &str, prefix: &str, n: usize) -> Vec<String> {
    let client = reqwest::blocking::Client::new();
    (0..n)
        .map(|i| {
            let r = client
                .post(format!("{base}/api/v1/appeals"))
                .json(&serde_json::json!({
                    "channel": "web", "appeal_type": "complaint", "title": format!("{prefix}{i}"),
                    "text": format!("{prefix}第{i}件：路面坑洼。")
                }))
                .send()
                .unwrap();
            assert_eq!(r.status().as_u16(), 201);
            r.json::<serde_json::Value>().unwrap()["case_id"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[test]
fn a_base_backup_and_the_archived_wal_restore_to_a_point_in_time_and_verify() {
    let primary = Cluster::start(&[]);
    let archive = primary.path("archive");
    primary.configure(&[
        "archive_mode = on",
        &format!("archive_command = 'test ! -f {0}/%f && cp %p {0}/%f'", archive.display()),
    ]);
    primary.restart();
    let backup = primary.path("base");
    primary.base_backup(&backup);

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start_with(&data, false, &["--database", &primary.url()]);
    let before = file(&server.base, "点前", 20);
    // The point to recover to: after every appeal above was acknowledged.
    let point = primary.query("pg_current_wal_lsn()");
    let after = file(&server.base, "点后", 10);
    drop(server);
    // The segment in use goes to the archive too.
    primary.query("pg_walfile_name(pg_switch_wal())");
    let last = primary.query("pg_walfile_name(pg_current_wal_lsn() - 1)");
    primary.wait_for(
        &format!("(SELECT last_archived_wal >= '{last}' FROM pg_stat_archiver)"),
        "true",
        Duration::from_secs(30),
    );

    let restored = Cluster::from_backup(
        &backup,
        &[
            "archive_mode = off",
            &format!("restore_command = 'cp {}/%f %p'", archive.display()),
            &format!("recovery_target_lsn = '{point}'"),
            "recovery_target_action = 'promote'",
        ],
        true,
    );
    restored.wait_for("pg_is_in_recovery()", "false", Duration::from_secs(60));
    let mut db = restored.client();
    let titled = |db: &mut postgres::Client, prefix: &str| -> Vec<String> {
        let rows = db
            .query("SELECT case_id FROM case_header WHERE title LIKE $1 || '%' ORDER BY case_id", &[&prefix])
            .unwrap();
        rows.iter().map(|r| r.get(0)).collect()
    };
    assert_eq!(titled(&mut db, "点前"), before, "every appeal up to the point is restored");
    assert!(titled(&mut db, "点后").is_empty(), "none after it: {after:?}");
    let restored_url = restored.url();
    let out =
        bin().args(["audit", "verify", "--data-dir"]).arg(&data).args(["--database", &restored_url]).output().unwrap();
    assert!(out.status.success(), "audit verify on the restored cluster: {}", String::from_utf8_lossy(&out.stdout));
}
