"""``python -m transcripts``: the same command as ``transcripts``."""

from transcripts.cli import main

if __name__ == "__main__":
    main()
