// Keep keyboard focus where it was after htmx swaps part of the page in place.
document.addEventListener("htmx:beforeSwap", function (event) {
  const active = document.activeElement;
  event.detail.target.dataset.refocus = active && active.id ? active.id : "";
});
document.addEventListener("htmx:afterSwap", function (event) {
  const id = event.detail.target.dataset.refocus;
  const again = id && document.getElementById(id);
  if (again) {
    again.focus();
  }
});

// Forms that do something hard to undo ask first: <form data-confirm="Question?">.
document.addEventListener("submit", function (event) {
  const question = event.target.dataset ? event.target.dataset.confirm : null;
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
