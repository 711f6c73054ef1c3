//! The pages over real HTTP against the real `media-hub serve`: security headers on every
//! response, conditional GET of assets and thumbnails.

mod common;

use common::{fixture, Server};
use reqwest::header;

/// Every page, JSON answer, asset and error carries the security headers, and the policy
/// allows no inline script or style.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_security_headers() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let id = server.upload_ok(&fixture("photo_exif.jpg"), "a.jpg").await;
    let reel = server.wait_terminal(&id).await;
    assert_eq!(reel["status"], "READY", "{reel}");
    let client = reqwest::Client::new();
    let paths = [
        "/".to_owned(),
        "/gallery".to_owned(),
        format!("/reels/{id}"),
        "/console".to_owned(),
        format!("/console/executions/{id}"),
        "/no/such/page".to_owned(),
        "/reels/not-an-id".to_owned(),
        "/api/reels".to_owned(),
        "/assets/app.css".to_owned(),
        "/favicon.ico".to_owned(),
        format!("/media/thumbnails/{id}/160.jpg"),
    ];
    for path in &paths {
        let resp = client
            .get(format!("{}{path}", server.url))
            .header(header::ACCEPT, "text/html,*/*")
            .send()
            .await
            .unwrap();
        let h = resp.headers();
        let csp = h
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{path}: no CSP"));
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert!(h.contains_key(header::REFERRER_POLICY), "{path}");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY", "{path}");
        let is_html = h
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"));
        if is_html {
            let page = resp.text().await.unwrap();
            assert!(!page.contains("style="), "{path} has inline style");
            assert!(
                !page.contains("<script>") && !page.contains("<style"),
                "{path} has inline code"
            );
            assert!(page.contains("/assets/favicon.svg"), "{path}: no favicon");
        }
    }
}

/// Thumbnails and assets answer a conditional GET with 304 and no body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_gets_of_thumbnails_and_assets_answer_304() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let id = server.upload_ok(&fixture("photo_exif.jpg"), "a.jpg").await;
    assert_eq!(server.wait_terminal(&id).await["status"], "READY");
    let client = reqwest::Client::new();
    for path in [
        format!("/media/thumbnails/{id}/480.jpg"),
        "/assets/app.css".to_owned(),
    ] {
        let url = format!("{}{path}", server.url);
        let first = client.get(&url).send().await.unwrap();
        assert_eq!(first.status(), 200, "{path}");
        let etag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
        let modified = first.headers()[header::LAST_MODIFIED]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(!first.bytes().await.unwrap().is_empty());
        let by_etag = client
            .get(&url)
            .header(header::IF_NONE_MATCH, &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(by_etag.status(), 304, "{path}");
        assert!(by_etag.bytes().await.unwrap().is_empty());
        let by_date = client
            .get(&url)
            .header(header::IF_MODIFIED_SINCE, &modified)
            .send()
            .await
            .unwrap();
        assert_eq!(by_date.status(), 304, "{path}");
        let stale = client
            .get(&url)
            .header(header::IF_NONE_MATCH, "\"not-it\"")
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), 200, "{path}");
    }
}
