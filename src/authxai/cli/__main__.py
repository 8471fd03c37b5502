"""``python -m authxai.cli``: the `authxai` command without the installed console script."""

import sys

from authxai.cli import main

sys.exit(main())
