"""``python -m sourcecheck``."""

from .cli import main

if __name__ == "__main__":  # a worker process imports the main module again: it must not run
    main()
