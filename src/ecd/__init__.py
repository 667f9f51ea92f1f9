"""ecd — research workbench for China's 0–3 early childhood development blue book."""
__version__ = "0.1.0"
