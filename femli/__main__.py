import sys

from femli.cli import main

sys.exit(main())
