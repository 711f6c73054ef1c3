//! The admin token over real HTTP: `serve` refuses a public address without one, the
//! console and execution API answer 401 without it and 200 with it (bearer or the
//! sign-in cookie), and `--public` turns them off.

mod common;

use std::process::{Command, Stdio};

use common::{repo_root, Server};
use serde_json::Value;

#[test]
fn serve_refuses_a_public_address_without_a_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_media-hub"))
        .current_dir(repo_root())
        .args(["serve", "--addr", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path())
        .env_remove("MEDIA_HUB_ADMIN_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run serve");
    assert!(
        !out.status.success(),
        "serve started on 0.0.0.0 without a token"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("without an admin token"),
        "unexpected message: {stderr}"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("listening"),
        "it listened anyway"
    );
}

async fn get(url: &str, auth: Option<&str>, cookie: Option<&str>) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut req = client.get(url);
    if let Some(t) = auth {
        req = req.bearer_auth(t);
    }
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.send().await.expect("request")
}

#[tokio::test]
async fn the_console_needs_the_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path(), &["--admin-token", "t0ken-for-tests"]);
    for path in [
        "/console",
        "/console/executions/x",
        "/api/executions",
        "/api/executions/x",
        "/api/statemachine",
        "/api/statemachine/graph.svg",
    ] {
        let url = format!("{}{path}", server.url);
        let resp = get(&url, None, None).await;
        assert_eq!(resp.status(), 401, "{path} without a token");
        assert!(resp.headers().contains_key("www-authenticate"), "{path}");
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["error"], "Unauthorized", "{path}: {body}");
        let resp = get(&url, Some("wrong-token"), None).await;
        assert_eq!(resp.status(), 401, "{path} with a wrong token");
    }
    let resp = get(
        &format!("{}/console", server.url),
        Some("t0ken-for-tests"),
        None,
    )
    .await;
    assert_eq!(resp.status(), 200);
    let resp = get(
        &format!("{}/api/executions", server.url),
        Some("t0ken-for-tests"),
        None,
    )
    .await;
    assert_eq!(resp.status(), 200);

    // public pages stay public
    for path in ["/", "/gallery", "/api/reels", "/healthz"] {
        let resp = get(&format!("{}{path}", server.url), None, None).await;
        assert_eq!(resp.status(), 200, "{path}");
    }

    // a browser is sent to the sign-in page, which sets the cookie
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let resp = client
        .get(format!("{}/console", server.url))
        .header("accept", "text/html")
        .send()
        .await
        .expect("console");
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/signin?next=/console");
    let resp = client
        .post(format!("{}/signin", server.url))
        .form(&[("token", "nope"), ("next", "/console")])
        .send()
        .await
        .expect("signin");
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().get("set-cookie").is_none());
    let resp = client
        .post(format!("{}/signin", server.url))
        .form(&[("token", "t0ken-for-tests"), ("next", "/console")])
        .send()
        .await
        .expect("signin");
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/console");
    let set_cookie = resp.headers()["set-cookie"].to_str().expect("ascii");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(
        !set_cookie.contains("t0ken-for-tests"),
        "the cookie holds the token"
    );
    let cookie = set_cookie.split(';').next().expect("pair");
    let resp = get(&format!("{}/console", server.url), None, Some(cookie)).await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn public_mode_turns_the_admin_pages_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path(), &["--public"]);
    // the server listens on loopback here; --public without a token still means "no admin"
    // only off loopback, so on loopback the console stays open
    let resp = get(&format!("{}/console", server.url), None, None).await;
    assert_eq!(resp.status(), 200);
    drop(server);

    let server = Server::start_at("0.0.0.0:0", dir.path(), &["--public"]);
    let port = server.url.rsplit(':').next().expect("port");
    let url = format!("http://127.0.0.1:{port}");
    let resp = get(&format!("{url}/api/executions"), None, None).await;
    assert_eq!(resp.status(), 403);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"], "AdminDisabled");
    let resp = get(&format!("{url}/api/reels"), None, None).await;
    assert_eq!(resp.status(), 200);
}
