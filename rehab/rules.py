"""Pure rules about accounts and logging in: no ORM and no I/O.

One login name per account. An email address is written many ways that mean the same thing to a person reading
it: upper or lower case, full-width letters, spaces around it. Each is turned into one spelling, the login name,
wherever an address enters the app (an account created or changed, a log-in, a failed log-in counted, a password
reset asked for), and accounts are found by exactly that spelling. A letter that only looks like another (a dotless
ı, a Cyrillic а) stays itself: it is another name, and never reaches the account it looks like.
"""

import hashlib
import unicodedata

# RFC 5321 allows 254 characters in an address; the database column is as long (Django's EmailField).
EMAIL_MAX_LENGTH = 254
# Passwords: long enough for any passphrase or password manager, short enough that a log-in never hashes megabytes.
PASSWORD_MAX_LENGTH = 128


def login_key(email: str) -> str:
    """The login name of an email address: Unicode NFKC, case-folded, trimmed (NFKC again, as case folding can
    undo it: Unicode's NFKC_Casefold). 'Ann@X.org', ' ann@x.org ' and 'ａｎｎ@ｘ.ｏｒｇ' are all 'ann@x.org'."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", email).casefold())
    return folded.strip()


def attempt_key(username: str) -> str:
    """What a failed log-in is counted under: the login name, or for a name longer than any address (which no
    account has) a fixed-length digest of it, so that it fits where failures are stored and is still counted."""
    key = login_key(username)
    if len(key) <= EMAIL_MAX_LENGTH:
        return key
    return "over-long name " + hashlib.sha256(key.encode()).hexdigest()
