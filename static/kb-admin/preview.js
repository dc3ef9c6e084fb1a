"use strict";
// Adds a Preview button under Markdown textareas marked with data-preview-url (see kb/admin.py: preview_attrs).
// The server renders the body exactly as the public page does (sanitised HTML), so inserting it is safe.
(function () {
  function csrfToken(textarea) {
    const input = textarea.form && textarea.form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function setUp(textarea) {
    const toolbar = document.createElement("div");
    toolbar.className = "kb-preview-toolbar";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button kb-preview-button";
    button.textContent = textarea.dataset.previewLabel || "Preview";
    button.setAttribute("aria-controls", textarea.id + "_preview");
    toolbar.append(button);

    const panel = document.createElement("div");
    panel.id = textarea.id + "_preview";
    panel.className = "kb-preview prose";
    panel.hidden = true;
    panel.setAttribute("aria-live", "polite");
    textarea.after(toolbar, panel);

    button.addEventListener("click", async function () {
      const data = new FormData();
      data.append("body", textarea.value);
      button.disabled = true;
      panel.classList.add("kb-preview-loading");
      try {
        const response = await fetch(textarea.dataset.previewUrl, {
          method: "POST",
          body: data,
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken(textarea), Accept: "application/json" },
        });
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        const payload = await response.json();
        panel.innerHTML = payload.html;
      } catch (error) {
        panel.textContent = textarea.dataset.previewError || String(error);
      } finally {
        panel.hidden = false;
        panel.classList.remove("kb-preview-loading");
        button.disabled = false;
      }
    });
  }

  function start() {
    document.querySelectorAll("textarea[data-preview-url]").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
