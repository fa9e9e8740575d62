"""The pain chart (static/js/pain-chart.js) in a browser: the limit line is drawn from the first report."""

import pytest
from playwright.sync_api import expect

from flags.models import Flag
from tests.e2e.test_flag_queue import patient_with_report
from tests.factories import PASSWORD, ClinicAdminFactory, ClinicFactory, PhysioFactory
from tests.helpers import log_in, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# How many pixels of the limit's colour (#b45309, give or take antialiasing) lie on a horizontal band of the chart at
# the limit's value, away from the report's own point in the middle.
LIMIT_PIXELS = """(() => {
  const canvas = document.querySelector('canvas.pain-chart');
  const chart = canvas.chart;
  const ratio = chart.currentDevicePixelRatio;
  const y = chart.scales.y.getPixelForValue(chart.data.datasets[1].data[0]);
  const area = chart.chartArea;
  const ctx = canvas.getContext('2d');
  const width = Math.floor((area.right - area.left) / 3);
  const band = ctx.getImageData(Math.round(area.left * ratio), Math.round((y - 2) * ratio),
                                Math.round(width * ratio), Math.round(4 * ratio)).data;
  let count = 0;
  for (let i = 0; i < band.length; i += 4) {
    const [r, g, b, a] = [band[i], band[i + 1], band[i + 2], band[i + 3]];
    if (a > 100 && r > 140 && g > 50 && g < 120 && b < 60) count += 1;
  }
  return count;
})()"""


def test_the_limit_line_is_drawn_with_a_single_report(desk_page, shipped_library):
    clinic = ClinicFactory()
    admin = ClinicAdminFactory(clinic=clinic)
    physio = PhysioFactory(clinic=clinic)
    patient = patient_with_report(physio, "Peter Novak", max_pain=4)
    flag = Flag.objects.get(patient=patient, reason="pain")
    page = desk_page
    log_in(page, admin.email, PASSWORD)
    expect(page.get_by_role("heading", name="Flag queue")).to_be_visible()
    page.goto(f"/flags/{flag.pk}/")
    expect(page.locator("canvas.pain-chart")).to_be_visible()
    wait_until(page, "document.querySelector('canvas.pain-chart').chart !== undefined")
    assert page.evaluate("document.querySelector('canvas.pain-chart').chart.data.datasets[1].data.length") == 1
    assert page.evaluate("document.querySelector('canvas.pain-chart').chart.data.datasets[1].label") == "Pain limit"
    # A dashed line across the left third of the chart: well over a few stray pixels.
    assert page.evaluate(LIMIT_PIXELS) > 20
