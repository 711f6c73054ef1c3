//! The pages and the public API over real HTTP against the real `media-hub serve`: security
//! headers on every response, conditional GET, one decision on a file's type at the door,
//! privacy by default, paging both ways, deletion by the uploader, the live status stream.

mod common;

use common::{fixture, Server};
use reqwest::header;
use serde_json::Value;

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

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// A PDF of about `len` bytes.
fn pdf(len: usize) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let filler = b"1 0 obj << /Type /Catalog >> endobj\n";
    while out.len() < len {
        out.extend_from_slice(filler);
    }
    out
}

/// A small PDF and one above the direct-upload threshold are refused the same way, at the
/// door, whatever their name says: 415 `UnsupportedMediaType` in plain words, no record, no
/// file. A browser gets a page with the words, the technical cause under a toggle, and a
/// way to try another file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pdfs_small_and_large_are_refused_at_the_door() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--admin-token", "t0ken"]);
    for (size, name) in [(100 * 1024, "report.pdf"), (6 * 1024 * 1024, "scan.jpg")] {
        let resp = server.upload_bytes("Ada", "", pdf(size), name).await;
        assert_eq!(resp.status(), 415, "{size} bytes as {name}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "UnsupportedMediaType", "{body}");
        assert!(
            body["advice"]["what"]
                .as_str()
                .unwrap()
                .contains("it looks like a PDF document"),
            "{body}"
        );
    }
    // the same through the form of a browser without JavaScript
    let form = reqwest::multipart::Form::new().text("name", "Ada").part(
        "file",
        reqwest::multipart::Part::bytes(b"just some words\n".repeat(50)).file_name("notes.jpg"),
    );
    let resp = reqwest::Client::new()
        .post(format!("{}/uploads", server.url))
        .header(header::ACCEPT, "text/html")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 415);
    let page = resp.text().await.unwrap();
    for needle in [
        "This file isn't a photo or video we can read (it looks like text).",
        "Try a JPEG, PNG, HEIC, WebP, AVIF, MP4, MOV or WebM.",
        "<details class=\"technical\">",
        "UnsupportedMediaType",
        "Try another file",
    ] {
        assert!(page.contains(needle), "{needle} missing from\n{page}");
    }
    // nothing recorded (the operator lists every status), nothing stored
    let all: Value = reqwest::Client::new()
        .get(format!("{}/api/reels?limit=200", server.url))
        .bearer_auth("t0ken")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all["reels"].as_array().unwrap().len(), 0, "{all}");
    let left = walk(&dir.path().join("blobs"));
    assert!(left.is_empty(), "files left: {left:?}");
}

/// Public JSON and pages of a GPS-tagged photo carry no position, no original filename; the
/// thumbnails carry no EXIF at all; a request with the admin token sees everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gps_and_filenames_are_private_unless_the_admin_asks() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--admin-token", "t0ken"]);
    let id = server
        .upload_ok(&fixture("photo_exif.jpg"), "IMG_0042_home.JPG")
        .await;
    assert_eq!(server.wait_terminal(&id).await["status"], "READY");
    let client = reqwest::Client::new();
    let get = |path: String, admin: bool| {
        let mut req = client.get(format!("{}{path}", server.url));
        if admin {
            req = req.bearer_auth("t0ken");
        }
        async move { req.send().await.unwrap().text().await.unwrap() }
    };
    let public = [
        get(format!("/api/reels/{id}"), false).await,
        get("/api/reels".into(), false).await,
        get(format!("/reels/{id}"), false).await,
        get("/gallery".into(), false).await,
        get("/".into(), false).await,
    ];
    for text in &public {
        for secret in ["48.85", "2.294", "latitude", "gps", "IMG_0042_home"] {
            assert!(!text.contains(secret), "{secret} shown publicly:\n{text}");
        }
    }
    assert!(
        public[0].contains("iPhone 15 Pro"),
        "camera stays: {}",
        public[0]
    );
    let admin: Value = serde_json::from_str(&get(format!("/api/reels/{id}"), true).await).unwrap();
    assert!((admin["metadata"]["gps"]["latitude"].as_f64().unwrap() - 48.858).abs() < 1e-2);
    assert_eq!(admin["originalFilename"], "IMG_0042_home.JPG");
    assert!(
        admin.get("deleteTokenHash").is_none(),
        "never the token's hash"
    );
    let page = get(format!("/reels/{id}"), true).await;
    assert!(page.contains("48.85") && page.contains("IMG_0042_home.JPG"));
    // a wrong admin token is the public
    let wrong = client
        .get(format!("{}/api/reels/{id}", server.url))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!wrong.contains("latitude"), "{wrong}");
    // derived images carry no metadata: no EXIF segment, no GPS, no camera
    for t in admin["thumbnails"].as_array().unwrap() {
        let bytes = std::fs::read(server.blob(t["key"].as_str().unwrap())).unwrap();
        for marker in [&b"Exif\0\0"[..], b"iPhone", b"Apple"] {
            assert!(
                !bytes.windows(marker.len()).any(|w| w == marker),
                "{} carries {:?}",
                t["key"],
                String::from_utf8_lossy(marker)
            );
        }
    }
    // the original (which keeps its EXIF) is the operator's unless published
    let original = format!("{}/reels/{id}/original", server.url);
    assert_eq!(client.get(&original).send().await.unwrap().status(), 404);
    let got = client
        .get(&original)
        .bearer_auth("t0ken")
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(
        got.bytes().await.unwrap().len() as u64,
        std::fs::metadata(fixture("photo_exif.jpg")).unwrap().len()
    );
}

/// The ids of the reels a gallery page links to, in order.
fn gallery_ids(page: &str) -> Vec<String> {
    page.split("class=\"card\" href=\"/reels/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// A gallery page's link to the older (`rel="next"`) or newer (`rel="prev"`) page.
fn gallery_link(page: &str, rel: &str) -> Option<String> {
    let at = page.find(&format!("rel=\"{rel}\" href=\""))?;
    let rest = &page[at + rel.len() + 13..];
    Some(rest[..rest.find('"')?].replace("&amp;", "&"))
}

/// Sixty uploads at once, then paging one by one, seven by seven, and through the gallery's
/// links: every reel exactly once, going older and coming back newer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_uploads_page_both_ways_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    // sixty uploads at once from one address: past the default upload rate limit
    let server = Server::start(
        dir.path(),
        &["--thumbnail-sizes", "64,32,16", "--uploads-per-minute", "0"],
    );
    let photo = std::fs::read(fixture("photo_gray.jpg")).unwrap();
    let uploads = (0..60).map(|i| {
        let photo = photo.clone();
        let server = &server;
        async move {
            let resp = server
                .upload_bytes(&format!("n{i}"), "", photo, "p.jpg")
                .await;
            assert_eq!(resp.status(), 202);
            resp.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    });
    let ids: Vec<String> = futures::future::join_all(uploads).await;
    for id in &ids {
        assert_eq!(server.wait_terminal(id).await["status"], "READY");
    }
    let all: Value = server.get_json("/api/reels?limit=200").await;
    let newest_first: Vec<String> = all["reels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(newest_first.len(), 60);
    let mut sorted = ids.clone();
    sorted.sort();
    let mut listed = newest_first.clone();
    listed.sort();
    assert_eq!(listed, sorted, "the list holds every upload once");

    for limit in [1, 7] {
        // older, page by page
        let mut seen = Vec::new();
        let mut path = format!("/api/reels?limit={limit}");
        let last = loop {
            let page = server.get_json(&path).await;
            seen.extend(
                page["reels"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["id"].as_str().unwrap().to_owned()),
            );
            match page["next"].as_str() {
                Some(c) => path = format!("/api/reels?limit={limit}&cursor={c}"),
                None => break page,
            }
        };
        assert_eq!(seen, newest_first, "older pages of {limit}");
        // and back
        let mut back: Vec<String> = last["reels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect();
        let mut prev = last["prev"].as_str().map(str::to_owned);
        while let Some(c) = prev {
            let page = server
                .get_json(&format!("/api/reels?limit={limit}&cursor={c}"))
                .await;
            let mut ids: Vec<String> = page["reels"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_owned())
                .collect();
            ids.extend(back);
            back = ids;
            prev = page["prev"].as_str().map(str::to_owned);
        }
        assert_eq!(back, newest_first, "newer pages of {limit}");
    }

    // the gallery's own links, both ways
    let server = &server;
    let fetch = |path: String| async move {
        reqwest::get(format!("{}{path}", server.url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let mut seen = Vec::new();
    let mut page = fetch("/gallery".into()).await;
    let mut pages = 1;
    loop {
        seen.extend(gallery_ids(&page));
        match gallery_link(&page, "next") {
            Some(next) => {
                page = fetch(next).await;
                pages += 1;
            }
            None => break,
        }
    }
    assert_eq!(seen, newest_first, "gallery, older");
    assert_eq!(pages, 3, "24 a page");
    let mut back = gallery_ids(&page);
    while let Some(prev) = gallery_link(&page, "prev") {
        page = fetch(prev).await;
        let mut ids = gallery_ids(&page);
        ids.extend(back);
        back = ids;
    }
    assert_eq!(back, newest_first, "gallery, newer");
}

/// The uploader's delete token removes the record and every object; a wrong token gets 403
/// and changes nothing; a second delete changes nothing; the reel then answers 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upload_token_deletes_everything_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let resp = server
        .upload("Ada", "", &fixture("photo_exif.jpg"), "a.jpg")
        .await;
    assert_eq!(resp.status(), 202);
    let body: Value = resp.json().await.unwrap();
    let id = body["id"].as_str().unwrap().to_owned();
    let token = body["deleteToken"].as_str().unwrap().to_owned();
    assert_eq!(server.wait_terminal(&id).await["status"], "READY");
    // only the token's hash is stored
    let db = std::fs::read(dir.path().join("media-hub.sqlite")).unwrap();
    let wal = std::fs::read(dir.path().join("media-hub.sqlite-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()));
    }
    let files_before = walk(&dir.path().join("blobs"));
    assert!(files_before.len() >= 4, "{files_before:?}");

    let client = reqwest::Client::new();
    let delete = |token: Option<&str>| {
        let mut req = client.delete(format!("{}/api/reels/{id}", server.url));
        if let Some(t) = token {
            req = req.header("X-Delete-Token", t);
        }
        async move { req.send().await.unwrap() }
    };
    for wrong in [Some("0".repeat(64)), None] {
        let resp = delete(wrong.as_deref()).await;
        assert_eq!(resp.status(), 403);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "AccessDenied", "{body}");
    }
    assert_eq!(walk(&dir.path().join("blobs")), files_before);
    assert_eq!(server.reel(&id).await["status"], "READY");

    assert_eq!(delete(Some(&token)).await.status(), 204);
    let left = walk(&dir.path().join("blobs"));
    assert!(left.is_empty(), "objects left: {left:?}");
    for path in [
        format!("/api/reels/{id}"),
        format!("/reels/{id}"),
        format!("/media/thumbnails/{id}/160.jpg"),
        format!("/api/reels/{id}/events"),
    ] {
        let resp = reqwest::get(format!("{}{path}", server.url)).await.unwrap();
        assert_eq!(resp.status(), 404, "{path}");
    }
    // again: nothing changes
    assert_eq!(delete(Some(&token)).await.status(), 204);
    assert!(walk(&dir.path().join("blobs")).is_empty());
    let list: Value = server.get_json("/api/reels").await;
    assert_eq!(list["reels"].as_array().unwrap().len(), 0);
}

/// The status stream of a reel says PROCESSING, then READY, then ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_stream_follows_a_reel_to_ready() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let id = server.upload_ok(&fixture("photo_exif.jpg"), "a.jpg").await;
    let resp = reqwest::get(format!("{}/api/reels/{id}/events", server.url))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()[header::CONTENT_TYPE], "text/event-stream");
    let text = tokio::time::timeout(std::time::Duration::from_secs(60), resp.text())
        .await
        .expect("the stream ends after READY")
        .unwrap();
    let statuses: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|d| d.split("\"status\":\"").nth(1))
        .filter_map(|s| s.split('"').next())
        .collect();
    assert_eq!(statuses.last(), Some(&"READY"), "{text}");
    assert!(statuses.len() <= 2, "one event per change: {text}");
}
