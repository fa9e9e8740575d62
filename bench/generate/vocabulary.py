"""The fixed vocabulary of the synthetic network: time zones and cities, names, conditions, notes, the schedules and
templates physiotherapists set, how flags and courses of care end, and the units of time the simulation counts in."""

from datetime import date

BENCH_PASSWORD = "bench-password-2026"  # noqa: S105 - synthetic accounts in a throw-away database

TIME_ZONES = [
    ("Europe/London", 30),
    ("Europe/Dublin", 6),
    ("Europe/Paris", 12),
    ("Europe/Berlin", 12),
    ("Europe/Madrid", 8),
    ("America/New_York", 12),
    ("America/Chicago", 8),
    ("America/Los_Angeles", 6),
    ("Australia/Sydney", 6),
]
CITIES = {
    "Europe/London": ["London", "Leeds", "Bristol", "Manchester", "Norwich"],
    "Europe/Dublin": ["Dublin", "Cork", "Galway"],
    "Europe/Paris": ["Paris", "Lyon", "Nantes", "Lille"],
    "Europe/Berlin": ["Berlin", "Hamburg", "Cologne", "Leipzig"],
    "Europe/Madrid": ["Madrid", "Valencia", "Seville"],
    "America/New_York": ["Boston", "Brooklyn", "Philadelphia", "Atlanta"],
    "America/Chicago": ["Chicago", "Austin", "Minneapolis"],
    "America/Los_Angeles": ["Seattle", "Portland", "Oakland"],
    "Australia/Sydney": ["Sydney", "Newcastle", "Wollongong"],
}
FIRST_NAMES = [
    *("Maria", "Tom", "Aisha", "Peter", "Lena", "David", "Grace", "Omar", "Sofia", "James", "Chloe", "Ravi"),
    *("Hannah", "Lucas", "Emma", "Noah", "Mia", "Liam", "Zara", "Ethan", "Isla", "Mateo", "Amara", "Oscar"),
    *("Freya", "Kai", "Leila", "Hugo", "Nora", "Felix", "Ines", "Arjun", "Elif", "Jonas", "Yara", "Samuel"),
]
LAST_NAMES = [
    *("Lopez", "Becker", "Khan", "Novak", "Schmidt", "Okafor", "Lee", "Haddad", "Rossi", "Murphy", "Dubois"),
    *("Patel", "Nowak", "Silva", "Jensen", "Kowalski", "Moreau", "Fischer", "Garcia", "Brown", "Walsh", "Sato"),
    *("Costa", "Ahmed", "Larsen", "Meyer", "Byrne", "Santos", "Klein", "Young", "Hughes", "Mensah"),
]
CONDITIONS = [
    "Low-back strain after lifting; stiff in the mornings.",
    "Mechanical low-back pain after a long drive, no pain into the legs.",
    "Recurring lower-back ache since returning to desk work.",
    "Lumbar disc irritation with pain into the right buttock, improving.",
    "Left-sided lower-back pain after a running injury.",
    "Long-standing low-back pain; wants to return to gardening.",
    "Chronic low-back stiffness with reduced hip mobility.",
    "Back pain after an old fall; flare-ups a few times a year.",
]
NOTES = [
    "Felt a twinge getting up afterwards.",
    "Easier than last week.",
    "Did the session in the evening, stiff before, better after.",
    "Skipped the last set, tired.",
    "Back felt tight after a long day at the desk.",
    "Good session, no problems.",
]
PAUSE_REASONS = ["Holiday", "Flu", "Work travel", "Family matters", "Minor surgery (unrelated)"]
TEMPLATES = [
    ("Core basics", ["pelvic-tilt", "dead-bug", "clamshell", "glute-bridge"]),
    ("Hip and core", ["adductor-ball-squeeze", "clamshell", "bird-dog", "side-plank-knees"]),
    ("Lateral stability", ["side-plank-knees", "standing-hip-abduction", "cat-cow", "bridge-march"]),
]
# (weekdays, sessions a week, weight): the schedules physiotherapists set (0 = Monday).
SCHEDULES = [
    ([0, 2, 4], None, 40),
    ([1, 3, 5], None, 15),
    ([0, 2, 4, 6], None, 10),
    ([0, 1, 3, 5], None, 10),
    ([0, 1, 2, 3, 4], None, 5),
    ([], 3, 12),
    ([], 4, 8),
]
SCHEDULE_WEIGHTS = [w for *_, w in SCHEDULES]
STAFF_OUTCOMES = ["contacted_patient"] * 10 + ["program_changed"] * 4 + ["no_action"] * 5 + ["referred"]
RESOLUTION_NOTES = ["", "", "Called the patient, plan unchanged.", "Adjusted the dose at the next visit.", ""]
SYMPTOMS = ("bladder_bowel", "saddle_numbness", "leg_weakness")
MIXED_OUTCOMES = ["done"] * 80 + ["partly"] * 14 + ["skipped"] * 6
UNIX_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
DAY = 86400
HOUR = 3600
NEVER = 10**9
FLARE_UP_PLAN_SHARE = 0.08  # programs in force with a flare-up plan kept ready
FLARE_UP_DAYS = 7
# Courses of care: how they end, and the outcome measures asked (the default schedule of a clinic that has not chosen).
DISCHARGE_REASONS = ["goals_met"] * 45 + ["self_managing"] * 25 + ["stopped_attending"] * 15 + ["referred_on"] * 8
DISCHARGE_REASONS += ["other"] * 7
FOLLOW_UP_DAYS = 28
ACTIVITY_NAMES = ["Putting on socks", "Gardening", "Sitting at my desk", "Lifting my child", "Running", "Driving"]


def phone_number(pid: int) -> str:
    """Nine patients in ten gave a phone number: UK numbers from the range kept for drama (07700 900000-900999),
    never anyone's, in E.164 form as the app stores them."""
    return "" if pid % 10 == 3 else f"+447700900{pid % 1000:03d}"
