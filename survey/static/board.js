// Live board: fetch the board page again every 15 seconds and swap its live part in place.
// Without JavaScript the page reloads itself (meta refresh) and has a "Refresh now" link.
(function () {
  "use strict";
  var live = document.getElementById("board-live");
  if (!live || !window.fetch || !window.DOMParser) { return; }
  var source = live.getAttribute("data-refresh");

  function refresh() {
    fetch(source, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.text(); })
      .then(function (text) {
        var fresh = new DOMParser().parseFromString(text, "text/html").getElementById("board-live");
        if (fresh) { live.innerHTML = fresh.innerHTML; }
      })
      .catch(function () {
        var status = document.getElementById("board-updated");
        if (status) { status.textContent = "Could not update; retrying."; }
      });
  }
  window.setInterval(refresh, 15000);
}());
