// What "fits the window" means, for the Chromium mock specs (ui/e2e/layout.test.mjs) and the real
// webview (tests/webview/layout.test.mjs) alike. `layoutProblems` runs inside the page: it must
// not use anything from this module's scope.

/**
 * Returns what does not fit: the page's horizontal overflow in px, every visible element whose
 * box leaves the viewport sideways, and each call card whose hang-up, hold/resume or timer is
 * missing or not wholly inside the viewport.
 */
export function layoutProblems() {
  const doc = document.documentElement;
  const width = doc.clientWidth;
  const height = window.innerHeight;
  const describe = (element) => {
    const id = element.dataset?.testid ? `[data-testid=${element.dataset.testid}]` : "";
    const classes = typeof element.className === "string" && element.className ? `.${element.className.trim().split(/\s+/).join(".")}` : "";
    return `${element.tagName.toLowerCase()}${id}${classes}`;
  };
  const outside = [];
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const style = getComputedStyle(element);
    if (style.visibility === "hidden" || style.position === "fixed" && box.bottom <= 0) continue;
    if (box.left < -0.5 || box.right > width + 0.5) outside.push(`${describe(element)} ${Math.round(box.left)}..${Math.round(box.right)}`);
  }
  const inView = (element) => {
    if (!element) return false;
    const box = element.getBoundingClientRect();
    return box.width > 0 && box.left >= -0.5 && box.right <= width + 0.5 && box.top >= -0.5 && box.bottom <= height + 0.5;
  };
  const cards = [];
  for (const card of document.querySelectorAll("article.call")) {
    if (card.classList.contains("phase-ended")) continue;
    const talking = card.classList.contains("phase-established") || card.classList.contains("phase-held");
    const missing = [];
    if (!inView(card.querySelector("[data-testid=call-hangup]"))) missing.push("hang-up");
    if (talking && !inView(card.querySelector("[data-testid=call-hold], [data-testid=call-resume]"))) missing.push("hold");
    if (talking && !inView(card.querySelector("[data-testid=call-timer]"))) missing.push("timer");
    if (missing.length > 0) cards.push(`${card.dataset.testid}: ${missing.join(", ")}`);
  }
  return { overflow: doc.scrollWidth - width, outside: outside.slice(0, 10), cards, calls: document.querySelectorAll("article.call").length };
}
