// The console's uploads: each streams the chosen file as the request
// body (a delivery starts ingesting with the first byte) and shows the
// upload's progress. The pages work without this script except for
// uploading.
(function () {
  "use strict";

  // Sends the form's file to its upload address (its action unless it
  // names another) with `query`; `done` gets the parsed reply of a
  // successful upload.
  function upload(form, query, done) {
    var bar = form.querySelector("progress");
    var status = form.querySelector("[role=status]");
    var button = form.querySelector("button");
    var file = form.elements.file.files[0];
    if (!file) { return; }
    query.set("file_name", file.name);
    var xhr = new XMLHttpRequest();
    var address = form.dataset.upload || form.getAttribute("action");
    xhr.open("POST", address + "?" + query.toString());
    xhr.setRequestHeader("x-csrf-token", form.dataset.csrf);
    xhr.setRequestHeader("accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); }
    });
    function fail(text) {
      button.disabled = false;
      status.className = "notice error";
      status.textContent = text;
    }
    xhr.addEventListener("load", function () {
      var reply = {};
      try { reply = JSON.parse(xhr.responseText); } catch (ignored) { reply = {}; }
      if (xhr.status === 201) { done(reply); } else { fail(reply.title || ("HTTP " + xhr.status)); }
    });
    xhr.addEventListener("error", function () { fail("network error"); });
    bar.hidden = false;
    bar.value = 0;
    status.className = "";
    status.textContent = "";
    button.disabled = true;
    xhr.send(file);
  }

  var deliver = document.getElementById("deliver");
  if (deliver) {
    deliver.addEventListener("submit", function (event) {
      event.preventDefault();
      var query = new URLSearchParams();
      ["encoding", "sheet", "types"].forEach(function (name) {
        var value = deliver.elements[name].value.trim();
        if (value) { query.set(name, value); }
      });
      upload(deliver, query, function (reply) {
        window.location.assign("/ingests/" + reply.ingest.id);
      });
    });
  }

  var deliverable = document.getElementById("deliverable");
  if (deliverable) {
    deliverable.addEventListener("submit", function (event) {
      event.preventDefault();
      var query = new URLSearchParams();
      query.set("body", deliverable.elements.body.value);
      upload(deliverable, query, function () { window.location.reload(); });
    });
  }

  var table = document.getElementById("upload");
  if (table) {
    table.addEventListener("submit", function (event) {
      event.preventDefault();
      var query = new URLSearchParams();
      query.set("name", table.elements.name.value.trim());
      upload(table, query, function () { window.location.reload(); });
    });
  }

  // Feedback goes as a plain form unless a file is chosen.
  var feedback = document.getElementById("feedback");
  if (feedback) {
    feedback.addEventListener("submit", function (event) {
      if (!feedback.elements.file.files[0]) { return; }
      event.preventDefault();
      var query = new URLSearchParams();
      ["kind", "title", "link"].forEach(function (name) {
        query.set(name, feedback.elements[name].value.trim());
      });
      upload(feedback, query, function () { window.location.assign("/feedback"); });
    });
  }

  var evidence = document.getElementById("evidence");
  if (evidence) {
    evidence.addEventListener("submit", function (event) {
      event.preventDefault();
      upload(evidence, new URLSearchParams(), function () { window.location.reload(); });
    });
  }
}());
