// Survey pages. Everything here is an improvement on pages that work without it.
(function () {
  "use strict";
  // A saved page answers with the next page itself (no redirect), so the location bar still
  // shows the address the form was posted to. Put the shown page's own address there: a reload
  // then reloads this page instead of posting the previous one again, and the address can be
  // bookmarked to resume.
  var url = document.body.getAttribute("data-page-url");
  if (url && window.history && window.history.replaceState && window.location.pathname !== url) {
    window.history.replaceState(null, "", url);
  }

  // After a failed save, start at the list of what is missing (screen readers read it too).
  var summary = document.getElementById("error-summary");
  if (summary && document.activeElement !== summary) {
    summary.focus();
  }

  // Keep each answer as it is given: a small POST per answer, so closing the tab half-way
  // through a page loses nothing. The page save still sends every answer; a failed answer
  // save only says so, and the page save stores it.
  var form = document.querySelector("form[data-answer-url]");
  if (!form || !window.fetch || !window.FormData) {
    return;
  }
  var answerUrl = form.getAttribute("data-answer-url");
  var token = form.querySelector("input[name=csrf_token]");
  var warning = form.querySelector(".autosave-failed");
  var sending = {};
  var latest = {};
  var inFlight = [];
  var submitting = false;

  function send(name) {
    if (sending[name] || submitting) {
      return; // the newest choice is sent when the pending one returns; a page save sends all
    }
    var value = latest[name];
    var body = new URLSearchParams();
    body.append("csrf_token", token ? token.value : "");
    body.append(name, value);
    sending[name] = true;
    var request = fetch(answerUrl, {method: "POST", body: body, credentials: "same-origin", keepalive: true})
      .then(function (response) {
        if (!response.ok && warning) {
          warning.hidden = false;
        }
      })
      .catch(function () {
        if (warning) {
          warning.hidden = false;
        }
      })
      .then(function () {
        sending[name] = false;
        inFlight.splice(inFlight.indexOf(request), 1);
        if (latest[name] !== value) {
          send(name);
        }
      });
    inFlight.push(request);
  }

  // The page save goes out once the answer saves under way are done, so an earlier answer
  // cannot arrive after it and overwrite the one the page sends.
  form.addEventListener("submit", function (event) {
    if (!inFlight.length || !form.requestSubmit) {
      submitting = true;
      return;
    }
    event.preventDefault();
    submitting = true;
    var submitter = event.submitter;
    Promise.all(inFlight).then(function () {
      inFlight = [];
      form.requestSubmit(submitter || undefined);
    });
  });

  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type !== "radio" || input.name.indexOf("item-") !== 0) {
      return;
    }
    latest[input.name] = input.value;
    send(input.name);
  });
})();
