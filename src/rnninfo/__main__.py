import sys

from rnninfo.cli import main

sys.exit(main())
