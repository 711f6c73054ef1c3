// The upload form, enhanced. Without JavaScript the form posts normally and the server
// redirects to the reel's page.
//
// - A drop zone and a preview (the image, or a video's first frame) before sending.
// - The file is checked when it is picked: its size against the limit, and its first bytes
//   against the types the hub takes (the server sniffs them again; this only saves a
//   wasted upload). Problems are said in plain words, the technical cause under a toggle.
// - Sending goes with XMLHttpRequest so the progress bar moves and shows the time left; a
//   Cancel button stops it. Then the page moves to the reel's page, and the reel's delete
//   token stays in this browser's local storage.
// - A file larger than the form's data-direct-above goes straight to the store: the API signs
//   a POST for it (/api/uploads/direct, with the file's first bytes so a file that is not
//   media is refused before it is sent), the file is posted to that URL (S3 on AWS,
//   /direct-uploads locally), then /api/uploads/{id}/complete starts its processing.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = form.elements.file;
  const zone = document.getElementById("drop-zone");
  const preview = document.getElementById("preview");
  const pickError = document.getElementById("pick-error");
  const bar = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  const button = document.getElementById("upload-button");
  const cancel = document.getElementById("cancel-button");
  const maxBytes = Number(form.dataset.maxBytes || 0);
  const directAbove = form.dataset.directAbove ? Number(form.dataset.directAbove) : null;
  const FORMATS = "Try a JPEG, PNG, HEIC, WebP, AVIF, MP4, MOV or WebM.";

  let problem = null;   // what is wrong with the picked file, if anything
  let head = null;      // its first bytes
  let current = null;   // the request in flight
  let previewUrl = null;

  // ---- what a file is, from its first bytes (the same families the server takes) ----
  function ascii(bytes, from, to) {
    return String.fromCharCode.apply(null, Array.prototype.slice.call(bytes, from, to));
  }
  function sniff(b) {
    if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
    if (b.length >= 8 && ascii(b, 1, 4) === "PNG" && b[0] === 0x89) return "image/png";
    if (ascii(b, 0, 6) === "GIF87a" || ascii(b, 0, 6) === "GIF89a") return "image/gif";
    if (ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP") return "image/webp";
    if (b.length >= 12 && ascii(b, 4, 8) === "ftyp") {
      const brand = ascii(b, 8, 12);
      if (brand === "avif" || brand === "avis") return "image/avif";
      if (/^(heic|heix|heim|heis|hevc|hevx|mif1|msf1)$/.test(brand)) return "image/heic";
      return "video/mp4";
    }
    if (b.length >= 4 && b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return "video/webm";
    return null;
  }
  function looksLike(b) {
    if (b.length === 0) return "an empty file";
    if (ascii(b, 0, 5) === "%PDF-") return "a PDF document";
    if (b[0] === 0x50 && b[1] === 0x4b) return "a ZIP archive";
    try {
      const text = new TextDecoder("utf-8", { fatal: true }).decode(b.slice(0, Math.max(0, b.length - 3)));
      if (!/[\u0000-\u0008\u000e-\u001f]/.test(text)) return "text";
    } catch (e) { /* not text */ }
    return "unknown data";
  }
  function hex(b) {
    return Array.prototype.map.call(b, function (x) { return (x < 16 ? "0" : "") + x.toString(16); }).join("");
  }
  function mib(n) { return (n / 1048576).toFixed(n < 10485760 ? 1 : 0) + " MiB"; }

  // ---- messages: plain words, a next step, the technical cause under a toggle ----
  function showProblem(box, what, next, technical) {
    box.textContent = "";
    const p = document.createElement("p");
    p.className = "what";
    p.textContent = what;
    const n = document.createElement("p");
    n.className = "next";
    n.textContent = next;
    box.appendChild(p);
    box.appendChild(n);
    if (technical) {
      const d = document.createElement("details");
      d.className = "technical";
      const s = document.createElement("summary");
      s.textContent = "Technical details";
      const t = document.createElement("p");
      t.className = "cause";
      t.textContent = technical;
      d.appendChild(s);
      d.appendChild(t);
      box.appendChild(d);
    }
    const again = document.createElement("button");
    again.type = "button";
    again.className = "secondary";
    again.textContent = "Try another file";
    again.addEventListener("click", function () { input.value = ""; input.click(); });
    box.appendChild(again);
    box.hidden = false;
  }
  function clearProblem() {
    pickError.hidden = true;
    pickError.textContent = "";
  }

  // ---- picking, dropping, previewing ----
  function showPreview(file, type) {
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = null;
    preview.textContent = "";
    const caption = document.createElement("p");
    caption.className = "preview-name";
    caption.textContent = file.name + " · " + mib(file.size);
    let media = null;
    if (type && type.indexOf("video/") === 0) {
      previewUrl = URL.createObjectURL(file);
      media = document.createElement("video");
      media.muted = true;
      media.playsInline = true;
      media.preload = "metadata";
      // seek a little so the first frame is painted
      media.addEventListener("loadedmetadata", function () { media.currentTime = Math.min(0.1, media.duration || 0); });
      media.src = previewUrl;
    } else if (type && type !== "image/heic") {
      previewUrl = URL.createObjectURL(file);
      media = document.createElement("img");
      media.alt = "Preview of " + file.name;
      media.src = previewUrl;
    }
    if (media) {
      media.className = "preview-media";
      preview.appendChild(media);
    } else {
      const note = document.createElement("p");
      note.className = "muted";
      note.textContent = "No preview for this format in this browser; it will be converted.";
      preview.appendChild(note);
    }
    preview.appendChild(caption);
    preview.hidden = false;
    zone.classList.add("has-file");
  }

  function picked() {
    const file = input.files[0];
    problem = null;
    head = null;
    clearProblem();
    preview.hidden = true;
    zone.classList.remove("has-file");
    if (!file) return;
    if (maxBytes && file.size > maxBytes) {
      problem = "size";
      showProblem(pickError, "This file is larger than the upload limit of " + mib(maxBytes) + ".",
        "Try a smaller file, or a shorter or lower-resolution video.",
        "UploadTooLarge: " + file.size + " bytes, over the limit of " + maxBytes + " bytes");
      return;
    }
    file.slice(0, 64).arrayBuffer().then(function (buf) {
      if (input.files[0] !== file) return;
      head = new Uint8Array(buf);
      const type = sniff(head);
      if (!type) {
        problem = "type";
        showProblem(pickError, "This file isn't a photo or video we can read (it looks like " + looksLike(head) + ").",
          FORMATS,
          "UnsupportedMediaType: " + file.name + " (declared " + (file.type || "no type") + "), first bytes " + hex(head.slice(0, 16)));
        return;
      }
      showPreview(file, type);
    });
  }
  input.addEventListener("change", picked);

  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (e) {
      e.preventDefault();
      zone.classList.add("dragging");
    });
  });
  ["dragleave", "dragend"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (e) {
    e.preventDefault();
    zone.classList.remove("dragging");
    const files = e.dataTransfer && e.dataTransfer.files;
    if (!files || !files.length) return;
    const dt = new DataTransfer();
    dt.items.add(files[0]);
    input.files = dt.files;
    picked();
  });

  // ---- sending ----
  function idle() {
    button.disabled = false;
    cancel.hidden = true;
    current = null;
  }

  function fail(what, next, technical) {
    idle();
    bar.hidden = true;
    status.textContent = "";
    showProblem(pickError, what, next, technical);
  }

  function refused(xhr) {
    const body = xhr.response || {};
    const advice = body.advice || {};
    fail(advice.what || "The upload was refused (" + xhr.status + ").", advice.next || "Try again.",
      (body.error || xhr.status) + ": " + (body.message || ""));
  }

  function keepToken(id, token) {
    if (!token) return;
    try { window.localStorage.setItem("media-hub:delete:" + id, token); } catch (e) { /* private mode */ }
  }

  function done(id) {
    bar.value = 100;
    status.textContent = "Uploaded. Processing…";
    cancel.hidden = true;
    window.location.href = "/reels/" + encodeURIComponent(id);
  }

  function timeLeft(started, loaded, total) {
    const elapsed = (Date.now() - started) / 1000;
    if (elapsed < 0.5 || loaded === 0) return "";
    const seconds = Math.round((total - loaded) / (loaded / elapsed));
    if (seconds < 1) return " · almost done";
    if (seconds < 90) return " · about " + seconds + " s left";
    return " · about " + Math.round(seconds / 60) + " min left";
  }

  // POST a body with progress; `then(xhr)` on any answer from the server.
  function send(url, body, then, json) {
    const xhr = new XMLHttpRequest();
    current = xhr;
    const started = Date.now();
    xhr.open("POST", url);
    xhr.setRequestHeader("Accept", "application/json");
    if (json) xhr.setRequestHeader("Content-Type", "application/json");
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable && !json) {
        bar.value = Math.round((e.loaded / e.total) * 100);
        status.textContent = "Uploading… " + bar.value + "%" + timeLeft(started, e.loaded, e.total);
      }
    });
    xhr.addEventListener("load", function () { then(xhr); });
    xhr.addEventListener("error", function () {
      fail("The upload could not reach the server.", "Check your connection and try again.", "network error on " + url);
    });
    xhr.addEventListener("abort", function () {
      idle();
      bar.hidden = true;
      status.textContent = "Cancelled.";
    });
    xhr.send(body);
  }

  function throughApi() {
    send("/api/uploads", new FormData(form), function (xhr) {
      const body = xhr.response || {};
      if (xhr.status === 202 && body.id) {
        keepToken(body.id, body.deleteToken);
        done(body.id);
      } else refused(xhr);
    });
  }

  function direct(file) {
    const request = {
      name: form.elements.name.value,
      caption: form.elements.caption.value,
      filename: file.name,
      contentType: file.type || null,
      size: file.size,
      head: head ? hex(head) : null,
    };
    status.textContent = "Preparing the upload…";
    send("/api/uploads/direct", JSON.stringify(request), function (xhr) {
      const signed = xhr.response || {};
      if (xhr.status !== 201 || !signed.upload) return refused(xhr);
      keepToken(signed.id, signed.deleteToken);
      const data = new FormData();
      Object.keys(signed.upload.fields).forEach(function (k) { data.append(k, signed.upload.fields[k]); });
      data.append("file", file);
      send(signed.upload.url, data, function (up) {
        if (up.status < 200 || up.status >= 300) {
          return fail("The storage refused the file.", "Try again in a minute.", "status " + up.status + " from " + signed.upload.url);
        }
        send(signed.links.complete, null, function (c) {
          const body = c.response || {};
          if (c.status === 202 && body.id) done(body.id);
          else refused(c);
        });
      });
    }, true);
  }

  cancel.addEventListener("click", function () {
    if (current) current.abort();
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const file = input.files[0];
    if (problem) {
      pickError.hidden = false;
      return;
    }
    clearProblem();
    bar.hidden = false;
    bar.value = 0;
    button.disabled = true;
    cancel.hidden = false;
    status.textContent = "Uploading…";
    if (file && directAbove !== null && file.size > directAbove) direct(file);
    else throughApi();
  });
})();
