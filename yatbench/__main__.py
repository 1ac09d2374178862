"""``python -m yatbench`` is the ``yatbench`` command."""

from yatbench.cli.main import main

main()
