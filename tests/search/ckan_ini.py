"""Pieces of the CKAN ini files the search tests generate."""

# CKAN's CLI (2.11) and its pytest plugin read the logging set-up from the ini file they
# are given, not from a ``use = config:...`` parent: every generated ini carries this.
LOGGING = """
[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(asctime)s %(levelname)-5.5s [%(name)s] %(message)s
"""
