"""``python -m ckanext.gemeente.search``: run the embedded search server (:mod:`.solr`)."""

import sys

from .solr import main

sys.exit(main())
