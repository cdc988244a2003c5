"use strict";
// The customers' web form: loads what each category asks of the web channel, checks what
// the customer typed before sending (the server checks it all again) and sends it once per
// submission under one Idempotency-Key, so a double click or a retry makes one ticket.
(function () {
  const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
  const form = document.getElementById("ticket-form");
  const select = document.getElementById("category");
  const fieldBox = document.getElementById("category-fields");
  const formErrors = document.getElementById("form-errors");
  const result = document.getElementById("result");
  const button = document.getElementById("submit");
  let categories = [];
  let submissionKey = null;

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function current() {
    return categories.find((c) => c.name === select.value);
  }

  function showFields() {
    fieldBox.replaceChildren();
    for (const field of current().fields) {
      const id = "field-" + field.name;
      const label = element("label", { for: id }, field.label);
      if (!field.required) label.append(" ", element("span", { class: "optional" }, "(optional)"));
      const input = field.kind === "long_text"
        ? element("textarea", { rows: "4" })
        : element("input", { type: { email: "email", number: "number" }[field.kind] || "text" });
      input.id = id;
      input.dataset.field = field.name;
      if (field.kind === "number") input.step = "any";
      else input.maxLength = field.max_length;
      input.required = field.required;
      fieldBox.append(label, input, element("p", { class: "error", "data-error-for": id }));
    }
  }

  function problem(input, field) {
    const value = input.value.trim();
    const label = field ? field.label : input.labels[0].firstChild.textContent.trim();
    if (!value) return input.required ? label + " is required" : null;
    if (input.maxLength > 0 && input.value.length > input.maxLength) {
      return label + " must be at most " + input.maxLength + " characters";
    }
    if (input.type === "email" && !EMAIL.test(value)) return label + " must be an email address";
    if (input.type === "number" && !Number.isFinite(Number(value))) return label + " must be a number";
    return null;
  }

  function say(input, message) {
    const slot = form.querySelector('[data-error-for="' + input.id + '"]');
    if (slot) slot.textContent = message || "";
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  function clearErrors() {
    formErrors.replaceChildren();
    for (const input of form.querySelectorAll("input, textarea")) say(input, null);
  }

  function browserCheck() {
    const fields = Object.fromEntries(current().fields.map((f) => [f.name, f]));
    let ok = true;
    for (const input of form.querySelectorAll("input, textarea")) {
      const message = problem(input, fields[input.dataset.field]);
      say(input, message);
      ok = ok && !message;
    }
    return ok;
  }

  function payload() {
    const fields = {};
    for (const field of current().fields) {
      const input = document.getElementById("field-" + field.name);
      const value = input.value.trim();
      if (value) fields[field.name] = field.kind === "number" ? Number(value) : value;
    }
    const text = (id) => document.getElementById(id).value;
    const customer = { email: text("email").trim() };
    if (text("name").trim()) customer.name = text("name").trim();
    return { customer, subject: text("subject"), body: text("body"), category: select.value, fields };
  }

  function inputFor(loc) {
    const [, first, second] = loc;
    if (first === "fields") return document.getElementById("field-" + second);
    if (first === "customer") return document.getElementById(second);
    return document.getElementById(first);
  }

  function showServerErrors(detail) {
    const problems = Array.isArray(detail) ? detail : [{ loc: [], msg: String(detail) }];
    for (const entry of problems) {
      const input = Array.isArray(entry.loc) ? inputFor(entry.loc) : null;
      if (input) say(input, entry.msg);
      formErrors.append(element("li", {}, entry.msg));
    }
  }

  function thank(answer) {
    form.hidden = true;
    result.hidden = false;
    result.replaceChildren(
      element(
        "p",
        {},
        answer.joined
          ? "Thank you. We are already working on this problem for you, so we added your message to your open request:"
          : "Thank you, we have your request. Your reference is:",
      ),
      element("p", { class: "reference", id: "reference" }, answer.reference),
    );
  }

  async function send() {
    submissionKey = submissionKey || newKey();
    const response = await fetch("form/tickets", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": submissionKey },
      body: JSON.stringify(payload()),
    });
    const answer = await response.json().catch(() => ({}));
    if (response.ok) return thank(answer);
    if (response.status === 429) {
      const wait = response.headers.get("Retry-After") || "a few";
      return showServerErrors("Too many requests: please try again in " + wait + " seconds.");
    }
    if (response.status === 413) return showServerErrors("That is too long to send.");
    showServerErrors(answer.detail || "Something went wrong; please try again.");
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    clearErrors();
    if (!browserCheck()) return;
    button.disabled = true;
    try {
      await send();
    } catch (error) {
      showServerErrors("The request did not reach us; please try again.");
    } finally {
      button.disabled = false;
    }
  });
  // An edited form is a new submission: it gets a new key.
  form.addEventListener("input", () => { submissionKey = null; });
  select.addEventListener("change", () => { submissionKey = null; clearErrors(); showFields(); });

  fetch("form/categories")
    .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
    .then((list) => {
      categories = list.data;
      for (const category of categories) {
        select.append(element("option", { value: category.name }, category.label));
      }
      showFields();
      document.getElementById("loading").hidden = true;
      form.hidden = false;
    })
    .catch(() => { document.getElementById("loading").textContent = "The form could not load."; });
})();
