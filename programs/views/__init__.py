"""The programs app's pages, one module per part: the library, a patient's programs, the builder."""
