// A saved page answers with the next page itself (no redirect), so the location bar still
// shows the address the form was posted to. Put the shown page's own address there: a reload
// then reloads this page instead of posting the previous one again, and the address can be
// bookmarked to resume.
(function () {
  "use strict";
  var url = document.body.getAttribute("data-page-url");
  if (url && window.history && window.history.replaceState && window.location.pathname !== url) {
    window.history.replaceState(null, "", url);
  }
})();
