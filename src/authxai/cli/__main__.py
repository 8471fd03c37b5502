"""``python -m authxai.cli``: the `authxai` command without the installed console script."""

import sys

from authxai.cli import main

if __name__ == "__main__":  # importing the module (e.g. pkgutil.walk_packages) runs nothing
    sys.exit(main())
