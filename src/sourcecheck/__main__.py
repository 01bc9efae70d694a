"""``python -m sourcecheck``."""

from .cli import main

main()
