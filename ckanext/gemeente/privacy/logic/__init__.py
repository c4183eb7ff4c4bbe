"""CKAN side of the privacy review: actions, auth functions, input schemas, enforcement."""
