/* orgportal: the order of a role's duties in the admin. Each duty row has a drag handle and up
   and down buttons; moving a row renumbers the hidden order fields in the order the rows stand,
   and Save keeps it. Without JavaScript the buttons submit the form, and the admin saves it and
   moves the duty one place (roles/admin.py). */
(function () {
  "use strict";

  function rowsOf(body) {
    return Array.from(body.querySelectorAll(":scope > tr.form-row")).filter(function (row) {
      return !row.classList.contains("empty-form") && row.querySelector("[data-duty-order]");
    });
  }

  function renumber(body) {
    rowsOf(body).forEach(function (row, index) {
      row.querySelector("[data-order-input]").value = String(index);
    });
  }

  // Move a row with the error list row that Django puts right above it, if any.
  function moveRow(row, before) {
    var errors = row.previousElementSibling;
    var body = row.parentElement;
    body.insertBefore(row, before);
    if (errors && errors.classList.contains("row-form-errors")) {
      body.insertBefore(errors, row);
    }
  }

  function step(row, direction) {
    var body = row.parentElement;
    var rows = rowsOf(body);
    var index = rows.indexOf(row);
    var other = rows[index + (direction === "up" ? -1 : 1)];
    if (!other) {
      return;
    }
    moveRow(row, direction === "up" ? other : other.nextElementSibling);
    renumber(body);
  }

  function setUpRow(row) {
    var widget = row.querySelector("[data-duty-order]");
    if (!widget || widget.dataset.ready) {
      return;
    }
    widget.dataset.ready = "1";
    var handle = widget.querySelector(".duty-order__handle");
    handle.hidden = false;
    widget.querySelectorAll("[data-move]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        step(row, button.dataset.move);
        button.focus();
      });
    });
    handle.addEventListener("pointerdown", function (event) {
      startDrag(row, event);
    });
  }

  var drag = null;

  function onMove(event) {
    event.preventDefault();
    var body = drag.row.parentElement;
    // The row follows the pointer: it goes before the first row whose middle is below it.
    var before = null;
    rowsOf(body).some(function (row) {
      if (row === drag.row) {
        return false;
      }
      var box = row.getBoundingClientRect();
      if (event.clientY < box.top + box.height / 2) {
        before = row;
        return true;
      }
      return false;
    });
    var last = rowsOf(body).slice(-1)[0];
    var target = before || (last === drag.row ? null : last.nextElementSibling);
    if (target !== drag.row && target !== drag.row.nextElementSibling) {
      moveRow(drag.row, target);
    }
    if (event.clientY < 40) {
      window.scrollBy(0, -20);
    } else if (event.clientY > window.innerHeight - 40) {
      window.scrollBy(0, 20);
    }
  }

  function onUp() {
    drag.row.classList.remove("duty-order--dragging");
    document.body.classList.remove("duty-order--active");
    renumber(drag.row.parentElement);
    document.removeEventListener("pointermove", onMove);
    document.removeEventListener("pointerup", onUp);
    drag = null;
  }

  function startDrag(row, event) {
    if (event.button !== 0) {
      return;
    }
    event.preventDefault();
    drag = { row: row };
    row.classList.add("duty-order--dragging");
    document.body.classList.add("duty-order--active");
    document.addEventListener("pointermove", onMove);
    document.addEventListener("pointerup", onUp);
  }

  function setUp() {
    document.querySelectorAll("tr.form-row").forEach(setUpRow);
  }

  document.addEventListener("DOMContentLoaded", setUp);
  // Django's inline script adds a row for "Add another"; it goes last, where new duties go.
  document.addEventListener("formset:added", function (event) {
    setUpRow(event.target.closest("tr") || event.target);
  });
})();
