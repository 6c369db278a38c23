/* /nieuw: "copy as Markdown/HTML" buttons. Without JavaScript the download links do the job,
   so the buttons start hidden and are shown here. The text is fetched from the same address
   the download link uses; HTML goes on the clipboard both as rich text and as source. */
(function () {
  "use strict";

  function status(button, key) {
    var line = button.parentNode.querySelector(".nieuw-status");
    if (line) { line.textContent = line.getAttribute(key) || ""; }
  }

  function fetchText(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.text();
    });
  }

  function copy(button) {
    var url = button.getAttribute("data-source");
    var html = button.getAttribute("data-kind") === "html";
    var text = fetchText(url);
    var done;
    if (html && window.ClipboardItem && navigator.clipboard && navigator.clipboard.write) {
      // A promise inside the ClipboardItem keeps the click's permission while the text loads.
      var blob = function (type) { return text.then(function (t) { return new Blob([t], { type: type }); }); };
      done = navigator.clipboard.write([new ClipboardItem({ "text/html": blob("text/html"), "text/plain": blob("text/plain") })]);
    } else if (navigator.clipboard && navigator.clipboard.writeText) {
      done = text.then(function (t) { return navigator.clipboard.writeText(t); });
    } else {
      done = Promise.reject(new Error("no clipboard"));
    }
    done.then(function () { status(button, "data-done"); }, function () { status(button, "data-failed"); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("button.nieuw-copy");
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { copy(button); });
    });
  });
})();
