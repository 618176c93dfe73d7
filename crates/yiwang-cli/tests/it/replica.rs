//! A read replica (issue 19): with `--read-database`, search (and the dashboards)
//! read a streaming standby, everything else the primary. Shown by pausing the
//! standby's replay: an appeal filed meanwhile is found at once by its number, but by
//! search only once the replica has replayed it.

use super::Server;
use super::cluster::Cluster;
use std::time::{Duration, Instant};

#[test]
fn search_reads_the_replica_and_a_case_the_primary() {
    let primary = Cluster::start(&[]);
    let standby = Cluster::standby_of(&primary, "replica", &[]);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        &dir.path().join("data"),
        true,
        &["--database", &primary.url(), "--read-database", &standby.url()],
    );
    let client = reqwest::blocking::Client::new();
    let login = client
        .post(format!("{}/api/v1/login", server.base))
        .json(&serde_json::json!({"username": "dispatcher1", "password": yiwang_app::DEMO_PASSWORD}))
        .send()
        .unwrap();
    assert_eq!(login.status().as_u16(), 200);
    let token = login.json::<serde_json::Value>().unwrap()["token"].as_str().unwrap().to_owned();
    let file = |text: &str| -> String {
        let r = client
            .post(format!("{}/api/v1/appeals", server.base))
            .json(&serde_json::json!({"channel": "web", "appeal_type": "complaint", "text": text}))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        r.json::<serde_json::Value>().unwrap()["case_id"].as_str().unwrap().to_owned()
    };
    let found = |word: &str| -> u64 {
        let r = client
            .get(format!("{}/api/v1/search", server.base))
            .query(&[("q", word)])
            .bearer_auth(&token)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        r.json::<serde_json::Value>().unwrap()["total"].as_u64().unwrap()
    };
    let caught_up = || {
        let lsn = primary.query("pg_current_wal_lsn()");
        standby.wait_for(&format!("pg_last_wal_replay_lsn() >= '{lsn}'"), "true", Duration::from_secs(30));
    };

    file("望湖路口的窨井盖缺失，夜里很危险。");
    caught_up();
    assert_eq!(found("窨井"), 1);

    standby.query("pg_wal_replay_pause()");
    standby.wait_for("pg_get_wal_replay_pause_state()", "paused", Duration::from_secs(30));
    let id = file("湖畔小区的窨井盖又被撬走了。");
    let r = client.get(format!("{}/api/v1/appeals/{id}", server.base)).bearer_auth(&token).send().unwrap();
    assert_eq!(r.status().as_u16(), 200, "the case itself is read on the primary at once");
    assert_eq!(found("窨井"), 1, "search reads the replica, which has not replayed the new appeal");

    standby.query("pg_wal_replay_resume()");
    let deadline = Instant::now() + Duration::from_secs(30);
    while found("窨井") < 2 {
        assert!(Instant::now() < deadline, "the replica never caught up");
        std::thread::sleep(Duration::from_millis(50));
    }
}
