"""The board's schema migrations, one module a revision (evote.board.migrations explains them)."""
