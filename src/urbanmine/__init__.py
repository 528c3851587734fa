"""urbanmine: closed-loop recycling of EV batteries and other automotive and electronic waste."""

__version__ = "0.1.0"
