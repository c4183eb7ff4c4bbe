"""The ``gemeente_theme`` plugin: the portal's look on NL Design System design tokens."""
