// Client-side search over search.json. Progressive enhancement: without this script
// the page still explains itself and links to every edition.
(function () {
  "use strict";
  var form = document.querySelector(".search-form");
  var input = document.getElementById("search-query");
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  if (!form || !input || !list || !status || !window.fetch) { return; }
  var index = null;

  function words(text) { return text.toLowerCase().split(/\s+/).filter(Boolean); }

  function show(query) {
    var terms = words(query);
    list.textContent = "";
    if (!terms.length) { status.textContent = ""; return; }
    var found = 0;
    index.forEach(function (edition) {
      edition.articles.forEach(function (article) {
        var hay = (article.title + " " + article.text + " " + edition.title).toLowerCase();
        if (!terms.every(function (t) { return hay.indexOf(t) !== -1; })) { return; }
        found += 1;
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = edition.url + "#" + encodeURIComponent(article.anchor);
        a.textContent = article.title;
        var from = document.createElement("span");
        from.className = "edition-of";
        from.textContent = edition.title;
        var text = document.createElement("span");
        text.className = "excerpt";
        text.textContent = article.text;
        li.append(a, from, text);
        list.appendChild(li);
      });
    });
    status.textContent = found === 1 ? "1 article found." :
      (found ? found + " articles found." : "No articles match. Try fewer or different words.");
  }

  function ready() {
    // Words typed while search.json was loading count too, not only ?q= in the address.
    var q = new URLSearchParams(window.location.search).get("q") || input.value;
    if (q) { input.value = q; show(q); }
    input.addEventListener("input", function () { show(input.value); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      history.replaceState(null, "", "?q=" + encodeURIComponent(input.value));
      show(input.value);
    });
  }

  fetch(list.getAttribute("data-index"))
    .then(function (response) { return response.json(); })
    .then(function (data) { index = data; ready(); })
    .catch(function () { status.textContent = "Search is not available right now."; });
})();
