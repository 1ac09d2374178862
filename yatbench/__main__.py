"""``python -m yatbench`` is the ``yatbench`` command."""

from yatbench.cli import main

main()
