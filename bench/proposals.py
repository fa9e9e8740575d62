"""Changes to the sweep that the benchmark measures before the app adopts them (`bench.sweep --diagnose`).

Each one is swapped in for the app's function inside the benchmark process only, and the benchmark checks
that the same patients are flagged. Adopted so far, and so no longer here: rule 7 for every clinic in one
query, the newest report read through its index, the program start computed once per patient.

- evaluate_missed_in_one_transaction: the lost evaluations in one transaction, where each report's own
  atomic block becomes a savepoint (a failing report still rolls back alone): one commit instead of one per
  report.
"""


def evaluate_missed_in_one_transaction(original):
    """flags_evaluate_missed, run inside one transaction (alerts are queued when it commits)."""
    from django.db import transaction

    def wrapper(**kwargs):
        with transaction.atomic():
            return original(**kwargs)

    return wrapper
