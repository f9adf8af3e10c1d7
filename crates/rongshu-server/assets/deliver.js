// The console's upload: streams the chosen file as the request body, so
// ingestion starts with the first byte, and shows the upload's progress.
// The page works without this script except for uploading.
(function () {
  "use strict";
  var form = document.getElementById("deliver");
  if (!form) { return; }
  var bar = document.getElementById("deliver-progress");
  var status = document.getElementById("deliver-status");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = form.elements.file.files[0];
    if (!file) { return; }
    var query = new URLSearchParams({ file_name: file.name });
    ["encoding", "sheet", "types"].forEach(function (name) {
      var value = form.elements[name].value.trim();
      if (value) { query.set(name, value); }
    });
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action") + "?" + query.toString());
    xhr.setRequestHeader("x-csrf-token", form.dataset.csrf);
    xhr.setRequestHeader("accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); }
    });
    xhr.addEventListener("load", function () {
      var reply = {};
      try { reply = JSON.parse(xhr.responseText); } catch (ignored) { reply = {}; }
      if (xhr.status === 201) {
        window.location.assign("/ingests/" + reply.ingest.id);
      } else {
        form.querySelector("button").disabled = false;
        status.className = "notice error";
        status.textContent = reply.detail || ("HTTP " + xhr.status);
      }
    });
    xhr.addEventListener("error", function () {
      form.querySelector("button").disabled = false;
      status.className = "notice error";
      status.textContent = "network error";
    });
    bar.hidden = false;
    bar.value = 0;
    status.className = "";
    status.textContent = "";
    form.querySelector("button").disabled = true;
    xhr.send(file);
  });
}());
