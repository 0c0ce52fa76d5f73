/* Registration wizard: OKVED typeahead and showing only the relevant parts of a step.
   Everything here is an enhancement: without scripts the server-side search and all fields work. */
(function () {
  "use strict";

  function lastToken(value) {
    var parts = value.split(/[\s,;]+/);
    return parts[parts.length - 1] || "";
  }

  function replaceLastToken(value, code) {
    var match = value.match(/^(.*[\s,;])?[^\s,;]*$/);
    var head = match && match[1] ? match[1].replace(/[\s,;]*$/, "") : "";
    return (head ? head + ", " : "") + code + ", ";
  }

  function typeahead(input) {
    var many = input.getAttribute("data-okved") === "many";
    var list = document.createElement("ul");
    var listId = input.id + "-suggestions";
    var timer = null, items = [], active = -1, requestNo = 0;
    list.id = listId;
    list.className = "typeahead";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.insertAdjacentElement("afterend", list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("aria-expanded", "false");

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function choose(index) {
      var item = items[index];
      if (!item) { return; }
      input.value = many ? replaceLastToken(input.value, item.code) : item.code;
      close();
      input.focus();
    }

    function highlight(index) {
      var nodes = list.children;
      for (var i = 0; i < nodes.length; i++) {
        nodes[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      active = index;
      if (nodes[index]) { input.setAttribute("aria-activedescendant", nodes[index].id); }
    }

    function render(data) {
      list.textContent = "";
      items = data.results || [];
      if (!data.loaded) {
        var note = document.createElement("li");
        note.className = "typeahead__note";
        note.textContent = data.message || "Классификатор не загружен";
        list.appendChild(note);
      }
      items.forEach(function (item, index) {
        var li = document.createElement("li");
        li.id = listId + "-" + index;
        li.setAttribute("role", "option");
        li.className = "typeahead__option";
        var code = document.createElement("span");
        code.className = "mono";
        code.textContent = item.code;
        li.appendChild(code);
        li.appendChild(document.createTextNode(" " + item.name));
        li.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(index);
        });
        list.appendChild(li);
      });
      list.hidden = list.children.length === 0;
      input.setAttribute("aria-expanded", list.hidden ? "false" : "true");
      active = -1;
    }

    function search() {
      var q = many ? lastToken(input.value) : input.value.trim();
      if (q.length < 2) { close(); return; }
      var mine = ++requestNo;
      fetch("/refdata/okved.json?q=" + encodeURIComponent(q), {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (data) { if (mine === requestNo) { render(data); } })
        .catch(close);
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight(Math.min(active + 1, items.length - 1));
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  function headKind(container) {
    var radios = container.querySelectorAll("input[type=radio]");
    function update() {
      var chosen = container.querySelector("input[type=radio]:checked");
      var kind = chosen ? chosen.value : "person";
      document.querySelectorAll("[data-head]").forEach(function (fieldset) {
        fieldset.hidden = fieldset.getAttribute("data-head") !== kind;
      });
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  }

  document.querySelectorAll("[data-okved]").forEach(typeahead);
  document.querySelectorAll("[data-head-kind]").forEach(headKind);
})();
