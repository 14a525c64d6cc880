/* Start ReDoc on the API reference page (templates/drf_spectacular/redoc.html). */
(function () {
  "use strict";
  var container = document.getElementById("redoc-container");
  if (!container || !window.Redoc) {
    return;
  }
  var settings = {};
  try {
    settings = JSON.parse(container.getAttribute("data-settings") || "{}");
  } catch (error) {
    settings = {};
  }
  window.Redoc.init(container.getAttribute("data-schema-url"), settings, container);
})();
