"""One module per figure: ``draw(tables, cfg, section) -> (matplotlib Figure, caption str)``.

``tables`` maps each input table file's stem to its DataFrame. Figures never compute results;
they only read tables. Shared look: :mod:`metagrad.figures.style`.
"""
