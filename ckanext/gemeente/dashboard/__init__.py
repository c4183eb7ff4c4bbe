"""The ``gemeente_dashboard`` plugin: figures for the open data coordinator."""
