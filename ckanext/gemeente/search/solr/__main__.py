"""``python -m ckanext.gemeente.search.solr``: run the search server."""

import sys

from . import main

sys.exit(main())
