"""The demo clinic's people and what their weeks looked like: staff, patients, their histories, the program they
follow, their outcome measures, and the clinic's own photo of one exercise."""

import io

from rehab.models import User

DEMO_PASSWORD = "rehab-demo-2026"  # noqa: S105 - demo accounts on a local SQLite file only
CLINIC_NAME = "Riverside Spine & Physio"

STAFF = [
    ("admin@riverside.example", "Jordan", "Reyes", User.Role.CLINIC_ADMIN),
    ("alex.morgan@riverside.example", "Alex", "Morgan", User.Role.PHYSIO),
    ("sam.patel@riverside.example", "Sam", "Patel", User.Role.PHYSIO),
]

# email, first, last, days since onset, years old, condition, physiotherapist email
PATIENTS = [
    (
        "maria.lopez@example.com",
        "Maria",
        "Lopez",
        24,
        41,
        "Acute low-back strain after lifting a suitcase; stiff in the mornings.",
        "alex.morgan@riverside.example",
    ),
    (
        "tom.becker@example.com",
        "Tom",
        "Becker",
        25,
        33,
        "Low-back pain after a long drive, no pain into the legs.",
        "sam.patel@riverside.example",
    ),
    (
        "aisha.khan@example.com",
        "Aisha",
        "Khan",
        55,
        52,
        "Recurring lower-back ache since returning to desk work.",
        "alex.morgan@riverside.example",
    ),
    (
        "peter.novak@example.com",
        "Peter",
        "Novak",
        110,
        60,
        "Lumbar disc irritation, pain into the right buttock, improving.",
        "sam.patel@riverside.example",
    ),
    (
        "lena.schmidt@example.com",
        "Lena",
        "Schmidt",
        150,
        29,
        "Pain on the left side of the lower back after a running injury.",
        "alex.morgan@riverside.example",
    ),
    (
        "david.okafor@example.com",
        "David",
        "Okafor",
        240,
        47,
        "Long-standing mechanical low-back pain; wants to return to gardening.",
        "sam.patel@riverside.example",
    ),
    (
        "grace.lee@example.com",
        "Grace",
        "Lee",
        400,
        68,
        "Chronic low-back stiffness with reduced hip mobility.",
        "alex.morgan@riverside.example",
    ),
    (
        "omar.haddad@example.com",
        "Omar",
        "Haddad",
        900,
        55,
        "Long-term back pain after an old fall; flare-ups a few times a year.",
        "sam.patel@riverside.example",
    ),
]


# Which demo patients get a program, and the highest pain of their sessions over the last three weeks
# (oldest first; None is a day without a session). Their thresholds follow from their phase.
HISTORIES = {
    "maria.lopez@example.com": [2, None, 2, 1, None, 2, 1, None, 1, 1, None, 2, None, 1, 1, None, 2, 1, None, 1, 3],
    "tom.becker@example.com": [1, None, 1, None, 2, None, 1, None, 1, None, None, None, None, None],
    "aisha.khan@example.com": [1, None, 1, 0, None, 1, 1, None, 1, 0, None, 1, None, 2, 3, 4],
    "peter.novak@example.com": [2, None, 1, None, 1, 1, None, 1, None, 0, 1, None, 1, 0, None, 1],
    "lena.schmidt@example.com": [1, 1, None, 1, None, 1, 0, None, 1, None, 1, None, None, None, None],
    "david.okafor@example.com": [3, None, 2, 2, None, 2, None, 1, 2, None, 1, None, 2, 1, None, 1],
}
PROGRAM = ["pelvic-tilt", "dead-bug", "adductor-ball-squeeze", "clamshell", "side-plank-knees", "glute-bridge"]
CLINIC_PHOTO_OF = "glute-bridge"  # the demo clinic shows its own photo of this one instead of the drawing


def clinic_photo() -> bytes:
    """A stand-in for a clinic's own photo: a small picture drawn with Pillow (a mat, a bridge, a caption)."""

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 360), (232, 240, 244))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 300, 600, 316), fill=(160, 180, 196))  # the mat
    draw.line((120, 292, 300, 230, 400, 200, 470, 296), fill=(11, 110, 117), width=26, joint="curve")
    draw.ellipse((92, 268, 136, 312), fill=(59, 74, 90))  # the head
    draw.text((40, 30), "Riverside Spine & Physio: glute bridge, as we teach it", fill=(29, 39, 49))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


# Outcome questionnaires answered over a course of care that began `weeks` ago: at the start, then at each 4-weekly
# follow-up, then (for a discharged patient) at discharge. Maria Lopez, registered today, has her first due.
ACTIVITIES = {
    "aisha.khan@example.com": ["Sitting through a working day", "Carrying the shopping"],
    "omar.haddad@example.com": ["Cycling to work", "Lifting my grandson"],
    "david.okafor@example.com": ["Gardening", "Putting on socks", "Walking the dog"],
}
OUTCOMES = {  # email -> weeks ago the course of care began, [(activities' ratings, average pain), ...], discharge
    "aisha.khan@example.com": (8, [((4, 3), 5), ((6, 5), 3)], None),
    # Worse at his first follow-up than at the start, by more than the change that matters: an "outcome worse" flag.
    "omar.haddad@example.com": (5, [((6, 6), 3), ((3, 2), 6)], None),
    "david.okafor@example.com": (12, [((2, 3, 4), 7), ((4, 5, 5), 5), ((6, 7, 7), 3)], ((9, 8, 9), 1, 2)),
}
