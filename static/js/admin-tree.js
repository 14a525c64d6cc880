/* orgportal: the department tree in the admin. Branches fold, and departments move by dragging
   their handle onto another row: its top third places them before it, its middle inside it (as
   the last sub-department) and its bottom third after it, or, when the row's sub-departments
   show right below it, in as its first sub-department. A line and a label show where the
   department will land before it is dropped. Without JavaScript the table still lists the tree
   and the change form's parent field moves a department. */
(function () {
  "use strict";

  var contextElement = document.getElementById("tree-admin-context");
  var table = document.getElementById("result_list");
  if (!contextElement || !table) {
    return;
  }
  var context = JSON.parse(contextElement.textContent);

  var nodes = Array.from(table.querySelectorAll("tbody tr"))
    .map(function (row) {
      var marker = row.querySelector(".tree-node");
      if (!marker) {
        return null;
      }
      return {
        row: row,
        pk: marker.dataset.pk,
        parent: marker.dataset.parent,
        level: Number(marker.dataset.level),
        name: marker.textContent,
        toggle: row.querySelector(".tree-toggle"),
        open: true,
      };
    })
    .filter(Boolean);
  nodes.forEach(function (node, index) {
    node.index = index;
  });

  function descendantsOf(node) {
    var below = [];
    for (var index = node.index + 1; index < nodes.length; index += 1) {
      if (nodes[index].level <= node.level) {
        break;
      }
      below.push(nodes[index]);
    }
    return below;
  }

  function nodeOfRow(row) {
    for (var index = 0; index < nodes.length; index += 1) {
      if (nodes[index].row === row) {
        return nodes[index];
      }
    }
    return null;
  }

  /* Folding */

  function showBranch(node) {
    var below = descendantsOf(node);
    var hiddenUnder = Infinity;
    below.forEach(function (child) {
      if (child.level > hiddenUnder) {
        return;
      }
      hiddenUnder = Infinity;
      child.row.hidden = !node.open;
      if (node.open && !child.open) {
        hiddenUnder = child.level;
      }
    });
  }

  function setOpen(node, open) {
    node.open = open;
    node.toggle.setAttribute("aria-expanded", open ? "true" : "false");
    node.row.classList.toggle("tree-closed", !open);
    if (open) {
      showBranch(node);
    } else {
      descendantsOf(node).forEach(function (child) {
        child.row.hidden = true;
      });
    }
  }

  nodes.forEach(function (node) {
    if (node.toggle && !node.toggle.disabled) {
      node.toggle.hidden = false;
      node.toggle.addEventListener("click", function (event) {
        event.preventDefault();
        setOpen(node, !node.open);
      });
    } else if (node.toggle) {
      node.toggle.hidden = false;
      node.toggle.classList.add("tree-toggle--leaf");
    }
  });

  /* Dragging */

  if (!context.draggable || nodes.length < 2) {
    table.classList.add("tree-static");
    return;
  }
  table.classList.add("tree-draggable");
  var help = document.querySelector("[data-tree-help]");
  if (help) {
    help.hidden = false;
  }

  var drag = null;

  function hasVisibleChildren(node) {
    var next = nodes[node.index + 1];
    return Boolean(next && next.level > node.level && !next.row.hidden);
  }

  function clearTarget() {
    if (drag && drag.target) {
      drag.target.row.classList.remove(
        "tree-drop-before",
        "tree-drop-after",
        "tree-drop-inside",
        "tree-drop-first"
      );
    }
    if (drag) {
      drag.target = null;
      drag.position = null;
      drag.label.hidden = true;
    }
  }

  // Return where a drop at clientY on the node's row would put the dragged department.
  function positionAt(node, clientY) {
    var box = node.row.getBoundingClientRect();
    var share = (clientY - box.top) / box.height;
    if (node.level === 0) {
      return "last-child"; // Nothing stands beside the company.
    }
    if (share < 1 / 3) {
      return "left";
    }
    if (share > 2 / 3) {
      return hasVisibleChildren(node) ? "first-child" : "right";
    }
    return "last-child";
  }

  var ROW_CLASS = {
    left: "tree-drop-before",
    right: "tree-drop-after",
    "last-child": "tree-drop-inside",
    "first-child": "tree-drop-first",
  };

  function showTarget(node, position, event) {
    if (drag.target !== node || drag.position !== position) {
      clearTarget();
      drag.target = node;
      drag.position = position;
      node.row.classList.add(ROW_CLASS[position]);
      drag.label.textContent = context.hints[position].replace("{name}", node.name);
      drag.label.dataset.position = position;
      drag.label.hidden = false;
    }
    drag.label.style.left = event.clientX + 16 + "px";
    drag.label.style.top = event.clientY + 14 + "px";
  }

  function onMove(event) {
    if (!drag) {
      return;
    }
    event.preventDefault();
    drag.ghost.style.left = event.clientX + 12 + "px";
    drag.ghost.style.top = event.clientY - 34 + "px";
    var element = document.elementFromPoint(event.clientX, event.clientY);
    var row = element && element.closest("#result_list tbody tr");
    var node = row && nodeOfRow(row);
    if (!node || drag.excluded.indexOf(node) !== -1) {
      clearTarget();
    } else {
      showTarget(node, positionAt(node, event.clientY), event);
    }
    // Scroll the page when the pointer nears its top or bottom edge.
    if (event.clientY < 40) {
      window.scrollBy(0, -20);
    } else if (event.clientY > window.innerHeight - 40) {
      window.scrollBy(0, 20);
    }
  }

  function endDrag() {
    clearTarget();
    drag.node.row.classList.remove("tree-dragging");
    drag.excluded.forEach(function (node) {
      node.row.classList.remove("tree-drop-excluded");
    });
    drag.ghost.remove();
    drag.label.remove();
    document.body.classList.remove("tree-is-dragging");
    document.removeEventListener("pointermove", onMove);
    document.removeEventListener("pointerup", onDrop);
    document.removeEventListener("keydown", onKey);
    drag = null;
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function onDrop(event) {
    if (!drag) {
      return;
    }
    event.preventDefault();
    var node = drag.node;
    var target = drag.target;
    var position = drag.position;
    endDrag();
    if (!target) {
      return;
    }
    var body = new URLSearchParams({
      cmd: "move_node",
      cut_item: node.pk,
      pasted_on: target.pk,
      position: position,
    });
    table.classList.add("tree-busy");
    fetch(window.location.pathname, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        // The page shows the tree as it now stands, with the admin's message about the move.
        window.location.reload();
      })
      .catch(function () {
        table.classList.remove("tree-busy");
        window.alert(context.failed);
      });
  }

  function onKey(event) {
    if (event.key === "Escape" && drag) {
      event.preventDefault();
      endDrag();
    }
  }

  function startDrag(node, event) {
    if (event.button !== 0) {
      return;
    }
    event.preventDefault();
    var ghost = document.createElement("div");
    ghost.className = "tree-ghost";
    ghost.textContent = node.name;
    var label = document.createElement("div");
    label.className = "tree-drop-label";
    label.setAttribute("role", "status");
    label.hidden = true;
    document.body.append(ghost, label);
    drag = {
      node: node,
      excluded: [node].concat(descendantsOf(node)),
      ghost: ghost,
      label: label,
      target: null,
      position: null,
    };
    node.row.classList.add("tree-dragging");
    drag.excluded.forEach(function (excluded) {
      excluded.row.classList.add("tree-drop-excluded");
    });
    document.body.classList.add("tree-is-dragging");
    document.addEventListener("pointermove", onMove);
    document.addEventListener("pointerup", onDrop);
    document.addEventListener("keydown", onKey);
    onMove(event);
  }

  nodes.forEach(function (node) {
    var handle = node.row.querySelector(".tree-handle");
    if (handle && node.level > 0) {
      handle.classList.add("tree-handle--active");
      handle.addEventListener("pointerdown", function (event) {
        startDrag(node, event);
      });
    }
  });
})();
