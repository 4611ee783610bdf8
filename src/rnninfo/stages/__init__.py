"""One module per pipeline stage; each exposes ``main(argv)`` and is run as
``python -m rnninfo.cli <stage> ...`` by exactly one Snakemake rule."""
