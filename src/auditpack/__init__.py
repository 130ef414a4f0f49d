"""auditpack: evidence that a processor keeps the measures its DPAs promise."""

__version__ = "0.1.0"
