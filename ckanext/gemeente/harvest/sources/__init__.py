"""One small module per harvest source type, each a subclass of ``GemeenteHarvester``."""
