"""``python -m ckanext.gemeente.search``: run the embedded search server."""

import sys

from . import main

sys.exit(main())
