// The upload form, enhanced: send with XMLHttpRequest so the progress bar moves, then go
// to the reel's page. Without JavaScript the form posts normally and the server redirects.
(function () {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const bar = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  const button = form.querySelector("button[type=submit]");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/uploads");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.responseType = "json";
    bar.hidden = false;
    bar.value = 0;
    button.disabled = true;
    status.textContent = "Uploading…";
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        bar.value = Math.round((e.loaded / e.total) * 100);
        status.textContent = "Uploading… " + bar.value + "%";
      }
    });
    xhr.addEventListener("load", function () {
      const body = xhr.response || {};
      if (xhr.status === 202 && body.id) {
        bar.value = 100;
        status.textContent = "Uploaded. Processing…";
        window.location.href = "/reels/" + encodeURIComponent(body.id);
      } else {
        button.disabled = false;
        status.textContent = "Upload refused (" + xhr.status + "): " + (body.message || body.error || "unknown error");
        status.className = "error";
      }
    });
    xhr.addEventListener("error", function () {
      button.disabled = false;
      status.textContent = "The upload could not reach the server.";
      status.className = "error";
    });
    xhr.send(new FormData(form));
  });
})();
