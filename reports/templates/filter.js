(function () {
  "use strict";
  var bar = document.getElementById("finding-filter");
  var table = document.getElementById("findings-table");
  if (!bar || !table) { return; }
  bar.hidden = false;
  var rows = table.querySelectorAll("tbody tr[data-statuses]");
  var buttons = bar.querySelectorAll("button[data-show]");
  function show(status) {
    for (var i = 0; i < rows.length; i++) {
      var has = (" " + rows[i].getAttribute("data-statuses") + " ").indexOf(" " + status + " ") >= 0;
      rows[i].hidden = status !== "all" && !has;
    }
    for (var j = 0; j < buttons.length; j++) {
      buttons[j].setAttribute("aria-pressed", String(buttons[j].getAttribute("data-show") === status));
    }
  }
  for (var k = 0; k < buttons.length; k++) {
    buttons[k].addEventListener("click", function (event) { show(event.currentTarget.getAttribute("data-show")); });
  }
  window.addEventListener("beforeprint", function () { show("all"); });
})();
