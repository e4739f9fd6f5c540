"""``python -m djdesk_bundle.cli``, as the ``djdesk-bundle`` script."""

import sys

from djdesk_bundle.cli import main

sys.exit(main())
