/* Every page: a form marked data-confirm="question" asks before it is sent (deletions); a
   checkbox marked data-toggles="name" hides the elements marked data-toggled-by="name" while
   it is ticked (the server neither judges nor stores what they hold then). */
(function () {
  "use strict";
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });

  function toggle(checkbox) {
    var name = checkbox.getAttribute("data-toggles");
    function update() {
      document.querySelectorAll("[data-toggled-by='" + name + "']").forEach(function (el) {
        el.hidden = checkbox.checked;
      });
    }
    checkbox.addEventListener("change", update);
    update();
  }

  document.querySelectorAll("[data-toggles]").forEach(toggle);
})();
