"""``python -m convoscope_cli`` is the ``convoscope`` command."""

import sys

from convoscope_cli.main import main

sys.exit(main())
