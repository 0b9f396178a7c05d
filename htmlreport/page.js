// Shows the details of the mark under the pointer or keyboard focus in the
// panel under its lifeline. The page reads without it: every mark also has
// a <title> and an aria-label.
(function () {
  document.documentElement.classList.remove("noscript");
  function show(ev) {
    var m = ev.target.closest && ev.target.closest("[data-detail]");
    if (!m) return;
    var fig = m.closest("figure");
    var out = fig && fig.querySelector(".detail");
    if (!out) return;
    out.textContent = m.getAttribute("data-detail");
    var step = m.getAttribute("data-step");
    if (step) {
      var a = document.createElement("a");
      a.href = step;
      a.textContent = " open the step";
      out.appendChild(a);
    }
  }
  document.addEventListener("focusin", show);
  document.addEventListener("mouseover", show);
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Enter" && ev.key !== " ") return;
    var m = ev.target.closest && ev.target.closest(".mark[data-href]");
    if (m) { location.hash = m.getAttribute("data-href"); ev.preventDefault(); }
  });
  var t = performance.now();
  document.documentElement.setAttribute("data-rendered-ms", t.toFixed(1));
})();
