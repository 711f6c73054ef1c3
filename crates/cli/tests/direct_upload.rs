//! Direct uploads end to end on the embedded default: the API signs a POST, the file goes
//! to the local stand-in for the bucket (`/direct-uploads`) over real HTTP, and the upload
//! completes into the same pipeline as one through the API. Forged, oversize and early
//! requests are refused with named errors and leave nothing behind.

mod common;

use common::{fixture, Server};
use serde_json::{json, Value};

struct Signed {
    id: String,
    url: String,
    fields: Vec<(String, String)>,
    complete: String,
}

async fn begin(server: &Server, request: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/uploads/direct", server.url))
        .json(&request)
        .send()
        .await
        .expect("POST /api/uploads/direct")
}

async fn signed(server: &Server, filename: &str, size: usize) -> Signed {
    let resp = begin(
        server,
        json!({"name": "Grace", "caption": "sent straight to the store", "filename": filename, "size": size}),
    )
    .await;
    assert_eq!(resp.status(), 201);
    let body: Value = resp.json().await.unwrap();
    let fields = body["upload"]["fields"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    Signed {
        id: body["id"].as_str().unwrap().to_owned(),
        url: format!("{}{}", server.url, body["upload"]["url"].as_str().unwrap()),
        fields,
        complete: format!(
            "{}{}",
            server.url,
            body["links"]["complete"].as_str().unwrap()
        ),
    }
}

async fn post_file(url: &str, fields: &[(String, String)], bytes: Vec<u8>) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k.clone(), v.clone());
    }
    form = form.part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name("x"),
    );
    reqwest::Client::new()
        .post(url)
        .multipart(form)
        .send()
        .await
        .expect("POST the file")
}

async fn complete(url: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .send()
        .await
        .expect("POST complete")
}

async fn error_name(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    (status, body["error"].as_str().unwrap_or("").to_owned())
}

fn incoming_is_empty(server: &Server) -> bool {
    let dir = server.blob("incoming");
    std::fs::read_dir(&dir).map_or(true, |mut d| d.next().is_none())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_upload_becomes_a_ready_reel() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let photo = std::fs::read(fixture("photo_exif.jpg")).unwrap();
    let s = signed(&server, "IMG_0099.JPG", photo.len()).await;

    // too early: the file is not there yet
    assert_eq!(
        error_name(complete(&s.complete).await).await,
        (409, "UploadIncomplete".to_owned())
    );
    let resp = post_file(&s.url, &s.fields, photo.clone()).await;
    assert_eq!(resp.status(), 204, "{:?}", resp.text().await);
    let resp = complete(&s.complete).await;
    assert_eq!(resp.status(), 202);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["id"], json!(s.id));

    let reel = server.wait_terminal(&s.id).await;
    assert_eq!(reel["status"], "READY", "{reel}");
    assert_eq!(reel["name"], "Grace");
    // the public view keeps the client's filename private
    assert!(reel.get("originalFilename").is_none(), "{reel}");
    assert_eq!(reel["rawKey"], format!("raw/{}/original.jpg", s.id));
    assert_eq!(reel["size"], json!(photo.len()));
    assert_eq!(reel["thumbnails"].as_array().unwrap().len(), 3);
    server.assert_invariants(&reel);
    assert_eq!(
        std::fs::read(server.blob(&format!("raw/{}/original.jpg", s.id))).unwrap(),
        photo
    );
    assert!(incoming_is_empty(&server), "the staging area is cleared");

    // completing again answers the same reel and changes nothing
    let again = complete(&s.complete).await;
    assert_eq!(again.status(), 202);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["status"], "READY", "{again}");
    assert_eq!(again["executionArn"], reel["executionArn"]);
    assert_eq!(server.reel(&s.id).await, reel);
}

/// The real type decides on this path too: a JPEG named `.png` is taken as a JPEG and keeps
/// its claim as `declaredType`; a PDF is refused with `UnsupportedMediaType` whether the
/// browser sent its first bytes (refused before signing) or not (refused at completion),
/// and no record or file of it stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_direct_upload_the_real_type_decides() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let photo = std::fs::read(fixture("photo_plain.jpg")).unwrap();
    let s = signed(&server, "holiday.png", photo.len()).await;
    assert!(s
        .fields
        .contains(&("Content-Type".to_owned(), "image/png".to_owned())));
    assert_eq!(post_file(&s.url, &s.fields, photo).await.status(), 204);
    assert_eq!(complete(&s.complete).await.status(), 202);
    let reel = server.wait_terminal(&s.id).await;
    assert_eq!(reel["status"], "READY", "{reel}");
    assert_eq!(reel["mediaType"], "image/jpeg");
    assert_eq!(reel["declaredType"], "image/png");
    assert_eq!(reel["rawKey"], format!("raw/{}/original.jpg", s.id));
    server.assert_invariants(&reel);

    let pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n".repeat(300);
    let head: String = pdf[..32].iter().map(|b| format!("{b:02x}")).collect();
    let with_head = json!({"name": "G", "filename": "report.pdf", "contentType": "application/pdf",
        "size": pdf.len(), "head": head});
    assert_eq!(
        error_name(begin(&server, with_head).await).await,
        (415, "UnsupportedMediaType".to_owned())
    );
    let s = signed(&server, "report.jpg", pdf.len()).await;
    // the stand-in bucket stores it, as S3 would; completion then refuses it
    assert_eq!(
        post_file(&s.url, &s.fields, pdf.clone()).await.status(),
        204
    );
    for _ in 0..2 {
        assert_eq!(
            error_name(complete(&s.complete).await).await,
            (415, "UnsupportedMediaType".to_owned())
        );
    }
    assert!(!server.blob(&format!("incoming/{}/file", s.id)).exists());
    assert!(!server.blob(&format!("raw/{}", s.id)).exists());
    let gone = reqwest::get(format!("{}/api/reels/{}", server.url, s.id))
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_oversize_and_unknown_direct_uploads_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--max-upload-mib", "1"]);
    let mib = 1024 * 1024;

    // refused before anything is signed
    let cases = [
        (
            json!({"name": "G", "filename": "a.jpg", "size": mib + 1}),
            413,
            "UploadTooLarge",
        ),
        (
            json!({"name": "G", "filename": "notes.jpg", "size": 10, "head": "68656c6c6f2c20776f726c64"}),
            415,
            "UnsupportedMediaType",
        ),
        (
            json!({"name": "", "filename": "a.jpg", "size": 10}),
            400,
            "InvalidField",
        ),
        (json!({"filename": "a.jpg"}), 400, "InvalidRequest"),
    ];
    for (request, status, name) in cases {
        let got = error_name(begin(&server, request.clone()).await).await;
        assert_eq!(got, (status, name.to_owned()), "{request}");
    }

    // a form whose key or type is not the signed one, or whose policy was rewritten
    let s = signed(&server, "a.jpg", 1000).await;
    let photo = std::fs::read(fixture("photo_plain.jpg")).unwrap();
    for (field, value) in [
        ("key", "raw/x/original.jpg".to_owned()),
        ("Content-Type", "image/png".to_owned()),
        ("policy", "eyJrZXkiOiJpbmNvbWluZy94L2ZpbGUifQ==".to_owned()),
        ("signature", "00".repeat(32)),
    ] {
        let forged: Vec<(String, String)> = s
            .fields
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    if k == field { value.clone() } else { v.clone() },
                )
            })
            .collect();
        let got = error_name(post_file(&s.url, &forged, photo.clone()).await).await;
        assert_eq!(got, (403, "AccessDenied".to_owned()), "forged {field}");
    }
    assert!(!server.blob(&format!("incoming/{}/file", s.id)).exists());

    // more bytes than were signed for: refused while streaming, nothing kept
    let got = error_name(post_file(&s.url, &s.fields, vec![0xFF; mib as usize + 10]).await).await;
    assert_eq!(got.0, 413, "{got:?}");
    assert!(!server.blob(&format!("incoming/{}/file", s.id)).exists());

    // no such upload
    let unknown = format!(
        "{}/api/uploads/0193a5b0-0000-7000-8000-000000000000/complete",
        server.url
    );
    assert_eq!(
        error_name(complete(&unknown).await).await,
        (404, "NotFound".to_owned())
    );
    let reels = server.get_json("/api/reels").await;
    assert_eq!(reels["reels"].as_array().map(Vec::len), Some(0), "{reels}");
}
