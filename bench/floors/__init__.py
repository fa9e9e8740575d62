"""Each staff page's own floor: the rows the page shows, fetched by hand-written SQL in as few statements as the page
needs, turned into the page's HTML by plain string building, behind the same middleware (bench/bench_urls.py).

A floor is what the page could cost at best on this stack. It shows the same patients and flags with the same ids in
its markup (id="patient-row-N", id="flag-N", id="open-flags-N", and on the dashboard id="review-N", id="ready-N",
id="no-program-N"), so that the benchmark can check that a page and its floor list the same things (bench/pages.py).
The dashboard's floor writes rules 15 and 17 in SQL of its own (dashboard.py: READY_SQL, ASIDE_SQL), with rule 17's
evidence in the same words as the page; the patient page's shows each of its panels too (outcome measures, courses
of care, progress with adherence and the threshold of each day, the latest reports with their exercises and
corrections, reminders), and lists the same latest reports (id="checkin-N"); the clinic outcomes page's shows the
same figures in each physiotherapist's row and the clinic's. A floor leaves out what only decorates:
the site's navigation, the forms' other fields.
"""

from .checkin import checkin
from .dashboard import dashboard
from .outcomes import clinic_outcomes
from .patient import patient_detail
from .queue import flag_queue

__all__ = ["checkin", "clinic_outcomes", "dashboard", "flag_queue", "patient_detail"]
