// As-you-type catalogue search. The search form works without this script
// (it is a plain GET form); with it, results refresh while typing.
(function () {
  "use strict";
  var input = document.querySelector("[data-live-search]");
  if (!input || !window.fetch || !window.DOMParser) return;
  var form = input.form;
  var timer = null;
  var inflight = null;

  function refresh() {
    var params = new URLSearchParams(new FormData(form));
    for (var key of Array.from(params.keys())) {
      if (params.get(key) === "") params.delete(key);
    }
    var url = form.getAttribute("action") + (params.toString() ? "?" + params.toString() : "");
    if (inflight) inflight.abort();
    inflight = new AbortController();
    fetch(url, { signal: inflight.signal, headers: { "Accept": "text/html" } })
      .then(function (res) { return res.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("catalog-results");
        var current = document.getElementById("catalog-results");
        if (fresh && current) {
          current.replaceWith(fresh);
          history.replaceState(null, "", url);
        }
      })
      .catch(function (err) {
        if (err.name !== "AbortError") form.submit();
      });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 200);
  });
})();
