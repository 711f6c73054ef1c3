// A reel's page while it is PROCESSING: poll its JSON and reload when the status changes.
(function () {
  const article = document.querySelector("article.reel");
  if (!article || article.dataset.status !== "PROCESSING") return;
  const id = article.dataset.id;
  const poll = function () {
    fetch("/api/reels/" + encodeURIComponent(id), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (reel) {
        if (reel && reel.status !== "PROCESSING") window.location.reload();
        else setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 2000); });
  };
  setTimeout(poll, 800);
})();
