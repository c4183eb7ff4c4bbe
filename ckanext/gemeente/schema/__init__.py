"""gemeente_schema: DCAT-AP-DONL metadata schema plugin for municipal CKAN portals."""
