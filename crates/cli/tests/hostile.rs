//! Hostile requests over real HTTP against `media-hub serve`: each case gets its documented
//! status and the JSON error shape `{"error": NAME, "message": …}`, nothing is stored for a
//! refused request, and the server stays up. Then 1,000 slow clients, whose connections the
//! timeouts and the per-client cap close, while normal uploads keep succeeding; and the
//! upload rate limit and the busy queue.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::{fixture, Server};
use serde_json::{json, Value};

/// One request and the answer it must get.
struct Case {
    what: &'static str,
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    status: u16,
    error: &'static str,
}

fn case(
    what: &'static str,
    method: &'static str,
    path: &str,
    status: u16,
    error: &'static str,
) -> Case {
    Case {
        what,
        method,
        path: path.to_owned(),
        headers: vec![],
        body: vec![],
        status,
        error,
    }
}

impl Case {
    fn header(mut self, name: &'static str, value: impl Into<String>) -> Case {
        self.headers.push((name, value.into()));
        self
    }
    fn body(mut self, body: impl Into<Vec<u8>>) -> Case {
        self.body = body.into();
        self
    }
    fn json(self, value: Value) -> Case {
        self.header("content-type", "application/json")
            .body(value.to_string())
    }
    fn form(self, parts: &[(&str, Option<&str>, &[u8])]) -> Case {
        let (ct, body) = multipart(parts);
        self.header("content-type", ct).body(body)
    }
}

const BOUNDARY: &str = "XhostileX";

/// A multipart body: (field, filename, bytes).
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for (name, filename, data) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// The answer to a raw request: status, headers (lowercase names), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn addr(server: &Server) -> SocketAddr {
    server
        .url
        .trim_start_matches("http://")
        .parse()
        .expect("server address")
}

/// Send bytes as they are (no client-side normalisation) and read the whole answer. With
/// `chunked`, the body goes as chunks without a length.
fn raw(server: &Server, c: &Case, chunked: bool) -> Answer {
    let mut s = TcpStream::connect(addr(server)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n",
        c.method, c.path
    );
    for (k, v) in &c.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let declares_length = c.headers.iter().any(|(k, _)| *k == "content-length");
    if chunked {
        head.push_str("Transfer-Encoding: chunked\r\n");
    } else if !declares_length && (!c.body.is_empty() || c.method == "POST") {
        head.push_str(&format!("Content-Length: {}\r\n", c.body.len()));
    }
    head.push_str("\r\n");
    // the server may answer and close before it has read everything: that is allowed
    let _ = s.write_all(head.as_bytes());
    if chunked {
        for chunk in c.body.chunks(64 * 1024) {
            if s.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .is_err()
                || s.write_all(chunk).is_err()
                || s.write_all(b"\r\n").is_err()
            {
                break;
            }
        }
        let _ = s.write_all(b"0\r\n\r\n");
    } else if !declares_length || c.body.len() < 4 * 1024 * 1024 {
        let _ = s.write_all(&c.body);
    }
    let mut data = Vec::new();
    let _ = s.read_to_end(&mut data);
    parse_answer(&data).unwrap_or_else(|| {
        panic!(
            "{}: no HTTP answer ({} bytes: {:?})",
            c.what,
            data.len(),
            String::from_utf8_lossy(&data[..data.len().min(200)])
        )
    })
}

fn parse_answer(data: &[u8]) -> Option<Answer> {
    let end = data.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&data[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = data[end + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Some(Answer {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(pos) = data.windows(2).position(|w| w == b"\r\n") {
        let len =
            usize::from_str_radix(std::str::from_utf8(&data[..pos]).unwrap_or("0").trim(), 16)
                .unwrap_or(0);
        if len == 0 || data.len() < pos + 2 + len {
            break;
        }
        out.extend_from_slice(&data[pos + 2..pos + 2 + len]);
        data = &data[(pos + 4 + len).min(data.len())..];
    }
    out
}

fn check(server: &Server, c: &Case, chunked: bool) {
    let a = raw(server, c, chunked);
    let body = String::from_utf8_lossy(&a.body);
    assert_eq!(
        a.status, c.status,
        "{}: {} {} → {}",
        c.what, c.method, c.path, body
    );
    let wants_html = c
        .headers
        .iter()
        .any(|(k, v)| *k == "accept" && v.contains("text/html"));
    if wants_html {
        assert!(
            a.header("content-type")
                .is_some_and(|t| t.starts_with("text/html")),
            "{}: not HTML",
            c.what
        );
        assert!(
            body.contains(c.error),
            "{}: page lacks {}: {body}",
            c.what,
            c.error
        );
        return;
    }
    assert!(
        a.header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{}: not JSON ({:?}): {body}",
        c.what,
        a.header("content-type")
    );
    let v: Value = serde_json::from_slice(&a.body)
        .unwrap_or_else(|e| panic!("{}: body is not JSON ({e}): {body}", c.what));
    assert_eq!(v["error"], c.error, "{}: {v}", c.what);
    assert!(
        v["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{}: no message: {v}",
        c.what
    );
    if c.status == 405 {
        assert!(a.header("allow").is_some(), "{}: 405 without Allow", c.what);
    }
}

fn stored_files(server: &Server) -> Vec<String> {
    let root = server.data_dir.join("blobs");
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(&root).unwrap_or(&p).display().to_string());
            }
        }
    }
    out.sort();
    out
}

/// The uploads' own files (`raw/`, `incoming/`): what a refused upload must not add. The
/// accepted uploads' executions may still be writing thumbnails meanwhile.
fn uploaded_files(server: &Server) -> Vec<String> {
    stored_files(server)
        .into_iter()
        .filter(|k| k.starts_with("raw/") || k.starts_with("incoming/"))
        .collect()
}

const MIB: usize = 1024 * 1024;

/// A direct upload begun over the API: (id, the signed fields).
async fn begin_direct(server: &Server) -> (String, serde_json::Map<String, Value>) {
    let resp = reqwest::Client::new()
        .post(format!("{}/api/uploads/direct", server.url))
        .json(&json!({"name": "Ada", "caption": "", "filename": "big.jpg", "contentType": "image/jpeg", "size": 100}))
        .send()
        .await
        .expect("begin");
    assert_eq!(resp.status(), 201);
    let v: Value = resp.json().await.expect("json");
    (
        v["id"].as_str().expect("id").to_owned(),
        v["upload"]["fields"].as_object().expect("fields").clone(),
    )
}

fn direct_form(
    fields: &serde_json::Map<String, Value>,
    file: &[u8],
) -> Vec<(String, Option<String>, Vec<u8>)> {
    let mut parts: Vec<(String, Option<String>, Vec<u8>)> = fields
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                None,
                v.as_str().unwrap_or("").as_bytes().to_vec(),
            )
        })
        .collect();
    parts.push(("file".into(), Some("big.jpg".into()), file.to_vec()));
    parts
}

fn owned_form(c: Case, parts: &[(String, Option<String>, Vec<u8>)]) -> Case {
    let borrowed: Vec<(&str, Option<&str>, &[u8])> = parts
        .iter()
        .map(|(n, f, d)| (n.as_str(), f.as_deref(), d.as_slice()))
        .collect();
    c.form(&borrowed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_requests_get_named_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(
        dir.path(),
        &["--max-upload-mib", "1", "--uploads-per-minute", "0"],
    );
    let jpeg = std::fs::read(fixture("photo_plain.jpg")).expect("fixture");
    let long_name = "n".repeat(201);
    let long_caption = "c".repeat(2201);
    let (_, fields) = begin_direct(&server).await;
    let (waiting_id, _) = begin_direct(&server).await;
    let mut forged = fields.clone();
    forged.insert("x-amz-signature".into(), json!("00"));
    forged.insert("policy".into(), json!("e30="));
    // a real JPEG's start, so the size and not the type is what gets refused
    let padded = |len: usize| {
        let mut v = jpeg.clone();
        v.resize(len, 0);
        v
    };
    let over = padded(MIB + 200 * 1024);
    let way_over = padded(3 * MIB);
    let before = stored_files(&server);

    let cases = vec![
        // malformed queries and paths
        case("negative limit", "GET", "/api/reels?limit=-1", 400, "InvalidRequest"),
        case("word limit", "GET", "/api/reels?limit=ten", 400, "InvalidRequest"),
        case("huge limit", "GET", "/api/reels?limit=99999999999999999999999", 400, "InvalidRequest"),
        case("unknown status", "GET", "/api/reels?status=BOGUS", 400, "InvalidRequest"),
        case("invalid utf-8 path", "GET", "/reels/%ff%fe", 400, "InvalidRequest"),
        case("invalid utf-8 api path", "GET", "/api/reels/%ff%fe", 400, "InvalidRequest"),
        case("invalid utf-8 console path", "GET", "/console/executions/%ff", 400, "InvalidRequest"),
        case("invalid utf-8 media path", "GET", "/media/%ff%fe", 400, "InvalidRequest"),
        case("bad execution limit", "GET", "/api/executions?limit=-5", 400, "InvalidRequest"),
        case("bad console limit", "GET", "/console?limit=x", 400, "InvalidRequest"),
        case("bad query, browser", "GET", "/api/reels?limit=-1", 400, "InvalidRequest").header("accept", "text/html"),
        case("no such reel", "GET", "/api/reels/0193a5b0-7c1e-7d2a-9f00-123456789abc", 404, "NotFound"),
        case("no such reel page", "GET", "/reels/nope", 404, "NotFound"),
        case("traversal in a reel id", "GET", "/api/reels/..%2f..%2fetc%2fpasswd", 404, "NotFound"),
        case("nul in a reel id", "GET", "/api/reels/%00", 404, "NotFound"),
        case("no such page", "GET", "/wp-admin.php", 404, "NotFound"),
        case("no such page, browser", "GET", "/nope", 404, "NotFound").header("accept", "text/html"),
        case("no such thumbnail", "GET", "/media/thumbnails/x/160.jpg", 404, "NotFound"),
        case("raw files are not served", "GET", "/media/raw/x/original.jpg", 404, "NotFound"),
        case("traversal in media", "GET", "/media/thumbnails/../../etc/passwd", 404, "NotFound"),
        case("no such asset", "GET", "/assets/nope.css", 404, "NotFound"),
        case("no such execution", "GET", "/api/executions/nope", 404, "NotFound"),
        case("very long path", "GET", &format!("/{}", "a".repeat(8000)), 404, "NotFound"),
        // wrong methods
        case("DELETE reels", "DELETE", "/api/reels", 405, "MethodNotAllowed"),
        case("PUT uploads", "PUT", "/uploads", 405, "MethodNotAllowed"),
        case("GET uploads", "GET", "/uploads", 405, "MethodNotAllowed"),
        case("PATCH api uploads", "PATCH", "/api/uploads", 405, "MethodNotAllowed"),
        case("POST reels", "POST", "/api/reels", 405, "MethodNotAllowed"),
        case("POST gallery", "POST", "/gallery", 405, "MethodNotAllowed"),
        case("GET direct", "GET", "/api/uploads/direct", 405, "MethodNotAllowed"),
        case("PUT a reel", "PUT", "/api/reels/x", 405, "MethodNotAllowed"),
        case("PUT console", "PUT", "/console", 405, "MethodNotAllowed"),
        case("POST healthz", "POST", "/healthz", 405, "MethodNotAllowed"),
        case("GET complete", "GET", "/api/uploads/x/complete", 405, "MethodNotAllowed"),
        // broken upload forms
        case("text body", "POST", "/uploads", 415, "UnsupportedContentType").header("content-type", "text/plain").body("hello"),
        case("no content type", "POST", "/uploads", 415, "UnsupportedContentType").body("hello"),
        case("json to the form", "POST", "/api/uploads", 415, "UnsupportedContentType").json(json!({"name": "x"})),
        case("multipart without boundary", "POST", "/uploads", 400, "InvalidForm").header("content-type", "multipart/form-data").body("x"),
        case("garbage multipart", "POST", "/uploads", 400, "InvalidForm").header("content-type", "multipart/form-data; boundary=zz").body("not a multipart body"),
        case("no file", "POST", "/uploads", 400, "InvalidField").form(&[("name", None, b"Ada")]),
        case("no name", "POST", "/uploads", 400, "InvalidField").form(&[("file", Some("a.jpg"), &jpeg)]),
        case("empty file", "POST", "/uploads", 400, "InvalidField").form(&[("name", None, b"Ada"), ("file", Some("a.jpg"), b"")]),
        case("long name", "POST", "/uploads", 400, "InvalidField").form(&[("name", None, long_name.as_bytes()), ("file", Some("a.jpg"), &jpeg)]),
        case("long caption", "POST", "/uploads", 400, "InvalidField").form(&[("name", None, b"Ada"), ("caption", None, long_caption.as_bytes()), ("file", Some("a.jpg"), &jpeg)]),
        case("control characters", "POST", "/uploads", 400, "InvalidField").form(&[("name", None, b"A\x07da"), ("file", Some("a.jpg"), &jpeg)]),
        case("two files", "POST", "/uploads", 400, "InvalidField").form(&[("name", None, b"Ada"), ("file", Some("a.jpg"), &jpeg), ("file", Some("b.jpg"), &jpeg)]),
        case("oversize form with length", "POST", "/uploads", 413, "UploadTooLarge").form(&[("name", None, b"Ada"), ("file", Some("a.jpg"), &way_over)]),
        case("declared length far over", "POST", "/api/uploads", 413, "UploadTooLarge").header("content-type", "multipart/form-data; boundary=zz").header("content-length", (100 * MIB).to_string()),
        case("oversize file within the form overhead", "POST", "/uploads", 413, "UploadTooLarge").form(&[("name", None, b"Ada"), ("file", Some("a.jpg"), &over)]),
        case("oversize body to a page", "POST", "/gallery", 413, "UploadTooLarge").header("content-length", (100 * MIB).to_string()),
        case("oversize body to a GET", "GET", "/api/reels", 413, "UploadTooLarge").header("content-length", (100 * MIB).to_string()),
        // direct uploads
        case("direct: not JSON", "POST", "/api/uploads/direct", 400, "InvalidRequest").header("content-type", "application/json").body("{"),
        case("direct: wrong shape", "POST", "/api/uploads/direct", 400, "InvalidRequest").json(json!([1, 2])),
        case("direct: no name", "POST", "/api/uploads/direct", 400, "InvalidField").json(json!({"name": "", "filename": "a.jpg", "contentType": "image/jpeg", "size": 10})),
        case("direct: empty", "POST", "/api/uploads/direct", 400, "InvalidField").json(json!({"name": "Ada", "filename": "a.jpg", "contentType": "image/jpeg", "size": 0})),
        case("direct: too large", "POST", "/api/uploads/direct", 413, "UploadTooLarge").json(json!({"name": "Ada", "filename": "a.jpg", "contentType": "image/jpeg", "size": 5 * MIB})),
        case("direct: negative size", "POST", "/api/uploads/direct", 400, "InvalidRequest").json(json!({"name": "Ada", "filename": "a.jpg", "contentType": "image/jpeg", "size": -1})),
        case("direct: oversize request", "POST", "/api/uploads/direct", 413, "UploadTooLarge").header("content-type", "application/json").header("content-length", (50 * MIB).to_string()),
        case("complete: unknown", "POST", "/api/uploads/0193a5b0-7c1e-7d2a-9f00-123456789abc/complete", 404, "NotFound"),
        case("complete: not an id", "POST", "/api/uploads/..%2f..%2fx/complete", 404, "NotFound"),
        case("complete: before the file", "POST", &format!("/api/uploads/{waiting_id}/complete"), 409, "UploadIncomplete"),
        case("bucket: no file part", "POST", "/direct-uploads", 400, "InvalidForm").form(&[("key", None, b"incoming/x/file")]),
        case("bucket: unsigned file", "POST", "/direct-uploads", 403, "AccessDenied").form(&[("file", Some("a.jpg"), &jpeg)]),
        owned_form(case("bucket: forged policy", "POST", "/direct-uploads", 403, "AccessDenied"), &direct_form(&forged, &jpeg)),
        owned_form(case("bucket: oversize with length", "POST", "/direct-uploads", 413, "UploadTooLarge"), &direct_form(&fields, &over)),
        owned_form(case("bucket: far oversize with length", "POST", "/direct-uploads", 413, "UploadTooLarge"), &direct_form(&fields, &way_over)),
        // sign-in
        case("sign-in: no token field", "POST", "/signin", 422, "InvalidRequest").header("content-type", "application/x-www-form-urlencoded").body("next=%2F"),
        case("sign-in: JSON", "POST", "/signin", 415, "UnsupportedContentType").json(json!({"token": "x"})),
    ];
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    for c in &cases {
        check(&server, c, false);
    }

    // the same oversize bodies without Content-Length (chunked)
    let chunked = vec![
        case(
            "chunked oversize form",
            "POST",
            "/uploads",
            413,
            "UploadTooLarge",
        )
        .form(&[("name", None, b"Ada"), ("file", Some("a.jpg"), &way_over)]),
        case(
            "chunked oversize form, just over",
            "POST",
            "/uploads",
            413,
            "UploadTooLarge",
        )
        .form(&[("name", None, b"Ada"), ("file", Some("a.jpg"), &over)]),
        owned_form(
            case(
                "chunked oversize to the bucket",
                "POST",
                "/direct-uploads",
                413,
                "UploadTooLarge",
            ),
            &direct_form(&fields, &way_over),
        ),
        owned_form(
            case(
                "chunked oversize to the bucket, just over",
                "POST",
                "/direct-uploads",
                413,
                "UploadTooLarge",
            ),
            &direct_form(&fields, &over),
        ),
        case(
            "chunked oversize JSON",
            "POST",
            "/api/uploads/direct",
            413,
            "UploadTooLarge",
        )
        .header("content-type", "application/json")
        .body(vec![b' '; 3 * MIB]),
    ];
    for c in &chunked {
        check(&server, c, true);
    }
    // an oversize direct upload with Content-Length is 413 every time, not now and then
    for _ in 0..10 {
        check(&server, &chunked[3], false);
        check(
            &server,
            cases
                .iter()
                .find(|c| c.what == "bucket: oversize with length")
                .expect("case"),
            false,
        );
    }

    // nothing was stored for any of them (the two begun direct uploads keep their tickets)
    let after = stored_files(&server);
    assert_eq!(before, after, "refused requests left objects");
    // and the server still works
    let id = server
        .upload_ok(&fixture("photo_plain.jpg"), "ok.jpg")
        .await;
    let reel = server.wait_terminal(&id).await;
    assert_eq!(reel["status"], "READY");
}

/// A client that sends part of a request and then stalls.
async fn slow_client(
    server: SocketAddr,
    source: std::net::IpAddr,
    body_stall: bool,
) -> Option<Duration> {
    let socket = tokio::net::TcpSocket::new_v4().ok()?;
    socket.bind(SocketAddr::new(source, 0)).ok()?;
    let mut stream = socket.connect(server).await.ok()?;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let start = Instant::now();
    let head: &[u8] = if body_stall {
        b"POST /uploads HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=zz\r\nContent-Length: 100000\r\n\r\n--zz\r\n"
    } else {
        b"GET / HTTP/1.1\r\nHost: x\r\n"
    };
    stream.write_all(head).await.ok()?;
    // trickle a header byte now and then: a slow loris, not an idle client
    let mut buf = [0u8; 1024];
    loop {
        tokio::select! {
            r = stream.read(&mut buf) => match r {
                Ok(0) | Err(_) => return Some(start.elapsed()),
                Ok(_) => {} // an error answer before the close
            },
            () = tokio::time::sleep(Duration::from_millis(400)) => {
                if !body_stall && stream.write_all(b"X").await.is_err() {
                    return Some(start.elapsed());
                }
            }
        }
        if start.elapsed() > Duration::from_secs(30) {
            return None;
        }
    }
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_slow_clients_are_cut_off_while_uploads_go_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(
        dir.path(),
        &[
            "--header-timeout-secs",
            "2",
            "--idle-timeout-secs",
            "2",
            "--max-connections-per-client",
            "400",
            "--uploads-per-minute",
            "0",
        ],
    );
    let pid = server.child.id();
    let baseline = open_fds(pid);
    let target = addr(&server);
    // the slow clients come from other loopback addresses than the normal uploads
    let sources: Vec<std::net::IpAddr> = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
        .iter()
        .map(|s| s.parse().expect("ip"))
        .collect();
    let mut slow = Vec::new();
    for i in 0..1000 {
        let source = sources[i % sources.len()];
        slow.push(tokio::spawn(slow_client(target, source, i % 2 == 0)));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // normal uploads meanwhile
    let mut ids = Vec::new();
    for i in 0..8 {
        let resp = server
            .upload(
                "Ada",
                "",
                &fixture("photo_plain.jpg"),
                &format!("ok{i}.jpg"),
            )
            .await;
        assert_eq!(
            resp.status(),
            202,
            "a normal upload was refused during the slow clients"
        );
        let v: Value = resp.json().await.expect("json");
        ids.push(v["id"].as_str().expect("id").to_owned());
    }
    let mut closed = 0;
    let mut longest = Duration::ZERO;
    for s in slow {
        match s.await.expect("client task") {
            Some(t) => {
                closed += 1;
                longest = longest.max(t);
            }
            None => panic!("a slow client kept its connection for 30 s"),
        }
    }
    assert_eq!(closed, 1000);
    assert!(
        longest < Duration::from_secs(15),
        "the slowest close took {longest:?}"
    );
    for id in ids {
        assert_eq!(server.wait_terminal(&id).await["status"], "READY");
    }
    // the descriptors went back
    tokio::time::sleep(Duration::from_millis(500)).await;
    let now = open_fds(pid);
    assert!(now <= baseline + 20, "open descriptors {baseline} → {now}");
}

#[tokio::test]
async fn uploads_past_the_rate_get_429_and_past_the_queue_503() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(
        dir.path(),
        &["--uploads-per-minute", "6", "--upload-burst", "2"],
    );
    let jpeg = fixture("photo_plain.jpg");
    for _ in 0..2 {
        assert_eq!(server.upload("Ada", "", &jpeg, "a.jpg").await.status(), 202);
    }
    let before = uploaded_files(&server);
    assert_eq!(before.len(), 2, "{before:?}");
    let resp = server.upload("Ada", "", &jpeg, "a.jpg").await;
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("secs");
    assert!((1..=10).contains(&retry), "Retry-After {retry}");
    let v: Value = resp.json().await.expect("json");
    assert_eq!(v["error"], "TooManyRequests");
    assert_eq!(
        uploaded_files(&server),
        before,
        "a refused upload stored something"
    );
    drop(server);

    // one execution in flight at most; every store call slowed, so the first one lasts
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(
        dir.path(),
        &[
            "--max-queued-uploads",
            "1",
            "--uploads-per-minute",
            "0",
            "--fault-plan",
            r#"{"blobs":{"latencyMs":300}}"#,
        ],
    );
    let first = server.upload_ok(&jpeg, "a.jpg").await;
    let files = uploaded_files(&server);
    let resp = server.upload("Ada", "", &jpeg, "b.jpg").await;
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().contains_key("retry-after"));
    let v: Value = resp.json().await.expect("json");
    assert_eq!(v["error"], "Busy");
    assert_eq!(
        uploaded_files(&server),
        files,
        "a busy refusal stored something"
    );
    assert_eq!(server.wait_terminal(&first).await["status"], "READY");
    // once the queue drained, uploads are taken again
    let again = server.upload_ok(&jpeg, "c.jpg").await;
    assert_eq!(server.wait_terminal(&again).await["status"], "READY");
}
