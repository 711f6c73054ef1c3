// The upload form, enhanced: send with XMLHttpRequest so the progress bar moves, then go
// to the reel's page. Without JavaScript the form posts normally and the server redirects.
//
// A file larger than the form's data-direct-above goes straight to the store: the API
// signs a POST for it (/api/uploads/direct), the file is posted to that URL (S3 on AWS,
// /direct-uploads locally), then /api/uploads/{id}/complete starts its processing.
(function () {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const bar = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  const button = form.querySelector("button[type=submit]");
  const maxBytes = Number(form.dataset.maxBytes || 0);
  const directAbove = form.dataset.directAbove ? Number(form.dataset.directAbove) : null;

  function fail(message) {
    button.disabled = false;
    status.textContent = message;
    status.className = "error";
  }

  function refused(xhr) {
    const body = xhr.response || {};
    return "Upload refused (" + xhr.status + "): " + (body.message || body.error || "unknown error");
  }

  function done(id) {
    bar.value = 100;
    status.textContent = "Uploaded. Processing…";
    window.location.href = "/reels/" + encodeURIComponent(id);
  }

  // POST a body with progress; `then(xhr)` on any answer from the server.
  function send(url, body, then, json) {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Accept", "application/json");
    if (json) xhr.setRequestHeader("Content-Type", "application/json");
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable && !json) {
        bar.value = Math.round((e.loaded / e.total) * 100);
        status.textContent = "Uploading… " + bar.value + "%";
      }
    });
    xhr.addEventListener("load", function () { then(xhr); });
    xhr.addEventListener("error", function () { fail("The upload could not reach the server."); });
    xhr.send(body);
  }

  function throughApi() {
    send("/api/uploads", new FormData(form), function (xhr) {
      const body = xhr.response || {};
      if (xhr.status === 202 && body.id) done(body.id);
      else fail(refused(xhr));
    });
  }

  function direct(file) {
    const request = {
      name: form.elements.name.value,
      caption: form.elements.caption.value,
      filename: file.name,
      contentType: file.type || null,
      size: file.size,
    };
    status.textContent = "Preparing the upload…";
    send("/api/uploads/direct", JSON.stringify(request), function (xhr) {
      const signed = xhr.response || {};
      if (xhr.status !== 201 || !signed.upload) return fail(refused(xhr));
      const data = new FormData();
      Object.keys(signed.upload.fields).forEach(function (k) { data.append(k, signed.upload.fields[k]); });
      data.append("file", file);
      send(signed.upload.url, data, function (up) {
        if (up.status < 200 || up.status >= 300) return fail("The store refused the file (" + up.status + ").");
        send(signed.links.complete, null, function (c) {
          const body = c.response || {};
          if (c.status === 202 && body.id) done(body.id);
          else fail(refused(c));
        });
      });
    }, true);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const file = form.elements.file.files[0];
    bar.hidden = false;
    bar.value = 0;
    button.disabled = true;
    status.className = "";
    if (file && maxBytes && file.size > maxBytes) {
      return fail("The file is larger than the limit of " + Math.floor(maxBytes / 1048576) + " MiB.");
    }
    status.textContent = "Uploading…";
    if (file && directAbove !== null && file.size > directAbove) direct(file);
    else throughApi();
  });
})();
