"""Who the person at the terminal is: a terminal account id (`--as`), "1" unless told."""

import re

DEFAULT_ACCOUNT = "1"
ACCOUNT_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
