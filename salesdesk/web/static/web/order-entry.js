/* Order entry: keyboard-first comboboxes, line rows, live quotes (htmx), review shortcut.
 *
 * Keys: ↑/↓ move in a suggestion list, Enter picks; Enter in a field moves to the next field; Enter on the
 * last quantity adds a line; Alt+Delete removes the current line; Ctrl+Enter or Alt+S goes to the review.
 */
(function () {
  "use strict";

  const form = document.getElementById("order-form");
  if (!form) return;
  const body = document.getElementById("lines-body");
  const template = document.getElementById("line-template");
  let nextIndex = parseInt(form.dataset.nextIndex || "1", 10);
  let requoteTimer = null;

  function requote() {
    clearTimeout(requoteTimer);
    requoteTimer = setTimeout(function () {
      htmx.trigger(document.body, "requote");
    }, 250);
  }

  function options(listbox) {
    return Array.from(listbox.querySelectorAll("[role=option]"));
  }

  function closeList(input, listbox) {
    listbox.innerHTML = "";
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function setActive(input, listbox, index) {
    const opts = options(listbox);
    if (!opts.length) return;
    index = (index + opts.length) % opts.length;
    opts.forEach(function (o, i) {
      o.classList.toggle("active", i === index);
      o.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    input.setAttribute("aria-activedescendant", opts[index].id);
    opts[index].scrollIntoView({ block: "nearest" });
  }

  function activeIndex(listbox) {
    return options(listbox).findIndex(function (o) {
      return o.classList.contains("active");
    });
  }

  function rowOf(el) {
    return el.closest("tr[data-line]");
  }

  function focusField(row, name) {
    const el = row && row.querySelector('[data-field="' + name + '"]');
    if (el) {
      el.focus();
      if (el.select) el.select();
    }
  }

  function addLine(product) {
    const html = template.innerHTML.replace(/__N__/g, String(nextIndex));
    nextIndex += 1;
    body.insertAdjacentHTML("beforeend", html);
    const row = body.lastElementChild;
    htmx.process(row);
    if (product) fillProduct(row, product.value, product.label);
    return row;
  }

  function fillProduct(row, value, label) {
    row.querySelector('[data-field="product"]').value = value;
    row.querySelector('[data-field="product_label"]').value = label;
    row.querySelector('[data-field="manual"]').value = "0";
    row.querySelector('[data-field="unit_price"]').value = "";
  }

  function emptyLastRow() {
    const row = body.lastElementChild;
    if (row && !row.querySelector('[data-field="product"]').value) return row;
    return null;
  }

  function choose(input, option) {
    const listbox = document.getElementById(input.dataset.listbox);
    const hidden = document.getElementById(input.dataset.value);
    hidden.value = option.dataset.value;
    input.value = option.dataset.label;
    closeList(input, listbox);
    if (input.dataset.combobox === "customer") {
      htmx.ajax("GET", form.dataset.sidebarUrl + "?customer=" + encodeURIComponent(hidden.value), {
        target: "#sidebar",
        swap: "innerHTML",
      });
      requote();
      const first = body.querySelector('[data-field="product_label"]');
      if (first && form.dataset.mode !== "filter") first.focus();
    } else if (input.dataset.combobox === "product") {
      const row = rowOf(input);
      row.querySelector('[data-field="manual"]').value = "0";
      row.querySelector('[data-field="unit_price"]').value = "";
      focusField(row, "qty");
      requote();
    }
  }

  function focusables() {
    return Array.from(form.querySelectorAll("input, select, textarea, button")).filter(function (el) {
      return el.type !== "hidden" && !el.disabled && el.tabIndex >= 0 && el.offsetParent !== null;
    });
  }

  function focusNext(el) {
    const all = focusables();
    const i = all.indexOf(el);
    if (i >= 0 && i + 1 < all.length) {
      all[i + 1].focus();
      if (all[i + 1].select) all[i + 1].select();
    }
  }

  function review() {
    form.querySelector('input[name="step"]').value = "review";
    form.requestSubmit();
  }

  form.addEventListener("keydown", function (event) {
    const el = event.target;
    if ((event.key === "Enter" && (event.ctrlKey || event.metaKey)) || (event.altKey && (event.key === "s" || event.key === "S"))) {
      event.preventDefault();
      review();
      return;
    }
    if (event.altKey && event.key === "Delete") {
      const row = rowOf(el);
      if (row && body.children.length > 1) {
        const sibling = row.nextElementSibling || row.previousElementSibling;
        row.remove();
        focusField(sibling, "product_label");
        requote();
      }
      event.preventDefault();
      return;
    }
    if (el.dataset && el.dataset.combobox) {
      const listbox = document.getElementById(el.dataset.listbox);
      const opts = options(listbox);
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const current = activeIndex(listbox);
        setActive(el, listbox, event.key === "ArrowDown" ? current + 1 : current < 0 ? -1 : current - 1);
        return;
      }
      if (event.key === "Escape") {
        closeList(el, listbox);
        return;
      }
      if (event.key === "Enter") {
        event.preventDefault();
        if (opts.length) {
          const current = activeIndex(listbox);
          choose(el, opts[current < 0 ? 0 : current]);
        } else if (document.getElementById(el.dataset.value).value) {
          if (el.dataset.combobox === "product") focusField(rowOf(el), "qty");
          else focusNext(el);
        }
        return;
      }
      return;
    }
    if (event.key !== "Enter" || el.tagName === "TEXTAREA" || el.tagName === "BUTTON") return;
    event.preventDefault();
    const row = rowOf(el);
    if (row && el.dataset.field === "qty") {
      requote();
      const next = row.nextElementSibling;
      if (next) focusField(next, "product_label");
      else focusField(addLine(), "product_label");
      return;
    }
    if (row && el.dataset.field === "discount_rate") {
      const next = row.nextElementSibling || addLine();
      focusField(next, "product_label");
      return;
    }
    focusNext(el);
  });

  form.addEventListener("input", function (event) {
    const el = event.target;
    if (el.dataset.combobox) {
      document.getElementById(el.dataset.value).value = "";
      el.setAttribute("aria-expanded", "true");
      return;
    }
    if (el.dataset.field === "unit_price") {
      rowOf(el).querySelector('[data-field="manual"]').value = el.value.trim() ? "1" : "0";
    }
    if (el.dataset.requote !== undefined) requote();
  });

  form.addEventListener("click", function (event) {
    const remove = event.target.closest("[data-remove-line]");
    if (remove && body.children.length > 1) {
      rowOf(remove).remove();
      requote();
      return;
    }
    const option = event.target.closest("[role=option]");
    if (option) {
      const listbox = option.closest("[role=listbox]");
      const input = form.querySelector('[data-listbox="' + listbox.id + '"]');
      if (input) choose(input, option);
    }
  });

  // Frequently bought products in the sidebar: Enter (or a click) adds the product as a line.
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-add-product]");
    if (!button) return;
    event.preventDefault();
    const row = emptyLastRow() || addLine();
    fillProduct(row, button.dataset.addProduct, button.dataset.label);
    focusField(row, "qty");
    requote();
  });

  // After a quote: fill the prices the salesperson did not type (the quote's price follows qty tiers).
  document.body.addEventListener("htmx:afterSettle", function (event) {
    const data = document.getElementById("quote-prices");
    if (!data || event.detail.target.id !== "quote-totals") return;
    const prices = JSON.parse(data.textContent);
    Object.keys(prices).forEach(function (index) {
      const price = document.getElementById("lines-" + index + "-unit_price");
      const manual = document.getElementById("lines-" + index + "-manual");
      if (price && manual && manual.value !== "1" && document.activeElement !== price) {
        price.value = prices[index];
      }
    });
  });

  form.addEventListener("submit", function () {
    form.querySelectorAll("button[type=submit]").forEach(function (b) {
      b.disabled = true;
    });
  });

  // A form shown again (edit, or after an error) has lines: price them at once.
  if (document.getElementById("id_customer").value) {
    requote();
  }
})();
