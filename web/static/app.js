// Small conveniences on top of pages that work without JavaScript:
// ticking a facet value searches at once, long facet lists filter as you type,
// and empty fields are left out of the URL so links stay short.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function ready(fn) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", fn);
    } else {
      fn();
    }
  }

  function cleanSubmit(form) {
    form.addEventListener("submit", function (event) {
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, name) {
        if (typeof value === "string" && value.trim() !== "") {
          params.append(name, value);
        }
      });
      event.preventDefault();
      var query = params.toString();
      window.location.assign(form.action.split("?")[0] + (query ? "?" + query : ""));
    });
  }

  function autoSubmit(form) {
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target instanceof HTMLInputElement && target.type === "checkbox") {
        form.classList.add("is-loading");
        form.requestSubmit();
      }
    });
  }

  function facetFilter(fieldset) {
    var box = fieldset.querySelector(".facet-filter");
    if (!box) {
      return;
    }
    var details = fieldset.querySelector(".facet-more");
    var none = fieldset.querySelector(".facet-nomatch");
    var items = fieldset.querySelectorAll(".facet-item");
    box.hidden = false;
    box.addEventListener("input", function () {
      var needle = box.value.trim().toLowerCase();
      var shown = 0;
      items.forEach(function (item) {
        var text = item.querySelector(".facet-value").textContent.toLowerCase();
        var match = needle === "" || text.indexOf(needle) !== -1;
        item.hidden = !match;
        if (match) {
          shown += 1;
        }
      });
      if (details) {
        if (needle !== "") {
          if (!details.open) {
            details.dataset.openedByFilter = "1";
          }
          details.open = true;
        } else if (details.dataset.openedByFilter) {
          details.open = false;
          delete details.dataset.openedByFilter;
        }
      }
      if (none) {
        none.hidden = shown !== 0;
      }
    });
    box.addEventListener("keydown", function (event) {
      // Enter in the filter box must not submit the whole search form.
      if (event.key === "Enter") {
        event.preventDefault();
      }
    });
  }

  ready(function () {
    var form = document.getElementById("search-form");
    if (form) {
      cleanSubmit(form);
      autoSubmit(form);
      form.querySelectorAll("fieldset.facet").forEach(facetFilter);
    }
  });

  // Coming Back to a page restored from the cache: it must not look busy.
  window.addEventListener("pageshow", function () {
    var form = document.getElementById("search-form");
    if (form) {
      form.classList.remove("is-loading");
    }
  });
})();
