"""Municipal harvesters on ckanext-harvest: one base (:mod:`.base`), one module per source type."""
