/* orgportal: progressive behaviour for the org chart and search. Every page also works
   without it. */
(function () {
  "use strict";

  // The printable area of A4 landscape with 10 mm margins, in CSS pixels (96 per inch),
  // less room for the page title above the chart.
  var PRINT_WIDTH = 1040;
  var PRINT_HEIGHT = 600;

  function branchOf(node) {
    return node.querySelector(":scope > details[data-branch]");
  }

  function linkOf(node) {
    return node.querySelector(":scope > * > [data-node-link]");
  }

  function parentOf(node) {
    return node.parentElement ? node.parentElement.closest("li[data-node]") : null;
  }

  function childrenOf(node) {
    var branch = branchOf(node);
    return branch ? Array.from(branch.querySelectorAll(":scope > ul > li[data-node]")) : [];
  }

  function siblingOf(node, step) {
    var sibling = step > 0 ? node.nextElementSibling : node.previousElementSibling;
    return sibling && sibling.matches("li[data-node]") ? sibling : null;
  }

  function onDemandOf(node) {
    return node.querySelector(":scope > a[data-branch-url]");
  }

  // Opens a branch drawn on demand first, then moves to its first department.
  function openAndEnter(node) {
    var link = onDemandOf(node);
    if (link) {
      openOnDemand(link).then(function () {
        var child = childrenOf(node)[0];
        if (child) {
          linkOf(child).focus();
        }
      });
    }
    return null;
  }

  function firstChildOf(node) {
    var branch = branchOf(node);
    if (!branch) {
      return openAndEnter(node);
    }
    branch.open = true;
    return childrenOf(node)[0] || null;
  }

  function visibleLinks(tree) {
    return Array.from(tree.querySelectorAll("[data-node-link]")).filter(function (link) {
      return link.getClientRects().length > 0;
    });
  }

  function syncExpanded(branch) {
    var summary = branch.querySelector(":scope > summary");
    if (summary) {
      summary.setAttribute("aria-expanded", branch.open ? "true" : "false");
    }
  }

  function chartKey(key, node) {
    if (key === "ArrowRight") return siblingOf(node, 1);
    if (key === "ArrowLeft") return siblingOf(node, -1);
    if (key === "ArrowDown") return firstChildOf(node);
    if (key === "ArrowUp") return parentOf(node);
    return null;
  }

  function outlineKey(key, node, tree, link) {
    var branch = branchOf(node);
    if (key === "ArrowDown" || key === "ArrowUp") {
      var links = visibleLinks(tree);
      return links[links.indexOf(link) + (key === "ArrowDown" ? 1 : -1)] || null;
    }
    if (key === "ArrowRight") {
      if (!branch && onDemandOf(node)) {
        openOnDemand(onDemandOf(node)).then(function () {
          link.focus();
        });
        return null;
      }
      if (branch && !branch.open) {
        branch.open = true;
        return link;
      }
      return childrenOf(node)[0] || null;
    }
    if (key === "ArrowLeft") {
      if (branch && branch.open && !branch.hasAttribute("data-root")) {
        branch.open = false;
        return link;
      }
      return parentOf(node);
    }
    return null;
  }

  function setUpBranches(container) {
    container.querySelectorAll("details[data-branch]").forEach(function (branch) {
      syncExpanded(branch);
      branch.addEventListener("toggle", function () {
        syncExpanded(branch);
      });
    });
  }

  // A closed card whose branch is not drawn has a link instead of a toggle: to the chart
  // opened at it (without JavaScript), and to its fragment, which is fetched and put in the
  // link's place, open. "Show more" fetches the next page of a very wide branch.
  function fetchFragment(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } }).then(
      function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.text();
      }
    );
  }

  function parseFragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    return template.content.querySelector("details[data-branch]");
  }

  function openOnDemand(link) {
    if (link.getAttribute("aria-busy") === "true") {
      return Promise.resolve(null);
    }
    link.setAttribute("aria-busy", "true");
    return fetchFragment(link.dataset.branchUrl)
      .then(function (html) {
        var branch = parseFragment(html);
        if (!branch) {
          throw new Error("no branch");
        }
        link.replaceWith(branch);
        setUpBranches(branch.parentElement);
        return branch;
      })
      .catch(function () {
        window.location.href = link.href; // the chart opened at it, drawn by the server
        return null;
      });
  }

  function showMore(link) {
    var item = link.closest("[data-more]");
    if (!item || link.getAttribute("aria-busy") === "true") {
      return;
    }
    link.setAttribute("aria-busy", "true");
    fetchFragment(link.dataset.moreUrl)
      .then(function (html) {
        var branch = parseFragment(html);
        var list = branch && branch.querySelector(":scope > ul");
        if (!list) {
          throw new Error("no branch");
        }
        var first = null;
        var level = item.parentElement;
        Array.from(list.children).forEach(function (child) {
          var card = child.querySelector(":scope > [id]");
          var drawn = card && document.getElementById(card.id);
          // A department on the way to a focus is drawn beyond the first page already: it
          // stays, and the departments before it go before it.
          if (drawn) {
            drawn.closest("li[data-node]").removeAttribute("data-beyond-page");
            return;
          }
          if (child.matches("[data-more]")) {
            item.before(child); // the next "show more" stays last
            return;
          }
          (level.querySelector(":scope > li[data-beyond-page]") || item).before(child);
          setUpBranches(child);
          first = first || child;
        });
        item.remove();
        var firstLink = first && linkOf(first);
        if (firstLink) {
          firstLink.focus();
        }
      })
      .catch(function () {
        window.location.href = link.href;
      });
  }

  function setUpTree(tree) {
    setUpBranches(tree);

    tree.addEventListener("click", function (event) {
      if (event.button !== 0 || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) {
        return;
      }
      var onDemand = event.target.closest("a[data-branch-url]");
      var more = event.target.closest("a[data-more-url]");
      if (onDemand) {
        event.preventDefault();
        openOnDemand(onDemand).then(function (branch) {
          var summary = branch && branch.querySelector(":scope > summary");
          if (summary) {
            summary.focus();
          }
        });
      } else if (more) {
        event.preventDefault();
        showMore(more);
      }
    });

    tree.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) {
        return;
      }
      var link = event.target.closest("[data-node-link]");
      if (!link) {
        return;
      }
      var node = link.closest("li[data-node]");
      var target = null;
      if (event.key === "Home" || event.key === "End") {
        var links = visibleLinks(tree);
        target = event.key === "Home" ? links[0] : links[links.length - 1];
      } else if (tree.dataset.tree === "chart") {
        target = chartKey(event.key, node);
      } else {
        target = outlineKey(event.key, node, tree, link);
      }
      if (target) {
        event.preventDefault();
        (target.matches("[data-node-link]") ? target : linkOf(target)).focus();
      }
    });
  }

  function setAll(open) {
    document.querySelectorAll("[data-tree] details[data-branch]").forEach(function (branch) {
      branch.open = open || branch.hasAttribute("data-root");
    });
  }

  // A chart wider than the screen opens scrolled to its root, which sits in the middle (on a
  // phone the root stands at the left, so the chart opens at its start).
  function centreChartRoot() {
    var scroller = document.querySelector(".chart-scroll");
    var card = scroller && scroller.querySelector(".org-card--root");
    if (card && scroller.scrollWidth > scroller.clientWidth) {
      var box = card.getBoundingClientRect();
      var view = scroller.getBoundingClientRect();
      scroller.scrollLeft += box.left + box.width / 2 - (view.left + scroller.clientWidth / 2);
    }
  }

  // On a narrow screen a long introduction shows three lines and a button that opens it all.
  // Without the script it shows in full.
  function clampLongText(element) {
    if (!window.matchMedia("(max-width: 720px)").matches) {
      return;
    }
    element.classList.add("is-clamped");
    if (element.scrollHeight <= element.clientHeight + 1) {
      element.classList.remove("is-clamped");
      return;
    }
    var toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "lead-toggle";
    toggle.textContent = element.dataset.more;
    toggle.setAttribute("aria-expanded", "false");
    if (element.id) {
      toggle.setAttribute("aria-controls", element.id);
    }
    toggle.addEventListener("click", function () {
      var open = element.classList.toggle("is-clamped") === false;
      toggle.textContent = open ? element.dataset.less : element.dataset.more;
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
    element.after(toggle);
  }

  function fitChartToPage() {
    var chart = document.querySelector(".org-chart");
    var root = chart && chart.querySelector(":scope > .org-node");
    if (!root) {
      return;
    }
    var box = root.getBoundingClientRect();
    var zoom = Math.min(1, PRINT_WIDTH / box.width, PRINT_HEIGHT / box.height);
    chart.style.setProperty("--print-zoom", zoom.toFixed(3));
  }

  var actions = {
    "expand-all": function () {
      setAll(true);
    },
    "collapse-all": function () {
      setAll(false);
    },
    print: function () {
      window.print();
    },
  };

  // A field with data-typeahead offers, in its datalist, what that URL answers to the text
  // typed so far: {"departments": [{"code", "name"}]}. Without JavaScript it is a text field.
  function setUpTypeahead(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null;
    var asked = "";
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var typed = input.value.trim();
        if (!typed || typed === asked || !list) {
          return;
        }
        asked = typed;
        var url = new URL(input.dataset.typeahead, window.location.href);
        url.searchParams.set("q", typed);
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) {
            return response.ok ? response.json() : { departments: [] };
          })
          .then(function (data) {
            if (asked !== typed) {
              return; // a later answer is on its way
            }
            list.replaceChildren.apply(
              list,
              data.departments.map(function (department) {
                var option = document.createElement("option");
                option.value = department.code;
                option.label = department.name;
                option.textContent = department.name;
                return option;
              })
            );
          })
          .catch(function () {});
      }, 150);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-tree]").forEach(setUpTree);
    document.querySelectorAll("[data-typeahead]").forEach(setUpTypeahead);

    document.querySelectorAll("[data-action]").forEach(function (button) {
      var action = actions[button.dataset.action];
      if (action) {
        button.hidden = false;
        button.addEventListener("click", action);
      }
    });

    document.querySelectorAll("[data-js-only]").forEach(function (element) {
      element.hidden = false;
    });

    document.querySelectorAll("[data-clamp]").forEach(clampLongText);

    centreChartRoot();
  });

  // After the load, when the browser has scrolled to any #fragment (which moves the focus).
  window.addEventListener("load", function () {
    var focused = document.querySelector("[data-tree] [aria-current='true']");
    if (focused) {
      focused.scrollIntoView({ block: "center", inline: "center" });
      var link = focused.querySelector("[data-node-link]");
      if (link) {
        link.focus({ preventScroll: true });
      }
    }
  });

  window.addEventListener("beforeprint", fitChartToPage);
  window.addEventListener("afterprint", function () {
    var chart = document.querySelector(".org-chart");
    if (chart) {
      chart.style.removeProperty("--print-zoom");
    }
  });
})();
