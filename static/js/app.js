// Keep keyboard focus where it was after htmx swaps part of the page in place. When the focused control is
// gone (an exercise removed or added, a flag acknowledged), focus goes to the control now at its place in the
// nearest part around it that is still there (its list row, its table row, else the swapped part), so that a
// keyboard user carries on from there rather than from the top of the page.
const FOCUSABLE = "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]), " +
  "textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1'])";
// The focusable controls inside `part` that are drawn: not those folded away in a closed <details> (whose
// content keeps empty boxes, so only checkVisibility tells; browsers without it count every control, as before).
function drawn(el) {
  return el.checkVisibility ? el.checkVisibility() : el.getClientRects().length > 0;
}
function focusables(part) {
  return Array.from(part.querySelectorAll(FOCUSABLE)).filter(drawn);
}
let refocus = null;
document.addEventListener("htmx:beforeSwap", function (event) {
  const target = event.detail.target;
  const active = document.activeElement;
  refocus = null;
  if (!active || active === document.body) {
    return;
  }
  // Each part around the control that has an id, nearest first, up to the swapped part, with the control's
  // place among that part's focusable controls.
  const around = [];
  if (target.contains(active)) {
    for (let part = active.parentElement; part; part = part.parentElement) {
      if (part.id) {
        around.push({ id: part.id, index: focusables(part).indexOf(active) });
      }
      if (part === target) {
        break;
      }
    }
  }
  refocus = { id: active.id, around: around };
});
document.addEventListener("htmx:afterSettle", function () {
  const wanted = refocus;
  refocus = null;
  if (!wanted) {
    return;
  }
  const again = wanted.id && document.getElementById(wanted.id);
  if (again) {
    // A control folded away in a closed <details> (a dose form, after it is saved) hands focus to its summary.
    const folded = again.closest("details:not([open])");
    const summary = folded && folded.querySelector(":scope > summary");
    (summary && summary !== again ? summary : again).focus();
    return;
  }
  for (const place of wanted.around) {
    const part = document.getElementById(place.id);
    const inside = part ? focusables(part) : [];
    if (inside.length) {
      inside[Math.min(place.index, inside.length - 1)].focus();
      return;
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

// After a form comes back with errors, the keyboard focus (and a screen reader) starts at what went wrong: the
// first element marked data-focus-on-load (the urgent advice, else the error summary). Without JavaScript the
// summary is still at the top of the form, announced as an alert.
const focusFirst = document.querySelector("[data-focus-on-load]");
if (focusFirst) {
  focusFirst.focus();
}
