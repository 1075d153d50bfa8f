"""``python -m ecmjax``: the ``ecmjax`` command line."""

from ecmjax.cli import main

raise SystemExit(main())
