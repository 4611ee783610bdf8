"""rnninfo: open recurrent neural networks with information theory."""

__version__ = "0.1.0"
