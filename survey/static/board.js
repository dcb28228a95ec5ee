// Live board: refresh the progress table from the wave's JSON endpoint every 15 seconds.
(function () {
  "use strict";
  var status = document.getElementById("board-updated");
  if (!status || !window.fetch) { return; }
  var source = status.getAttribute("data-source");

  function percent(rate) { return rate === null ? "–" : Math.round(rate * 100) + " %"; }

  function fill(row, data) {
    ["invited", "started", "submitted"].forEach(function (field) {
      var cell = row.querySelector('[data-field="' + field + '"]');
      if (cell) { cell.textContent = String(data[field]); }
    });
    var rate = row.querySelector('[data-field="response_rate"]');
    if (rate) { rate.textContent = percent(data.response_rate); }
  }

  function refresh() {
    fetch(source, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (board) {
        board.teams.forEach(function (team) {
          var row = document.querySelector('tr[data-team="' + team.team_id + '"]');
          if (row) { fill(row, team); } else { window.location.reload(); }
        });
        fill(document.querySelector('tr[data-team="total"]'), board.total);
        status.textContent = "Updated " + new Date().toLocaleTimeString() + ".";
      })
      .catch(function () { status.textContent = "Could not update; retrying."; });
  }
  window.setInterval(refresh, 15000);
}());
