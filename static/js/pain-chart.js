// Draws each pain chart on the page from the JSON its template put beside it (no inline script).
(function () {
  function draw(canvas) {
    const source = document.getElementById(canvas.dataset.series);
    if (!source || typeof Chart === "undefined") {
      return;
    }
    const points = JSON.parse(source.textContent);
    const flagged = new Set((canvas.dataset.marked || "").split(",").filter(Boolean).map(Number));
    canvas.chart = new Chart(canvas, {
      type: "line",
      data: {
        labels: points.map((p) => p.label || p.date),
        datasets: [
          {
            label: "Highest pain in the session",
            data: points.map((p) => p.pain),
            borderColor: "#0b5563",
            backgroundColor: "#0b5563",
            pointRadius: points.map((p) => (flagged.has(p.id) ? 7 : 3)),
            pointBackgroundColor: points.map((p) => (flagged.has(p.id) ? "#b91c1c" : "#0b5563")),
            tension: 0.2,
          },
          {
            label: "Pain limit",
            data: points.map((p) => p.threshold),
            borderColor: "#b45309",
            borderDash: [6, 4],
            pointRadius: 0,
            stepped: true,
          },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { y: { min: 0, max: 5, ticks: { stepSize: 1 }, title: { display: true, text: "Pain (0-5)" } } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas.pain-chart").forEach(draw);
  });
})();
