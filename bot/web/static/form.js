/* Saves each answer as it is given and shows the questions that now apply; the server
   decides both (the same engine as the chat). Without this script the page still works:
   "Lưu" and "Tiếp tục" post the whole form. */
(function () {
  "use strict";
  var form = document.getElementById("draft");
  if (!form || !window.fetch || !window.FormData) { return; }
  var version = document.getElementById("version");
  var csrf = form.querySelector("input[name=csrf]").value;
  var url = form.getAttribute("data-answer");
  var busy = Promise.resolve();

  function show(result) {
    if (result.stale) { window.location.reload(); return; }
    version.value = result.version;
    document.querySelectorAll("form.cancel input.v").forEach(function (v) { v.value = result.version; });
    document.querySelectorAll("fieldset.q").forEach(function (box) {
      var key = box.getAttribute("data-key");
      box.hidden = result.visible.indexOf(key) < 0;
      var error = document.getElementById("error-" + key);
      var text = result.errors[key];
      error.textContent = text || "";
      error.hidden = !text;
      box.classList.toggle("bad", !!text);
    });
  }

  function send(name) {
    var data = new FormData();
    data.append("v", version.value);
    form.querySelectorAll("[name='" + name + "']").forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) { return; }
      data.append(name, input.value);
    });
    if (name.slice(-2) === "[]" && !data.has(name)) { data.append(name, ""); }
    busy = busy.then(function () {
      data.set("v", version.value);
      return fetch(url, {method: "POST", body: data, credentials: "same-origin",
                         headers: {"X-CSRF-Token": csrf}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (result) { if (result) { show(result); } })
        .catch(function () { /* offline: the page's buttons post everything later */ });
    });
  }

  // A press right after typing: the answer's own save goes first, then the page posts
  // with the version it returned (else the page would look stale to the server).
  var submitting = false;
  form.addEventListener("submit", function (event) {
    if (submitting) { return; }
    event.preventDefault();
    var submitter = event.submitter;
    busy.then(function () {
      // A task later, not a microtask: while the first submit event is still being
      // dispatched the browser ignores another submission of the same form.
      window.setTimeout(function () {
        submitting = true;
        if (form.requestSubmit && submitter) { form.requestSubmit(submitter); } else { form.submit(); }
      }, 0);
    });
  });

  form.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.name || input.name.indexOf("q.") !== 0) { return; }
    if (input.type === "file") { form.querySelector("#save").click(); return; }
    send(input.name);
  });
})();
