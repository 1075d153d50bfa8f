from ecmjax.cli.main import main

__all__ = ["main"]
