// Small conveniences on top of pages that work without JavaScript:
// ticking a facet value searches at once (a box ticked from the keyboard has the focus
// again on the new page), long facet lists filter as you type, empty fields are left
// out of the URL so links stay short, and a table that fits is no Tab stop.
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

  var FOCUS_KEY = "transcripts.focus";
  var lastInputWasKey = false;
  document.addEventListener("keydown", function () { lastInputWasKey = true; }, true);
  document.addEventListener("pointerdown", function () { lastInputWasKey = false; }, true);

  function autoSubmit(form) {
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target instanceof HTMLInputElement && target.type === "checkbox") {
        if (lastInputWasKey) {
          try {
            sessionStorage.setItem(FOCUS_KEY, JSON.stringify([target.name, target.value]));
          } catch (e) { /* storage refused: focus simply starts at the top */ }
        }
        form.classList.add("is-loading");
        form.requestSubmit();
      }
    });
  }

  // Without this a keyboard user who ticks a box starts again at the top of the page
  // and has to Tab through every result to reach the filters again.
  function restoreFocus(form) {
    var saved;
    try {
      saved = JSON.parse(sessionStorage.getItem(FOCUS_KEY) || "null");
      sessionStorage.removeItem(FOCUS_KEY);
    } catch (e) {
      return;
    }
    if (!saved) {
      return;
    }
    var boxes = form.querySelectorAll("input[type=checkbox]");
    for (var i = 0; i < boxes.length; i += 1) {
      if (boxes[i].name === saved[0] && boxes[i].value === saved[1]) {
        var details = boxes[i].closest("details");
        if (details) {
          details.open = true;
        }
        boxes[i].focus();
        return;
      }
    }
  }

  // Lower case without accents, as the index folds words (index/schema.py): "erdogan"
  // finds "Erdoğan" among the values (a little more leniently: here й is и too).
  var STROKES = { "ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ŧ": "t", "ı": "i" };
  function fold(text) {
    return text
      .toLowerCase()
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/[øłđħŧı]/g, function (c) { return STROKES[c]; });
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
      var needle = fold(box.value.trim());
      var shown = 0;
      items.forEach(function (item) {
        var text = fold(item.querySelector(".facet-value").textContent);
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

  // A table too wide for the screen scrolls in its box, which therefore takes the focus
  // (tabindex="0" in the page, so arrow keys scroll it without JavaScript too). Where the
  // table fits, that stop would do nothing: it is taken out of the Tab order.
  function scrollStops() {
    document.querySelectorAll(".table-scroll").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
      } else if (box !== document.activeElement) {
        box.removeAttribute("tabindex");
      }
    });
  }

  ready(function () {
    scrollStops();
    window.addEventListener("resize", scrollStops);
    var form = document.getElementById("search-form");
    if (form) {
      cleanSubmit(form);
      autoSubmit(form);
      restoreFocus(form);
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
