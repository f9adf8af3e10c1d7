// The console's downloads: each streams the product's package and shows
// how much has arrived, then hands the whole file to the browser. The
// page's words come from its data attributes, so they stay translated.
(function () {
  "use strict";

  var form = document.getElementById("download");
  if (!form) { return; }
  var status = form.querySelector("[role=status]");
  var bar = form.querySelector("progress");
  var button = form.querySelector("button");

  function megabytes(n) { return (n / 1048576).toFixed(1) + " MB"; }

  function fail(text) {
    button.disabled = false;
    status.className = "notice error";
    status.textContent = text;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var format = form.elements.format.value;
    var url = form.getAttribute("action") + "?format=" + encodeURIComponent(format);
    button.disabled = true;
    bar.hidden = false;
    bar.removeAttribute("value");
    status.className = "";
    status.textContent = form.dataset.started;
    fetch(url, { credentials: "same-origin", headers: { accept: "application/zip" } })
      .then(function (response) {
        if (!response.ok) {
          return response.json().then(function (p) { throw new Error(p.title || ("HTTP " + response.status)); },
            function () { throw new Error("HTTP " + response.status); });
        }
        var name = (response.headers.get("content-disposition") || "").split("filename=\"")[1];
        name = name ? name.replace(/"$/, "") : "download.zip";
        var reader = response.body.getReader();
        var parts = [];
        var received = 0;
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) { return { name: name, blob: new Blob(parts, { type: "application/zip" }) }; }
            parts.push(chunk.value);
            received += chunk.value.length;
            status.textContent = form.dataset.received + " " + megabytes(received);
            status.dataset.bytes = String(received);
            return pump();
          });
        }
        return pump();
      })
      .then(function (file) {
        var link = document.createElement("a");
        link.href = URL.createObjectURL(file.blob);
        link.download = file.name;
        document.body.appendChild(link);
        link.click();
        link.remove();
        bar.value = 1;
        bar.max = 1;
        button.disabled = false;
        status.className = "notice ok";
        status.textContent = form.dataset.done + " " + file.name + " (" + megabytes(file.blob.size) + ")";
        status.dataset.done = "true";
      })
      .catch(function (e) { fail(e.message); });
  });
})();
