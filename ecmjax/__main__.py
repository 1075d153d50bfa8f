"""``python -m ecmjax``: the ``ecmjax`` command line."""

from .cli import main

raise SystemExit(main())
