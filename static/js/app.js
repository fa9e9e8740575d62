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
