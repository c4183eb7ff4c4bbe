"""Moving an existing portal's datasets onto the municipal schema (``ckan gemeente adopt``).

:mod:`.derive` decides, without CKAN, what can be filled for a dataset and why;
:mod:`.portal` reads the datasets, asks the schema and saves; the commands live in
``schema/cli.py``. See docs/adopting.md.
"""
