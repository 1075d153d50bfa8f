"""``python -m ecmjax``: the ``ecmjax`` command line."""

from ecmjax.cli.main import main

raise SystemExit(main())
