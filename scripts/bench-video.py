#!/usr/bin/env python3
"""Time to playable for videos: media-hub against plain ffmpeg doing the same work, in one run.

    cargo build --release -p cli
    python3 scripts/bench-video.py [--runs 3] [--seconds 15] [--binary target/release/media-hub]

It makes two clips with ffmpeg (1920x1080, 30 fps, with AAC audio): an H.264 MP4 (the fast
path: remuxed) and an HEVC MOV (re-encoded). For each, alternating runs of:

- media-hub: `media-hub serve` (release) on a fresh data dir; the clip is uploaded over HTTP
  and the time to playable runs from the start of the upload to the moment the record turned
  READY (its rendition stored and named): the CommitRecord state's exit in the execution
  history, in the server's millisecond clock (the same machine's clock as the start). The
  reel is polled only to learn that it ended, every `--poll` seconds (0.1): a client polling
  in a tight loop on a 2-core machine takes CPU from the encode it is waiting for (an
  earlier version of this script polled every 5 ms, and charged that loop's CPU to the
  re-encode). The TranscodeVideo state's own duration comes from the same history.
- plain ffmpeg: what a script would run for the same rendition: `ffprobe` on the file,
  then `ffmpeg` with the same arguments media-hub uses (`-c copy -movflags +faststart` for
  the fast path; libx264 veryfast CRF 23 + AAC for the re-encode): the peer of the
  TranscodeVideo step.
- plain, same outputs: that, then one ffmpeg making the three JPEG thumbnails of the first
  frame: everything the READY reel holds, one tool after the other, as a script would. The
  peer of upload to READY (which also carries the upload over HTTP and the records).

It prints the medians and the overheads: (media-hub - plain) / plain.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sh(*args):
    subprocess.run(args, check=True, stdin=subprocess.DEVNULL)


def make_clips(work, seconds):
    src = f"testsrc2=size=1920x1080:rate=30:duration={seconds}"
    tone = f"sine=frequency=440:duration={seconds}"
    h264 = os.path.join(work, "h264-1080p.mp4")
    hevc = os.path.join(work, "hevc-1080p.mov")
    base = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", src, "-f", "lavfi", "-i", tone]
    sh(*base, "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
       "-c:a", "aac", "-shortest", h264)
    sh(*base, "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error",
       "-tag:v", "hvc1", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", hevc)
    return h264, hevc


def plain_ffmpeg(clip, out, remux):
    """ffprobe, then the rendition with the arguments media-hub uses."""
    start = time.monotonic()
    subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format",
                    "-show_streams", clip], check=True, capture_output=True)
    args = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", clip, "-map", "0:V:0"]
    if remux:
        args += ["-map", "0:a:0?", "-c", "copy"]
    else:
        args += ["-vf", "scale=1920:1080:flags=bicubic,setsar=1,format=yuv420p",
                 "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high",
                 "-pix_fmt", "yuv420p", "-crf", "23", "-maxrate", "8000k", "-bufsize", "16000k",
                 "-map", "0:a:0", "-c:a", "aac", "-profile:a", "aac_low", "-b:a", "128k", "-ac", "2"]
    args += ["-map_metadata", "-1", "-map_chapters", "-1", "-t", "181",
             "-movflags", "+faststart", "-f", "mp4", out]
    subprocess.run(args, check=True)
    return time.monotonic() - start


def plain_outputs(clip, work, remux):
    """Everything the reel ends with, by plain tools one after the other, as a script would:
    ffprobe and the rendition (`plain_ffmpeg`), then the three JPEG thumbnails (1080, 480
    and 160 px boxes) of the first frame in one ffmpeg run."""
    start = time.monotonic()
    plain_ffmpeg(clip, os.path.join(work, "plain.mp4"), remux)
    boxes = [1080, 480, 160]
    split = f"[0:v:0]split={len(boxes)}" + "".join(f"[s{i}]" for i in range(len(boxes)))
    chains = [f"[s{i}]scale=w='min(iw,{b})':h='min(ih,{b})':force_original_aspect_ratio=decrease:"
              f"flags=lanczos[o{i}]" for i, b in enumerate(boxes)]
    args = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", clip,
            "-filter_complex", ";".join([split] + chains)]
    for i, b in enumerate(boxes):
        args += ["-map", f"[o{i}]", "-frames:v", "1", "-q:v", "3",
                 os.path.join(work, f"plain-{b}.jpg")]
    subprocess.run(args, check=True)
    return time.monotonic() - start


class Server:
    def __init__(self, binary, data_dir):
        self.proc = subprocess.Popen(
            [binary, "serve", "--addr", "127.0.0.1:0", "--data-dir", data_dir],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "MEDIA_HUB_LOG": "warn"})
        line = self.proc.stdout.readline().strip()
        prefix = "media-hub listening on "
        if not line.startswith(prefix):
            raise SystemExit(f"unexpected first line {line!r}")
        self.url = line[len(prefix):]

    def get(self, path):
        with urllib.request.urlopen(self.url + path) as r:
            return json.load(r)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def parse_time(t):
    """An RFC 3339 timestamp of the history, as seconds since the epoch."""
    return datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()


def details(e):
    d = e.get("details") or e.get("stateEnteredEventDetails") or e.get("stateExitedEventDetails") or {}
    return d if isinstance(d, dict) else {}


def exited_at(history, name):
    """When the state `name` exited (seconds since the epoch), or None."""
    return next((parse_time(e["timestamp"]) for e in history if e.get("type") == "TaskStateExited"
                 and details(e).get("name") == name), None)


def state_seconds(history, name):
    """Seconds from the state's TaskStateEntered to its TaskStateExited, following the
    previousEventId chain (events of parallel branches interleave)."""

    entered = next((e for e in history if e.get("type") == "TaskStateEntered"
                    and details(e).get("name") == name), None)
    if entered is None:
        return None
    after = {}
    for e in history:
        after.setdefault(e.get("previousEventId"), []).append(e)
    current = entered
    for _ in range(len(history)):
        nxt = after.get(current["id"], [])
        if not nxt:
            return None
        current = nxt[0]
        if current.get("type") == "TaskStateExited":
            return parse_time(current["timestamp"]) - parse_time(entered["timestamp"])
    return None


def media_hub(server, clip, name, poll):
    start = time.time()
    out = subprocess.run(
        ["curl", "-sS", "-F", "name=bench", "-F", "caption=", "-F", f"file=@{clip};filename={name}",
         "-H", "Accept: application/json", server.url + "/api/uploads"],
        check=True, capture_output=True, text=True).stdout
    reel_id = json.loads(out)["id"]
    while True:
        reel = server.get(f"/api/reels/{reel_id}")
        if reel["status"] != "PROCESSING":
            break
        time.sleep(poll)
    seen = time.time() - start
    if reel["status"] != "READY":
        raise SystemExit(f"{name}: {reel}")
    execution = server.get(f"/api/executions/{reel_id}")
    history = execution.get("events") or execution.get("history") or []
    ready = exited_at(history, "CommitRecord")
    if ready is None:
        raise SystemExit(f"{name}: no CommitRecord exit in the history")
    elapsed = ready - start
    # the server's clock and ours are the same clock: READY falls between the start and the
    # poll that saw it (a millisecond of rounding either way)
    if not -0.002 <= elapsed <= seen + 0.002:
        raise SystemExit(f"{name}: READY at {elapsed:.3f} s but seen at {seen:.3f} s")
    step = state_seconds(history, "TranscodeVideo")
    return elapsed, step, reel["video"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--poll", type=float, default=0.1,
                    help="seconds between the polls that learn a reel has ended")
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--binary", default=os.path.join(ROOT, "target/release/media-hub"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-video-") as work:
        print(f"making two {args.seconds} s 1080p clips ...", file=sys.stderr)
        h264, hevc = make_clips(work, args.seconds)
        rows = []
        for label, clip, name, remux in [("H.264 MP4 (fast path)", h264, "clip.mp4", True),
                                         ("HEVC MOV (re-encode)", hevc, "clip.mov", False)]:
            ours, steps, plain, whole = [], [], [], []
            for i in range(args.runs):
                data = os.path.join(work, f"data-{label[:4]}-{i}")
                server = Server(args.binary, data)
                try:
                    elapsed, step, video = media_hub(server, clip, name, args.poll)
                finally:
                    server.stop()
                assert video["transcoded"] == (not remux), video
                ours.append(elapsed)
                if step is not None:
                    steps.append(step)
                plain.append(plain_ffmpeg(clip, os.path.join(work, "plain.mp4"), remux))
                whole.append(plain_outputs(clip, work, remux))
            rows.append((label, os.path.getsize(clip), statistics.median(ours),
                         statistics.median(steps) if steps else float("nan"),
                         statistics.median(plain), statistics.median(whole)))
        load = os.getloadavg()[0]
        print(f"\n{args.runs} runs each, medians; {os.cpu_count()} cores, load average {load:.2f}")
        print("| clip | size | TranscodeVideo step | plain ffprobe + ffmpeg (rendition) | overhead "
              "| upload to READY | plain, same outputs (rendition + thumbnails) | overhead |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for label, size, ours, step, plain, whole in rows:
            print(f"| {label} | {size / 1e6:.1f} MB | {step:.3f} s | {plain:.3f} s | "
                  f"{(step - plain) / plain * 100:+.0f} % | {ours:.3f} s | {whole:.3f} s | "
                  f"{(ours - whole) / whole * 100:+.0f} % |")


if __name__ == "__main__":
    main()
