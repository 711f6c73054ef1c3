//! Videos end to end over real HTTP: the real `media-hub serve`, uploads of clips made with
//! ffmpeg at test time (H.264 MP4, rotated MP4, HEVC MOV, VP9 WebM, a 4-minute video), the
//! real ASL file. Each rendition is checked with ffprobe: h264 (+ aac only where the source
//! had audio), display size, no rotation left, duration, `moov` before `mdat`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{clip, ffmpeg, Codec, Server};
use serde_json::Value;

fn ffprobe(path: &Path) -> Value {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    assert!(out.status.success(), "ffprobe {}", path.display());
    serde_json::from_slice(&out.stdout).expect("ffprobe JSON")
}

fn streams<'a>(probe: &'a Value, kind: &str) -> Vec<&'a Value> {
    probe["streams"]
        .as_array()
        .expect("streams")
        .iter()
        .filter(|s| s["codec_type"] == kind)
        .collect()
}

fn duration(probe: &Value) -> f64 {
    probe["format"]["duration"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .expect("a duration")
}

/// The top-level box types of an MP4, in file order.
fn top_level_boxes(data: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at + 8 <= data.len() {
        let mut size = u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as u64;
        let kind = String::from_utf8_lossy(&data[at + 4..at + 8]).into_owned();
        if size == 1 && at + 16 <= data.len() {
            size = u64::from_be_bytes(data[at + 8..at + 16].try_into().unwrap());
        } else if size == 0 {
            size = (data.len() - at) as u64;
        }
        out.push(kind);
        if size < 8 {
            break;
        }
        at += size as usize;
    }
    out
}

struct Clip {
    file: PathBuf,
    upload_name: &'static str,
    /// displayed size of the source
    display: (u64, u64),
    audio: bool,
    fast_path: bool,
}

fn clips(dir: &Path) -> Vec<Clip> {
    let pattern = "testsrc=size=320x240:rate=25";
    let h264 = dir.join("h264.mp4");
    clip(&h264, pattern, 2, Codec::H264, true);
    // the same picture with a 90° display matrix and no audio
    let silent = dir.join("silent.mp4");
    clip(&silent, pattern, 2, Codec::H264, false);
    let rotated = dir.join("rotated.mp4");
    ffmpeg(
        &[
            "-i",
            silent.to_str().unwrap(),
            "-c",
            "copy",
            "-metadata:s:v:0",
            "rotate=90",
        ],
        &rotated,
    );
    let hevc = dir.join("hevc.mov");
    clip(&hevc, pattern, 2, Codec::Hevc, true);
    let vp9 = dir.join("vp9.webm");
    clip(&vp9, pattern, 2, Codec::Vp9, true);
    vec![
        Clip {
            file: h264,
            upload_name: "clip.mp4",
            display: (320, 240),
            audio: true,
            fast_path: true,
        },
        Clip {
            file: rotated,
            upload_name: "portrait.mp4",
            display: (240, 320),
            audio: false,
            fast_path: false,
        },
        Clip {
            file: hevc,
            upload_name: "IMG_0001.MOV",
            display: (320, 240),
            audio: true,
            fast_path: false,
        },
        Clip {
            file: vp9,
            upload_name: "screen.webm",
            display: (320, 240),
            audio: true,
            fast_path: false,
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_video_becomes_a_web_playable_rendition() {
    let work = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[]);
    let clips = clips(work.path());
    let mut ids = Vec::new();
    for clip in &clips {
        ids.push(server.upload_ok(&clip.file, clip.upload_name).await);
    }
    for (clip, id) in clips.iter().zip(&ids) {
        let what = clip.upload_name;
        let reel = server.wait_terminal(id).await;
        assert_eq!(reel["status"], "READY", "{what}: {reel}");
        server.assert_invariants(&reel);
        let video = &reel["video"];
        let key = format!("renditions/{id}/web.mp4");
        assert_eq!(video["key"], key.as_str(), "{what}: {reel}");
        assert_eq!(video["codec"], "h264", "{what}");
        assert_eq!(
            video["transcoded"],
            Value::Bool(!clip.fast_path),
            "{what}: {video}"
        );
        assert_eq!(
            (video["width"].as_u64(), video["height"].as_u64()),
            (Some(clip.display.0), Some(clip.display.1)),
            "{what}: {video}"
        );

        let path = server.blob(&key);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(video["bytes"].as_u64(), Some(bytes.len() as u64), "{what}");
        let boxes = top_level_boxes(&bytes);
        let moov = boxes.iter().position(|b| b == "moov");
        let mdat = boxes.iter().position(|b| b == "mdat");
        assert!(
            moov.is_some() && moov < mdat,
            "{what}: moov must come before mdat: {boxes:?}"
        );

        let probe = ffprobe(&path);
        let v = streams(&probe, "video");
        assert_eq!(v.len(), 1, "{what}: {probe}");
        assert_eq!(v[0]["codec_name"], "h264", "{what}");
        assert_eq!(v[0]["pix_fmt"], "yuv420p", "{what}");
        assert!(
            ["High", "Main", "Constrained Baseline"]
                .contains(&v[0]["profile"].as_str().unwrap_or("")),
            "{what}: {}",
            v[0]["profile"]
        );
        assert_eq!(
            (v[0]["width"].as_u64(), v[0]["height"].as_u64()),
            (Some(clip.display.0), Some(clip.display.1)),
            "{what}: stored size is the display size"
        );
        let rotation = v[0]["side_data_list"]
            .as_array()
            .map(|l| l.iter().any(|d| d.get("rotation").is_some()))
            .unwrap_or(false)
            || v[0]["tags"].get("rotate").is_some();
        assert!(!rotation, "{what}: rotation left in {}", v[0]);
        let a = streams(&probe, "audio");
        if clip.audio {
            assert_eq!(a.len(), 1, "{what}: {probe}");
            assert_eq!(a[0]["codec_name"], "aac", "{what}");
            assert_eq!(a[0]["profile"], "LC", "{what}");
            assert!(a[0]["channels"].as_u64().unwrap_or(0) <= 2, "{what}");
        } else {
            assert!(a.is_empty(), "{what}: audio where the source had none");
        }
        let source = duration(&ffprobe(&clip.file));
        let made = duration(&probe);
        assert!(
            (made - source).abs() <= 0.1,
            "{what}: duration {made} vs source {source}"
        );
        assert!(
            (video["duration"].as_f64().unwrap_or(0.0) - source).abs() <= 0.1,
            "{what}: record duration {} vs {source}",
            video["duration"]
        );
        // no location or device metadata carried over
        assert!(
            probe["format"]["tags"].get("location").is_none(),
            "{what}: {}",
            probe["format"]["tags"]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_video_over_the_duration_limit_ends_failed_and_leaves_nothing() {
    let work = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[]);
    // four minutes at 1 frame per second and 64x48: quick to make, small to send
    let long = work.path().join("long.mp4");
    clip(&long, "testsrc=size=64x48:rate=1", 240, Codec::H264, false);
    let id = server.upload_ok(&long, "long.mp4").await;
    let reel = server.wait_terminal(&id).await;
    assert_eq!(reel["status"], "FAILED", "{reel}");
    assert_eq!(reel["error"], "MediaTooLong", "{reel}");
    assert!(
        reel["cause"].as_str().unwrap_or("").contains("180 s"),
        "the cause names the limit: {reel}"
    );
    assert!(
        reel.get("video").is_none() || reel["video"].is_null(),
        "{reel}"
    );
    server.assert_invariants(&reel);
    for prefix in ["renditions", "thumbnails", "raw"] {
        let dir = server.blob(&format!("{prefix}/{id}"));
        let left = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
        assert_eq!(left, 0, "{prefix}/{id} left behind");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renditions_answer_ranges_and_conditional_gets() {
    let work = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[]);
    let file = work.path().join("clip.mp4");
    clip(&file, "testsrc=size=320x240:rate=25", 2, Codec::H264, false);
    let id = server.upload_ok(&file, "clip.mp4").await;
    let reel = server.wait_terminal(&id).await;
    assert_eq!(reel["status"], "READY", "{reel}");
    let key = reel["video"]["key"]
        .as_str()
        .expect("a rendition")
        .to_owned();
    let stored = std::fs::read(server.blob(&key)).unwrap();
    let size = stored.len();
    assert!(
        size > 2000,
        "a rendition of {size} bytes is too small to test"
    );
    let url = format!("{}/media/{key}", server.url);
    let client = reqwest::Client::new();
    let get = |range: Option<&str>| {
        let mut r = client.get(&url);
        if let Some(range) = range {
            r = r.header("Range", range);
        }
        r.send()
    };

    let whole = get(None).await.unwrap();
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["content-type"], "video/mp4");
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    let etag = whole.headers()["etag"].to_str().unwrap().to_owned();
    let modified = whole.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(whole.bytes().await.unwrap().as_ref(), stored.as_slice());

    for (range, start, end) in [
        ("bytes=0-1", 0, 1),
        ("bytes=1000-", 1000, size - 1),
        ("bytes=-500", size - 500, size - 1),
    ] {
        let part = get(Some(range)).await.unwrap();
        assert_eq!(part.status(), 206, "{range}");
        assert_eq!(
            part.headers()["content-range"],
            format!("bytes {start}-{end}/{size}").as_str(),
            "{range}"
        );
        assert_eq!(part.headers()["accept-ranges"], "bytes");
        assert_eq!(
            part.bytes().await.unwrap().as_ref(),
            &stored[start..=end],
            "{range}"
        );
    }
    let past = get(Some(&format!("bytes={size}-"))).await.unwrap();
    assert_eq!(past.status(), 416);
    assert_eq!(
        past.headers()["content-range"],
        format!("bytes */{size}").as_str()
    );

    let again = client
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());
    let since = client
        .get(&url)
        .header("If-Modified-Since", &modified)
        .send()
        .await
        .unwrap();
    assert_eq!(since.status(), 304);
    let other = client
        .get(&url)
        .header("If-None-Match", "\"another\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);

    // raw uploads are never served
    let raw = reqwest::get(format!(
        "{}/media/{}",
        server.url,
        reel["rawKey"].as_str().unwrap()
    ))
    .await
    .unwrap();
    assert_eq!(raw.status(), 404);
}
