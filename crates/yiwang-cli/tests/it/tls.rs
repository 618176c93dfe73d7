//! TLS to PostgreSQL (issue 19): `sslmode=verify-full` with the CA in `sslrootcert`,
//! against a cluster serving a certificate from a throwaway CA made here with
//! `openssl`. yiwang connects, and every one of its connections is encrypted; a
//! certificate from another CA, or one for another host name, is refused with the
//! reason.

use super::cluster::{Cluster, owned_dir, run_as_owner};
use super::{Server, bin};
use std::path::Path;

/// A CA (`NAME.crt`, `NAME.key`) in `dir`.
fn ca(dir: &Path, name: &str) {
    let (key, crt) = (format!("{name}.key"), format!("{name}.crt"));
    run_as_owner(dir, "openssl", &["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", &key]);
    let subject = format!("/CN=yiwang test CA {name}");
    let args = ["req", "-x509", "-new", "-key", &key, "-out", &crt, "-days", "2", "-subj", &subject];
    run_as_owner(dir, "openssl", &args);
}

/// The server's key and certificate (`server.key`, `server.crt`) for 127.0.0.1 and
/// db.yiwang.test, signed by the CA `ca`.
fn server_certificate(dir: &Path, ca: &str) {
    run_as_owner(dir, "openssl", &["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "server.key"]);
    let csr = ["req", "-new", "-key", "server.key", "-out", "server.csr", "-subj", "/CN=db.yiwang.test"];
    run_as_owner(dir, "openssl", &csr);
    std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:db.yiwang.test,IP:127.0.0.1\n").unwrap();
    let (ca_crt, ca_key) = (format!("{ca}.crt"), format!("{ca}.key"));
    let sign = [
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        &ca_crt,
        "-CAkey",
        &ca_key,
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    ];
    run_as_owner(dir, "openssl", &sign);
}

/// What `yiwang reindex` on `url` said, and whether it succeeded: a command that
/// connects, migrates and writes, then exits.
fn reindex(data: &Path, url: &str) -> (bool, String) {
    let out = bin().args(["reindex", "--data-dir"]).arg(data).args(["--database", url]).output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn verify_full_connects_with_the_right_ca_and_refuses_another_ca_or_host_name() {
    let certs = owned_dir();
    let c = certs.path();
    ca(c, "ca");
    ca(c, "other");
    server_certificate(c, "ca");
    let cluster = Cluster::start(&[
        "ssl = on",
        &format!("ssl_cert_file = '{}'", c.join("server.crt").display()),
        &format!("ssl_key_file = '{}'", c.join("server.key").display()),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let at = |host: &str, ca: &str| {
        format!(
            "postgres://postgres@{host}:{}/postgres?sslmode=verify-full&sslrootcert={}",
            cluster.port,
            c.join(format!("{ca}.crt")).display()
        )
    };

    // The right CA and host: yiwang serves, and all its connections are TLS.
    let url = at("127.0.0.1", "ca");
    let server = Server::start_with(&data, false, &["--database", &url]);
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/api/v1/appeals", server.base))
        .json(&serde_json::json!({"channel": "web", "appeal_type": "complaint", "text": "加密连接下受理的诉求。"}))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let (encrypted, all): (i64, i64) = {
        let row = cluster
            .client()
            .query_one(
                "SELECT count(*) FILTER (WHERE s.ssl), count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
                 WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()",
                &[],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert!(all >= 5, "yiwang's readers and writers are connected: {all}");
    assert_eq!(encrypted, all, "every connection of yiwang's is encrypted");
    drop(server);
    let (ok, said) = reindex(&data, &url);
    assert!(ok, "{said}");

    // A certificate from a CA not named is refused, and the error says why.
    let (ok, said) = reindex(&data, &at("127.0.0.1", "other"));
    assert!(!ok && said.contains("certificate verify failed"), "{said}");
    // So is a name the certificate does not carry (the address is the same).
    let (ok, said) = reindex(&data, &format!("{}&hostaddr=127.0.0.1", at("wrong.yiwang.test", "ca")));
    assert!(!ok && said.contains("certificate verify failed"), "{said}");
    assert!(said.to_lowercase().contains("hostname mismatch"), "{said}");
    // The name it carries, at that address, is accepted.
    let (ok, said) = reindex(&data, &format!("{}&hostaddr=127.0.0.1", at("db.yiwang.test", "ca")));
    assert!(ok, "{said}");
    // A CA file that is missing is named.
    let (ok, said) = reindex(&data, &at("127.0.0.1", "missing"));
    assert!(!ok && said.contains("missing.crt"), "{said}");
}
