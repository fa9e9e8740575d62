"""python -m bench.generate --patients N [--db NAME] ...: see the package's docstring and `--help`."""

from bench.generate.orchestrate import main

if __name__ == "__main__":
    main()
