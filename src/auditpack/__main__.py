import sys

from auditpack.cli import main

sys.exit(main())
