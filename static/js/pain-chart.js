// Draws each pain chart on the page from the JSON its template put beside it (no inline script).
(function () {
  const LIMIT_COLOUR = "#b45309";

  // A line needs two points: with a single report, the limit is drawn across the whole chart at its value, as the
  // legend promises, instead of not at all.
  const limitAcross = {
    id: "limitAcross",
    afterDatasetsDraw(chart) {
      const limit = chart.data.datasets[1];
      if (!limit || limit.data.length !== 1 || limit.data[0] == null || !chart.isDatasetVisible(1)) {
        return;
      }
      const y = chart.scales.y.getPixelForValue(limit.data[0]);
      const area = chart.chartArea;
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = LIMIT_COLOUR;
      ctx.lineWidth = limit.borderWidth || 3;
      ctx.setLineDash(limit.borderDash || []);
      ctx.beginPath();
      ctx.moveTo(area.left, y);
      ctx.lineTo(area.right, y);
      ctx.stroke();
      ctx.restore();
    },
  };

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
            borderColor: LIMIT_COLOUR,
            backgroundColor: LIMIT_COLOUR,
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
      plugins: [limitAcross],
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas.pain-chart").forEach(draw);
  });
})();
