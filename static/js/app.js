// Keep keyboard focus where it was after htmx swaps part of the page in place. When the focused control is
// gone (an exercise removed, a flag acknowledged), focus goes to the control now at its place in the swapped
// part, so that a keyboard user carries on from there rather than from the top of the page.
const FOCUSABLE = "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]), " +
  "textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1'])";
let refocus = null;
document.addEventListener("htmx:beforeSwap", function (event) {
  const target = event.detail.target;
  const active = document.activeElement;
  refocus = null;
  if (!active || active === document.body) {
    return;
  }
  const inside = target.contains(active) ? Array.from(target.querySelectorAll(FOCUSABLE)).indexOf(active) : -1;
  refocus = { id: active.id, targetId: target.id, index: inside };
});
document.addEventListener("htmx:afterSettle", function () {
  const wanted = refocus;
  refocus = null;
  if (!wanted) {
    return;
  }
  const again = wanted.id && document.getElementById(wanted.id);
  if (again) {
    again.focus();
    return;
  }
  const target = wanted.index >= 0 && wanted.targetId && document.getElementById(wanted.targetId);
  if (target) {
    const inside = target.querySelectorAll(FOCUSABLE);
    const next = inside[Math.min(wanted.index, inside.length - 1)];
    if (next) {
      next.focus();
    }
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
