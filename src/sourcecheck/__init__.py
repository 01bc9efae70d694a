"""sourcecheck: does every quote in an article still appear, word for word, in its source?"""

__version__ = "0.1.0"
