"""briefer: daily situation reports from many disagreeing news reports."""

__version__ = "0.1.0"
