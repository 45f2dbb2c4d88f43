// Drag a visit onto an engineer's row: fill the hidden move form and submit it as a "Check"
// (a dry run); the page then shows the checker's verdict and a "Move" button to confirm.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("drag-form");
    if (!form) return;
    var dragged = null;
    document.querySelectorAll(".stop[draggable=true]").forEach(function (stop) {
      stop.addEventListener("dragstart", function (e) {
        dragged = stop.dataset.workOrder;
        e.dataTransfer.setData("text/plain", dragged);
        e.dataTransfer.effectAllowed = "move";
      });
    });
    document.querySelectorAll(".board-row[data-engineer]").forEach(function (row) {
      row.addEventListener("dragover", function (e) { if (dragged) { e.preventDefault(); row.classList.add("drop-target"); } });
      row.addEventListener("dragleave", function () { row.classList.remove("drop-target"); });
      row.addEventListener("drop", function (e) {
        e.preventDefault();
        row.classList.remove("drop-target");
        var wo = dragged || e.dataTransfer.getData("text/plain");
        if (!wo) return;
        // The position: how many of the row's other visits start left of the drop point.
        var position = 0;
        row.querySelectorAll(".stop").forEach(function (other) {
          if (other.dataset.workOrder !== wo && other.getBoundingClientRect().left < e.clientX) position += 1;
        });
        form.elements.work_order.value = wo;
        form.elements.engineer.value = row.dataset.engineer;
        form.elements.position.value = String(position);
        form.submit();
      });
    });
  });
})();
