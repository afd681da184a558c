"""Treffpunkt's shell: settings, command line, authentication, HTTP layer and wiring.

Importing this package points Piccolo at :mod:`app.piccolo_conf`, so every table of
every domain finds the configured database.
"""

import os

os.environ.setdefault("PICCOLO_CONF", "app.piccolo_conf")
