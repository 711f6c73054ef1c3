// A reel's page. While the reel is PROCESSING, its status comes as server-sent events
// (/api/reels/{id}/events; polling the JSON as a fallback behind proxies that buffer) and
// the page's content is swapped in place when it turns READY or FAILED: no reload. The
// browser that uploaded the reel keeps its delete token in local storage and gets a delete
// button. Without JavaScript the page refreshes itself (a <noscript> meta refresh).
(function () {
  "use strict";
  const first = document.querySelector("article.reel");
  if (!first) return;
  const id = first.dataset.id;
  const key = "media-hub:delete:" + id;

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  // The form without JavaScript's redirect carries the token in the fragment: keep it,
  // then drop it from the address bar (it never goes to the server).
  const fromFragment = /^#delete=([0-9a-f]{16,128})$/.exec(window.location.hash);
  if (fromFragment && storage()) {
    storage().setItem(key, fromFragment[1]);
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }

  function offerDeletion() {
    const owner = document.getElementById("owner");
    const token = storage() ? storage().getItem(key) : null;
    if (!owner || !token) return;
    owner.hidden = false;
    const button = document.getElementById("delete-button");
    const status = document.getElementById("delete-status");
    button.addEventListener("click", function () {
      if (!window.confirm("Delete this reel and all its files for good?")) return;
      button.disabled = true;
      status.textContent = "Deleting…";
      fetch("/api/reels/" + encodeURIComponent(id), {
        method: "DELETE",
        headers: { "X-Delete-Token": token, Accept: "application/json" },
      }).then(function (r) {
        if (r.status === 204) {
          storage().removeItem(key);
          window.location.href = "/gallery";
          return null;
        }
        return r.json().then(function (body) {
          status.textContent = body.hint || body.message || "The server refused (" + r.status + ").";
          button.disabled = false;
        });
      }).catch(function () {
        status.textContent = "The server could not be reached. Try again.";
        button.disabled = false;
      });
    });
  }
  offerDeletion();

  if (first.dataset.status !== "PROCESSING") return;

  let swapped = false;
  // Fetch the page as it is now and put its reel in place of this one.
  function swap() {
    if (swapped) return;
    swapped = true;
    fetch(window.location.pathname, { headers: { Accept: "text/html" } })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        const doc = new DOMParser().parseFromString(html, "text/html");
        const fresh = doc.querySelector("article.reel");
        const old = document.querySelector("article.reel");
        if (!fresh || !old) throw new Error("no reel in the page");
        old.replaceWith(document.importNode(fresh, true));
        document.title = doc.title;
        offerDeletion();
      })
      .catch(function () { window.location.reload(); });
  }

  let source = null;
  if (window.EventSource) {
    source = new EventSource("/api/reels/" + encodeURIComponent(id) + "/events");
    source.addEventListener("status", function (e) {
      const reel = JSON.parse(e.data);
      if (reel.status !== "PROCESSING") {
        source.close();
        swap();
      }
    });
    source.addEventListener("gone", function () {
      source.close();
      window.location.reload();
    });
  }

  // The fallback: poll the JSON, slowly, in case the events are held up on the way.
  function poll() {
    if (swapped) return;
    fetch("/api/reels/" + encodeURIComponent(id), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (reel) {
        if (reel && reel.status !== "PROCESSING") {
          if (source) source.close();
          swap();
        } else {
          setTimeout(poll, 3000);
        }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 3000);
})();
